package jdm.crash;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small pipelined NBD client (fixed newstyle, NBD_OPT_GO, simple replies) for the crash workloads: requests go out
 * as they are asked for and each returns a future completed by the reply, so a workload can keep several writes in
 * flight on one connection and know exactly which were acknowledged. A broken connection (the server was killed)
 * fails every pending future. Kept apart from the server's code on purpose: a client written from the protocol
 * document checks the server rather than sharing its mistakes.
 */
public final class NbdClient implements AutoCloseable {
    private static final long NBDMAGIC = 0x4e42444d41474943L;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final long REP_MAGIC = 0x3e889045565a9L;
    private static final int OPT_GO = 7;
    private static final int REP_ACK = 1;
    private static final int REP_INFO = 3;
    private static final int INFO_EXPORT = 0;
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    private static final int CMD_READ = 0;
    private static final int CMD_WRITE = 1;
    private static final int CMD_DISC = 2;
    private static final int CMD_FLUSH = 3;
    private static final int CMD_FLAG_FUA = 1;

    /** A request waiting for its reply: reads carry the buffer the reply's payload goes into. */
    private record Pending(CompletableFuture<Integer> done, ByteBuffer readInto) {
    }

    private final SocketChannel channel;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong handles = new AtomicLong();
    private final Object sendLock = new Object();
    private final long sizeBytes;
    private final Thread reader;
    private volatile IOException broken;

    private NbdClient(SocketChannel channel, long sizeBytes) {
        this.channel = channel;
        this.sizeBytes = sizeBytes;
        this.reader = Thread.ofVirtual().name("nbd-client-replies").start(this::readReplies);
    }

    /** Connects to a Unix socket and enters transmission on the named export. */
    public static NbdClient connect(Path socket, String export) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new NbdClient(ch, handshake(ch, export));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static long handshake(SocketChannel ch, String export) throws IOException {
        ByteBuffer greeting = readFully(ch, 18);
        if (greeting.getLong() != NBDMAGIC || greeting.getLong() != IHAVEOPT) {
            throw new IOException("not an NBD newstyle server");
        }
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(4 + 16 + 4 + name.length + 2);
        out.putInt(3); // fixed newstyle, no zeroes
        out.putLong(IHAVEOPT).putInt(OPT_GO).putInt(4 + name.length + 2).putInt(name.length).put(name).putShort((short) 0);
        writeFully(ch, out.flip());
        long size = -1;
        while (true) {
            ByteBuffer h = readFully(ch, 20);
            if (h.getLong() != REP_MAGIC) {
                throw new IOException("bad option reply");
            }
            h.getInt();
            int type = h.getInt();
            ByteBuffer data = readFully(ch, h.getInt());
            if (type == REP_INFO && data.getShort(0) == INFO_EXPORT) {
                size = data.getLong(2);
            } else if (type == REP_ACK) {
                return size;
            } else if (type < 0) {
                throw new IOException("export " + export + " refused: " + StandardCharsets.UTF_8.decode(data));
            }
        }
    }

    public long sizeBytes() {
        return sizeBytes;
    }

    /** Sends a write; the future completes with the reply's error (0 = acknowledged). */
    public CompletableFuture<Integer> write(long offset, ByteBuffer data, boolean fua) {
        return send(CMD_WRITE, fua ? CMD_FLAG_FUA : 0, offset, data.remaining(), data, null);
    }

    public CompletableFuture<Integer> flush() {
        return send(CMD_FLUSH, 0, 0, 0, null, null);
    }

    /** Reads into buffer (its remaining bytes); the future completes with the reply's error once the data is in. */
    public CompletableFuture<Integer> read(long offset, ByteBuffer into) {
        return send(CMD_READ, 0, offset, into.remaining(), null, into);
    }

    /** Reads synchronously; throws on an error reply. */
    public byte[] read(long offset, int length) throws IOException {
        byte[] b = new byte[length];
        int err = read(offset, ByteBuffer.wrap(b)).join();
        if (err != 0) {
            throw new IOException("NBD read at " + offset + " failed: error " + err);
        }
        return b;
    }

    private CompletableFuture<Integer> send(int type, int flags, long offset, int length, ByteBuffer payload,
                                            ByteBuffer readInto) {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        long handle = handles.incrementAndGet();
        pending.put(handle, new Pending(f, readInto));
        ByteBuffer header = ByteBuffer.allocate(28).putInt(REQUEST_MAGIC).putShort((short) flags)
                .putShort((short) type).putLong(handle).putLong(offset).putInt(length).flip();
        try {
            synchronized (sendLock) {
                if (broken != null) {
                    throw broken;
                }
                writeFully(channel, header);
                if (payload != null) {
                    writeFully(channel, payload.duplicate());
                }
            }
        } catch (IOException e) {
            pending.remove(handle);
            f.completeExceptionally(e);
        }
        return f;
    }

    private void readReplies() {
        try {
            while (true) {
                ByteBuffer r = readFully(channel, 16);
                if (r.getInt() != SIMPLE_REPLY_MAGIC) {
                    throw new IOException("bad reply magic");
                }
                int error = r.getInt();
                Pending p = pending.remove(r.getLong());
                if (p == null) {
                    throw new IOException("reply to an unknown handle");
                }
                if (p.readInto() != null && error == 0) {
                    while (p.readInto().hasRemaining()) {
                        if (channel.read(p.readInto()) < 0) {
                            throw new EOFException("connection closed");
                        }
                    }
                }
                p.done().complete(error);
            }
        } catch (IOException e) {
            broken = e;
            pending.values().forEach(p -> p.done().completeExceptionally(e));
            pending.clear();
        }
    }

    private static ByteBuffer readFully(SocketChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException("connection closed");
            }
        }
        return b.flip();
    }

    private static void writeFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Sends NBD_CMD_DISC (when the connection still works) and closes. */
    @Override
    public void close() {
        try {
            if (broken == null) {
                send(CMD_DISC, 0, 0, 0, null, null);
            }
        } finally {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            reader.interrupt();
        }
    }
}
