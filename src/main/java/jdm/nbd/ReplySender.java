package jdm.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import jdm.block.DataRegion;

/**
 * Sends a connection's replies in completion order, each header written by the connection's {@link ReplyEncoder}. Completing threads
 * push their reply onto a lock-free stack and return; whichever thread finds no sender busy becomes the sender and
 * writes everything queued, as many replies per gathering write as are waiting (each reply's header and payload
 * adjacent, so replies never interleave). Nobody blocks on a lock to reply, and under load one write call carries
 * many replies: measured against one locked write per reply, +20% 4 KiB random-write IOPS.
 */
final class ReplySender {
    private static final System.Logger LOG = System.getLogger(ReplySender.class.getName());
    private static final int BATCH = 64; // replies per write call; 128 iovecs, well under IOV_MAX

    private final GatheringByteChannel channel;
    private final Runnable onFailure;
    private final AtomicReference<Reply> queued = new AtomicReference<>();
    private final AtomicBoolean sending = new AtomicBoolean();
    // Touched only by the thread holding 'sending'.
    private final ByteBuffer[] headers = new ByteBuffer[BATCH];
    private final ByteBuffer[] iov = new ByteBuffer[2 * BATCH + ReadChunks.MAX_BUFFERS];
    /** The piece of a region sent by copying while the socket is full (see {@link #transferFully}). */
    private final ByteBuffer bounce = ByteBuffer.allocateDirect(16 << 10);
    private volatile boolean broken;
    /** Set once, after the handshake and before the first request: the reader starts every request after it. */
    private ReplyEncoder encoder = ReplyEncoder.SIMPLE;
    /** Set by the reader for its own replies while it has more requests in hand (see {@link #cork}). */
    private boolean corked;
    /** The owner queued a reply while corked: uncork has something of its own to send. */
    private boolean held;
    private Thread corkOwner;
    /** The plain socket, when replies may carry file regions (not under TLS): set before the first request. */
    private SocketChannel zeroCopy;

    /** onFailure runs once, on the first failed write (the client is gone): it should stop the reader. */
    ReplySender(GatheringByteChannel channel, Runnable onFailure) {
        this.channel = channel;
        this.onFailure = onFailure;
        int size = ReplyEncoder.MAX_HEADER_BYTES;
        ByteBuffer arena = ByteBuffer.allocateDirect(BATCH * size);
        for (int i = 0; i < BATCH; i++) {
            headers[i] = arena.slice(i * size, size);
        }
    }

    /** The form of every reply from now on; call before the transmission phase starts. */
    void encoder(ReplyEncoder e) {
        encoder = e;
    }

    /**
     * Queues a reply and, unless another thread is sending, sends every queued reply. A sender that is busy picks
     * up this reply before it stops (it re-checks the queue after releasing the flag). After a failed write,
     * replies are dropped, but each is still {@link Reply#sent released}.
     */
    void send(Reply r) {
        Reply head;
        do {
            head = queued.get();
            r.next = head;
        } while (!queued.compareAndSet(head, r));
        if (corked && Thread.currentThread() == corkOwner) {
            held = true;
            return; // the owner sends it with the next ones when it uncorks
        }
        while (queued.get() != null && sending.compareAndSet(false, true)) {
            try {
                drain();
            } finally {
                sending.set(false);
            }
        }
    }

    /** Lets replies carry {@link Reply#region file regions}, sent to this socket with sendfile. */
    void zeroCopy(SocketChannel socket) {
        zeroCopy = socket;
    }

    boolean zeroCopy() {
        return zeroCopy != null;
    }

    /**
     * Holds the calling thread's own replies (queued, not sent) until {@link #uncork}: the reader calls it while
     * it has more requests in hand, so the replies of requests it ran itself leave together, one write call for
     * many (4 KiB writes at queue depth 32: one write per reply was a third of the reader's system calls). Other
     * threads' replies go out as always. The reader must uncork before anything that may wait: reading the
     * socket, or waiting for in-flight room (the held replies hold their slots).
     */
    void cork() {
        corkOwner = Thread.currentThread();
        corked = true;
    }

