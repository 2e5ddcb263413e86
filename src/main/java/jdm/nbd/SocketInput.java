package jdm.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ScatteringByteChannel;
import jdm.block.Errno;

/**
 * The receiving side of a connection: a direct read-ahead buffer, so that the small fixed-size headers that clients
 * pipeline arrive many per read call instead of one read per header. A payload is read straight from the socket
 * into the caller's buffer, with the read-ahead buffer as the second part of the same scattering read, so the
 * next header usually comes in the same call; only payload bytes that arrived with an earlier header are copied
 * (headers read by {@link #fill}, which fills the whole read-ahead).
 * Used by one thread at a time (the connection's reader).
 */
final class SocketInput {
    /** Payloads up to this size come through the read-ahead buffer (see {@link #readFully(ByteBuffer)}). */
    static final int SMALL_PAYLOAD = 16 << 10;

    private final ScatteringByteChannel channel;
    private final ByteBuffer buf; // between reads: position..limit is unread data
    private final ByteBuffer[] scatter = new ByteBuffer[2];
    /** A request header's size: what a payload read takes along after the payload (see {@link #readFully}). */
    private int headerBytes = NbdProtocol.REQUEST_HEADER_BYTES;
    /** Spins briefly before a read that would block (see {@link ReadSpin}); null: just block. */
    private ReadSpin spin;
    /** The next {@link #fill} that has to read spins first (set by {@link #awaitData}). */
    private boolean armed;
    /** Moves payloads from the socket into files (see {@link #readFully(FileChannel, int, long, long)}), or null. */
    private SocketSplice splice;
    /** Runs before every read of the socket (the reader's held replies go out: see ReplySender.cork). */
    private Runnable beforeRead = () -> { };

    SocketInput(ScatteringByteChannel channel, ByteBuffer readAhead) {
        this.channel = channel;
        this.buf = readAhead.clear().flip();
        scatter[1] = buf;
    }

    /** Sets what runs before every read of the socket. */
    void beforeRead(Runnable r) {
        beforeRead = r;
    }

    /** Sets what moves payloads into files (null: none; see {@link #readFully(FileChannel, int, long, long)}). */
    void splice(SocketSplice s) {
        splice = s;
    }

    /** Sets the spinner {@link #awaitData} uses (null: none). */
    void spin(ReadSpin s) {
        spin = s;
    }

    /**
     * Before a read that is likely to wait: the next {@link #fill} that has to read the socket spins for its bytes
     * briefly before it blocks (see {@link ReadSpin}).
     */
    void awaitData() {
        armed = spin != null;
    }

    /** Request headers are this long from now on (32 with extended headers). */
    void headerBytes(int n) {
        headerBytes = n;
    }

    /** The read-ahead buffer, to give back to its pool once the connection is done. */
    ByteBuffer buffer() {
        return buf;
    }

    /**
     * Ensures n bytes (at most the buffer's capacity) are buffered. Returns false on end of stream before the first
     * byte (a clean end at a message boundary); throws EOFException on end of stream in between.
     */
    boolean fill(int n) throws IOException {
        if (buf.remaining() >= n) {
            return true;
        }
        boolean any = buf.hasRemaining();
        beforeRead.run();
        buf.compact();
        try {
            while (buf.position() < n) {
                int got = armed ? spin.read(buf) : 0;
                if (got == 0) {
                    got = channel.read(buf);
                    if (armed) {
                        spin.readDone();
                    }
                }
                armed = false;
                if (got < 0) {
                    if (!any && buf.position() == 0) {
                        return false;
                    }
                    throw new EOFException("connection closed in the middle of a message");
                }
            }
        } finally {
            buf.flip();
        }
        return true;
    }

    private void need(int n) throws IOException {
        if (!fill(n)) {
            throw new EOFException("connection closed");
        }
    }

    int readInt() throws IOException {
        need(4);
        return buf.getInt();
    }

    long readLong() throws IOException {
        need(8);
        return buf.getLong();
    }

    /** Bytes read ahead and not consumed yet. */
    int buffered() {
        return buf.remaining();
    }

    /** The type field of the buffered request header (whose first bytes are at the read position). */
    int peekType() {
        return buf.getShort(buf.position() + 6) & 0xffff;
    }

    /** Getters for a header already {@link #fill}ed. */
    int getInt() {
        return buf.getInt();
    }

    int getUnsignedShort() {
        return buf.getShort() & 0xffff;
    }

    long getLong() {
        return buf.getLong();
    }

