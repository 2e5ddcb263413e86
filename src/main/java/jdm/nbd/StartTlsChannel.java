package jdm.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.SocketChannel;

/**
 * A connection's channel on a server that offers TLS: plaintext until NBD_OPT_STARTTLS succeeds, then the TLS
 * connection, for the handshake's reads and writes and the transmission phase alike. Servers without TLS hand the
 * socket itself to those, so the plaintext path has no extra layer. The switch happens on the reader's thread
 * before any other thread writes (replies start in the transmission phase), so a volatile field is enough.
 */
final class StartTlsChannel implements ByteChannel, ScatteringByteChannel, GatheringByteChannel {
    private final SocketChannel socket;
    private final TlsConfig config;
    private volatile ScatteringByteChannel reads;
    private volatile GatheringByteChannel writes;
    private volatile boolean secure;

    StartTlsChannel(SocketChannel socket, TlsConfig config) {
        this.socket = socket;
        this.config = config;
        this.reads = socket;
        this.writes = socket;
    }

    /** Whether the client must negotiate TLS before anything else. */
    boolean required() {
        return config.mode() == TlsConfig.Mode.REQUIRE;
    }

    boolean secure() {
        return secure;
    }

    /** Runs the TLS handshake (the STARTTLS ACK has been sent) and moves every later byte onto TLS. */
    void startTls() throws IOException {
        TlsChannel tls = config.accept(socket);
        reads = tls;
        writes = tls;
        secure = true;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return reads.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return reads.read(dsts, offset, length);
    }

    @Override
    public long read(ByteBuffer[] dsts) throws IOException {
        return reads.read(dsts);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return writes.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return writes.write(srcs, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return writes.write(srcs);
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    @Override
    public void close() throws IOException {
        writes.close();
    }
}
