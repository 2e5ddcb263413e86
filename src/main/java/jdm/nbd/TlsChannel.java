package jdm.nbd;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.SocketChannel;
import org.bouncycastle.tls.TlsProtocol;

/**
 * A TLS connection (Bouncy Castle's blocking {@link TlsProtocol}) seen as the byte channels the handshake and
 * transmission code read and write. One thread reads (the connection's reader) while another writes (the reply
 * sender): Bouncy Castle reads records without the lock its writes take, so they do not wait for each other. Data
 * is copied through a byte array each way: TLS encrypts into its own buffers anyway.
 */
final class TlsChannel implements ByteChannel, ScatteringByteChannel, GatheringByteChannel {
    private static final int CHUNK = 64 << 10;

    private final SocketChannel socket;
    private final TlsProtocol tls;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] readBuf = new byte[CHUNK];  // reader thread only
    private final byte[] writeBuf = new byte[CHUNK]; // writers hold the lock below
    private final Object writeLock = new Object();

    TlsChannel(SocketChannel socket, TlsProtocol tls) {
        this.socket = socket;
        this.tls = tls;
        this.in = tls.getInputStream();
        this.out = tls.getOutputStream();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        int n = in.read(readBuf, 0, Math.min(readBuf.length, dst.remaining()));
        if (n > 0) {
            dst.put(readBuf, 0, n);
        }
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].hasRemaining()) {
                return read(dsts[i]); // one buffer per call: SocketInput calls again until it has enough
            }
        }
        return 0;
    }

    @Override
    public long read(ByteBuffer[] dsts) throws IOException {
        return read(dsts, 0, dsts.length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return (int) write(new ByteBuffer[] {src}, 0, 1);
    }

    /** Writes everything given, packing small buffers (reply headers) together into records. */
    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        synchronized (writeLock) {
            int fill = 0;
            for (int i = offset; i < offset + length; i++) {
                ByteBuffer b = srcs[i];
                while (b.hasRemaining()) {
                    int k = Math.min(b.remaining(), writeBuf.length - fill);
                    b.get(writeBuf, fill, k);
                    fill += k;
                    total += k;
                    if (fill == writeBuf.length) {
                        out.write(writeBuf, 0, fill);
                        fill = 0;
                    }
                }
            }
            if (fill > 0) {
                out.write(writeBuf, 0, fill);
            }
        }
        return total;
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    @Override
    public void close() throws IOException {
        try {
            tls.close(); // sends close_notify
        } finally {
            socket.close();
        }
    }

    /** The socket seen as the blocking streams Bouncy Castle reads and writes records on. */
    static InputStream inputOf(SocketChannel ch) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                int n;
                do {
                    n = ch.read(ByteBuffer.wrap(b, off, len));
                } while (n == 0);
                return n;
            }
        };
    }

    static OutputStream outputOf(SocketChannel ch) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        };
    }
}
