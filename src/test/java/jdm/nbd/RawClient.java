package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A bare NBD client for protocol tests: sends exactly the bytes a test asks for and decodes the replies. */
final class RawClient implements AutoCloseable {
    record OptReply(int option, int type, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }

        ByteBuffer buffer() {
            return ByteBuffer.wrap(data);
        }

        int infoType() {
            return buffer().getShort(0) & 0xffff;
        }
    }

    record Reply(int error, long handle) {
    }

    final SocketChannel channel;
    DataInputStream in;
    /** Where {@link #send} writes once TLS is up (then in reads TLS too); null: the socket itself. */
    private java.io.OutputStream tlsOut;
    int handshakeFlags;

    private RawClient(SocketChannel channel) {
        this.channel = channel;
        this.in = new DataInputStream(Channels.newInputStream(channel));
    }

    static RawClient connect(SocketAddress address) throws IOException {
        SocketChannel ch = address instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        ch.connect(address);
        return new RawClient(ch);
    }

    static RawClient connect(Path unixSocket) throws IOException {
        return connect(UnixDomainSocketAddress.of(unixSocket));
    }

    /** Reads the greeting and sends the client flags. */
    RawClient greet(int clientFlags) throws IOException {
        if (in.readLong() != NBDMAGIC || in.readLong() != IHAVEOPT) {
            throw new IOException("bad greeting");
        }
        handshakeFlags = in.readUnsignedShort();
        send(ByteBuffer.allocate(4).putInt(clientFlags).flip());
        return this;
    }

    RawClient greet() throws IOException {
        return greet(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES);
    }

    void sendOption(int option, byte[] data) throws IOException {
        send(ByteBuffer.allocate(16 + data.length).putLong(IHAVEOPT).putInt(option).putInt(data.length).put(data)
                .flip());
    }

    OptReply readOptReply() throws IOException {
        long magic = in.readLong();
        if (magic != REP_MAGIC) {
            throw new IOException("bad option reply magic " + Long.toHexString(magic));
        }
        int option = in.readInt();
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new OptReply(option, type, data);
    }

    /** Sends an option and reads its replies up to the final one (ACK or an error). */
    List<OptReply> option(int option, byte[] data) throws IOException {
        sendOption(option, data);
        List<OptReply> out = new ArrayList<>();
        while (true) {
            OptReply r = readOptReply();
            out.add(r);
            if (r.type() != REP_SERVER && r.type() != REP_INFO && r.type() != REP_META_CONTEXT) {
                return out;
            }
        }
    }

    static byte[] infoRequest(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length).putInt(n.length).put(n)
                .putShort((short) infos.length);
        for (int i : infos) {
            b.putShort((short) i);
        }
        return b.array();
    }

    /** NBD_OPT_GO; returns the replies, the last being ACK on success. */
    List<OptReply> go(String name, int... infos) throws IOException {
        return option(OPT_GO, infoRequest(name, infos));
    }

    /** Greets and enters transmission on the export via NBD_OPT_GO; fails unless the server ACKs. */
    RawClient open(String name) throws IOException {
        greet();
        List<OptReply> r = go(name, INFO_BLOCK_SIZE);
        if (r.getLast().type() != REP_ACK) {
            throw new IOException("GO refused: " + r.getLast().text());
        }
        return this;
    }

    void request(int flags, int type, long handle, long offset, long length, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(28 + (payload == null ? 0 : payload.length));
        b.putInt(REQUEST_MAGIC).putShort((short) flags).putShort((short) type).putLong(handle).putLong(offset)
                .putInt((int) length);
        if (payload != null) {
            b.put(payload);
        }
        send(b.flip());
    }

    Reply readReply() throws IOException {
        int magic = in.readInt();
        if (magic != SIMPLE_REPLY_MAGIC) {
            throw new IOException("bad reply magic " + Integer.toHexString(magic));
        }
        return new Reply(in.readInt(), in.readLong());
    }

    /**
     * One structured reply chunk: flags, type, handle, payload; or a simple reply, which a server may send to any
     * command but READ even with structured replies (simple: DONE, and NONE on success, else an ERROR without
     * message).
     */
    record Chunk(int flags, int type, long handle, byte[] data, boolean simple) {
        ByteBuffer buffer() {
            return ByteBuffer.wrap(data);
        }

        boolean done() {
            return (flags & REPLY_FLAG_DONE) != 0;
        }

        /** For error chunks: the error value. */
        int error() {
            return buffer().getInt(0);
        }
    }

    /** Reads a structured reply chunk, or a simple reply (see {@link Chunk}). */
    Chunk readChunk() throws IOException {
        int magic = in.readInt();
        if (magic == SIMPLE_REPLY_MAGIC) {
            int error = in.readInt();
            long handle = in.readLong();
            byte[] data = error == 0 ? new byte[0] : ByteBuffer.allocate(6).putInt(error).array();
            return new Chunk(REPLY_FLAG_DONE, error == 0 ? REPLY_TYPE_NONE : REPLY_TYPE_ERROR, handle, data, true);
        }
        if (magic != STRUCTURED_REPLY_MAGIC) {
            throw new IOException("bad structured reply magic " + Integer.toHexString(magic));
        }
        int flags = in.readUnsignedShort();
        int type = in.readUnsignedShort();
        long handle = in.readLong();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new Chunk(flags, type, handle, data, false);
    }

    /** Reads chunks up to and including the one flagged DONE. */
    List<Chunk> readStructuredReply() throws IOException {
        List<Chunk> out = new ArrayList<>();
        do {
            out.add(readChunk());
        } while (!out.getLast().done());
        return out;
    }

    /** The data of NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT: export name, then queries. */
    static byte[] metaContextRequest(String name, String... queries) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        int len = 4 + n.length + 4;
        for (String q : queries) {
            len += 4 + q.getBytes(StandardCharsets.UTF_8).length;
        }
        ByteBuffer b = ByteBuffer.allocate(len).putInt(n.length).put(n).putInt(queries.length);
        for (String q : queries) {
            byte[] qb = q.getBytes(StandardCharsets.UTF_8);
            b.putInt(qb.length).put(qb);
        }
        return b.array();
    }

    byte[] readBytes(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** Writes and waits for the reply; returns the error. */
    int write(long offset, byte[] data) throws IOException {
        return write(0, offset, data);
    }

    int write(int flags, long offset, byte[] data) throws IOException {
        request(flags, CMD_WRITE, 1, offset, data.length, data);
        return readReply().error();
    }

    /** Reads; throws if the server reports an error. */
    byte[] read(long offset, int length) throws IOException {
        request(0, CMD_READ, 2, offset, length, null);
        Reply r = readReply();
        if (r.error() != 0) {
            throw new IOException("read error " + r.error());
        }
        return readBytes(length);
    }

    /** Sends a command without payload and returns the reply's error. */
    int command(int flags, int type, long offset, long length) throws IOException {
        request(flags, type, 3, offset, length, null);
        return readReply().error();
    }

    void send(ByteBuffer b) throws IOException {
        if (tlsOut != null) {
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            tlsOut.write(bytes);
            tlsOut.flush();
            return;
        }
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** The socket as blocking streams, for a TLS client's handshake (after STARTTLS's ACK). */
    java.io.InputStream socketIn() {
        return in;
    }

    java.io.OutputStream socketOut() {
        return Channels.newOutputStream(channel);
    }

    /** From now on every byte goes through the TLS streams (after the TLS handshake on the socket). */
    void useTls(java.io.InputStream tlsIn, java.io.OutputStream out) {
        this.in = new DataInputStream(tlsIn);
        this.tlsOut = out;
    }

    /** True once the server has closed the connection (reads hit end of stream). */
    boolean serverClosed() throws IOException {
        try {
            while (in.read() >= 0) {
                // drain whatever was still in flight
            }
            return true;
        } catch (EOFException e) {
            return true;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