    /** Sends what the owner held, if anything (others' replies are their threads' to send). Owner only. */
    void uncork() {
        corked = false;
        if (!held) {
            return;
        }
        held = false;
        while (queued.get() != null && sending.compareAndSet(false, true)) {
            try {
                drain();
            } finally {
                sending.set(false);
            }
        }
    }

    boolean broken() {
        return broken;
    }

    private void drain() {
        Reply fifo = null;
        for (Reply r = queued.getAndSet(null); r != null; ) { // the stack is newest first: reverse it
            Reply next = r.next;
            r.next = fifo;
            fifo = r;
            r = next;
        }
        while (fifo != null) {
            int n = 0;
            int v = 0;
            DataRegion region = null; // a batch ends with the first reply that has one: its data follows the iovecs
            for (Reply r = fifo; r != null && n < BATCH && region == null; r = r.next, n++) {
                if (r.wire != null) {
                    if (v + r.wire.length > 2 * BATCH && n > 0) {
                        break; // the next write call takes it
                    }
                    for (ByteBuffer b : r.wire) {
                        iov[v++] = b;
                    }
                    continue;
                }
                ByteBuffer h = headers[n].clear();
                encoder.header(r, h);
                h.flip();
                iov[v++] = h;
                if (r.payload != null) {
                    iov[v++] = r.payload;
                }
                region = r.region;
            }
            if (!broken) {
                try {
                    writeFully(v);
                    if (region != null) {
                        transferFully(region);
                    }
                } catch (IOException | RuntimeException | OutOfMemoryError e) { // every reply is released below
                    broken = true;
                    LOG.log(Level.DEBUG, "send failed, dropping connection: {0}", e.toString());
                    onFailure.run();
                }
            }
            Arrays.fill(iov, 0, v, null);
            for (int i = 0; i < n; i++) {
                Reply r = fifo;
                fifo = r.next;
                r.next = null;
                r.sent();
            }
        }
    }

    /**
     * Sends a region: memory as it is, a file with sendfile. The JDK gives a socket that virtual threads use a
     * non-blocking descriptor and parks them in write() until it is writable, but its sendfile path does not park:
     * it returns 0 when the socket is full. Then a small piece goes the copying way, whose write parks until the
     * client has read (a Unix socket wakes writers when three quarters of its buffer are free), and sendfile goes
     * on: most bytes still go by reference.
     */
    private void transferFully(DataRegion region) throws IOException {
        ByteBuffer[] memory = region.buffers();
        if (memory != null) { // the device's own memory: one gathering write, as the channel (maybe TLS) takes it
            for (int first = 0; first < memory.length; ) {
                channel.write(memory, first, memory.length - first);
                while (first < memory.length && !memory[first].hasRemaining()) {
                    first++;
                }
            }
            return;
        }
        long pos = region.position();
        long end = pos + region.length();
        while (pos < end) {
            long n = region.file().transferTo(pos, end - pos, zeroCopy);
            if (n == 0) {
                ByteBuffer piece = bounce.clear().limit((int) Math.min(bounce.capacity(), end - pos));
                while (piece.hasRemaining()) {
                    if (region.file().read(piece, pos + piece.position()) < 0) {
                        // the file shrank under the device: the header promised bytes we no longer have
                        throw new EOFException("file region ends at " + (pos + piece.position()) + ", not " + end);
                    }
                }
                n = piece.flip().remaining();
                while (piece.hasRemaining()) {
                    zeroCopy.write(piece);
                }
            }
            pos += n;
        }
    }

    private void writeFully(int count) throws IOException {
        int first = 0;
        while (first < count) {
            channel.write(iov, first, count - first);
            while (first < count && !iov[first].hasRemaining()) {
                first++;
            }
        }
    }
}