    /**
     * Reads until dst is full: first from the read-ahead, then straight from the socket (see class); a small
     * payload (at most {@link #SMALL_PAYLOAD}) through the read-ahead instead, so that one read brings many small
     * requests at once (4 KiB writes at queue depth 32: a read per request was a third of the reader's calls).
     */
    void readFully(ByteBuffer dst) throws IOException {
        if (dst.remaining() <= SMALL_PAYLOAD && buf.remaining() < dst.remaining()) {
            need(dst.remaining());
        }
        if (buf.hasRemaining()) {
            int n = Math.min(buf.remaining(), dst.remaining());
            dst.put(dst.position(), buf, buf.position(), n).position(dst.position() + n);
            buf.position(buf.position() + n);
            if (!dst.hasRemaining()) {
                return;
            }
        }
        // Empty: take what follows the payload in the same call, but only up to one request header. More would
        // bring the start of the next WRITE's payload into the read-ahead, to be copied out again (perf: a quarter
        // of every 256 KiB payload went through that copy); this way the next payload too comes straight in.
        beforeRead.run();
        buf.clear().limit(headerBytes);
        scatter[0] = dst;
        try {
            while (dst.hasRemaining()) {
                if (channel.read(scatter) < 0) {
                    throw new EOFException("connection closed in the middle of a payload");
                }
            }
        } finally {
            scatter[0] = null;
            buf.flip();
        }
    }

    /** {@link #readFully(ByteBuffer)} into each buffer in turn, with one scattering read for all of them. */
    void readFully(ByteBuffer[] dsts) throws IOException {
        int first = 0;
        while (first < dsts.length && buf.hasRemaining()) {
            ByteBuffer dst = dsts[first];
            int n = Math.min(buf.remaining(), dst.remaining());
            dst.put(dst.position(), buf, buf.position(), n).position(dst.position() + n);
            buf.position(buf.position() + n);
            first += dst.hasRemaining() ? 0 : 1;
        }
        if (first == dsts.length) {
            return;
        }
        beforeRead.run();
        ByteBuffer[] all = new ByteBuffer[dsts.length - first + 1];
        System.arraycopy(dsts, first, all, 0, dsts.length - first);
        buf.clear().limit(headerBytes); // as readFully(ByteBuffer): at most the next header
        all[all.length - 1] = buf;
        try {
            for (int i = 0; i < all.length - 1; ) {
                if (channel.read(all, i, all.length - i) < 0) {
                    throw new EOFException("connection closed in the middle of a payload");
                }
                while (i < all.length - 1 && !all[i].hasRemaining()) {
                    i++;
                }
            }
        } finally {
            buf.flip();
        }
    }

    /**
     * Reads the next n bytes into the file at pos: what the read-ahead holds by a write of the channel, the rest by
     * splice(2) into fd, a descriptor of the same file (no copy through our memory), or, without a splicer (TLS),
     * through the read-ahead a buffer-full at a time. Returns 0, or the errno of a failed write to the file, after
     * which the rest of the n bytes is read past; throws if the socket fails.
     */
    int readFully(FileChannel file, int fd, long pos, long n) throws IOException {
        int failed = 0;
        for (long done = 0; done < n; ) {
            if (!buf.hasRemaining()) {
                if (splice != null && failed == 0) {
                    beforeRead.run();
                    return splice.toFile(fd, pos + done, n - done);
                }
                need((int) Math.min(n - done, buf.capacity()));
            }
            int k = (int) Math.min(buf.remaining(), n - done);
            if (failed == 0) {
                try {
                    ByteBuffer part = buf.slice(buf.position(), k);
                    for (long at = pos + done; part.hasRemaining(); ) {
                        at += file.write(part, at);
                    }
                } catch (IOException e) { // the file's failure, not the socket's: the payload is still read past
                    int errno = Errno.ofStrerror(e.getMessage());
                    failed = errno > 0 ? errno : Errno.EIO;
                }
            }
            buf.position(buf.position() + k);
            done += k;
        }
        return failed;
    }

    byte[] readBytes(int n) throws IOException {
        byte[] b = new byte[n];
        readFully(ByteBuffer.wrap(b));
        return b;
    }

    /** Reads and drops n bytes, through the read-ahead buffer. */
    void skip(long n) throws IOException {
        while (n > 0) {
            if (!buf.hasRemaining()) {
                need(1);
            }
            int k = (int) Math.min(n, buf.remaining());
            buf.position(buf.position() + k);
            n -= k;
        }
    }
}
