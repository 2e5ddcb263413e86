package jdm.nbd;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts a connection's requests in flight and the payload bytes they hold. The connection's reader takes a slot
 * before it reads each request, waiting while the connection is over its limits (so a client cannot make the server
 * buffer without bound), and waits for zero before releasing the export. Completions release slots from any thread.
 * Only the reader ever waits, so a single parked-thread field is enough and completions stay lock-free.
 *
 * <p>Waiting is a Dekker handshake: the waiter publishes itself, then re-checks its condition; a release changes
 * the counts, then reads the waiter. With both sides volatile, either the waiter's re-check sees the release or the
 * release sees the waiter and unparks it. The condition itself is what gets re-checked, never a snapshot taken
 * before publishing: a release between the first check and the snapshot would otherwise go unseen, and a waiter
 * could park with nothing left in flight to wake it. Stray permits (a virtual thread's socket I/O also parks and
 * unparks it) only cause a spurious return, after which the loop re-checks.
 */
final class Inflight {
    private final int maxRequests;
    private final long maxBytes;
    private final AtomicLong server;
    private final long maxServerBytes;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private volatile Thread waiter;

    /** A connection's own gate, with no server-wide limit. */
    Inflight(int maxRequests, long maxBytes) {
        this(maxRequests, maxBytes, new AtomicLong(), Long.MAX_VALUE);
    }

    /**
     * A connection's gate that also keeps the payload bytes {@link #charge charged} by all the server's connections
     * (serverBytes, shared) under maxServerBytes. Over that, a connection waits for its own requests to finish (its
     * releases wake it) and goes on with one request in flight: no connection waits for another, so none can be
     * stuck behind clients that do not read their replies, and payloads still arriving are not counted, so
     * stalled headers hold nothing.
     */
    Inflight(int maxRequests, long maxBytes, AtomicLong serverBytes, long maxServerBytes) {
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
        this.server = serverBytes;
        this.maxServerBytes = maxServerBytes;
    }

    /** Takes a slot for a request holding n payload bytes; one request is always let through, whatever its size. */
    void acquire(long n) {
        acquire(n, null);
    }

    /** As {@link #acquire(long)}, running beforeWait (if not null) once before it would wait. */
    void acquire(long n, Runnable beforeWait) {
        if (!fits(n)) {
            if (beforeWait != null) {
                beforeWait.run();
            }
            waiter = Thread.currentThread();
            try {
                while (!fits(n)) {
                    LockSupport.park(this);
                }
            } finally {
                waiter = null;
            }
        }
        requests.incrementAndGet();
        bytes.addAndGet(n);
    }

    private boolean fits(long n) {
        int r = requests.get();
        return r == 0 || (r < maxRequests && bytes.get() + n <= maxBytes && server.get() + n <= maxServerBytes);
    }

    /** The request that took a slot for n bytes now holds its payload: counted in the server's total. */
    void charge(long n) {
        if (n != 0) {
            server.addAndGet(n);
        }
    }

    /** Releases a slot taken for n bytes and {@link #charge charged}. */
    void release(long n) {
        if (n != 0) {
            server.addAndGet(-n);
        }
        abandon(n);
    }

    /** Releases a slot taken for n bytes that was never charged (its payload never arrived). */
    void abandon(long n) {
        bytes.addAndGet(-n);
        requests.decrementAndGet();
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    int requests() {
        return requests.get();
    }

    long bytes() {
        return bytes.get();
    }

    /** Waits until every request has been released. */
    void awaitIdle() {
        if (requests.get() == 0) {
            return;
        }
        waiter = Thread.currentThread();
        try {
            while (requests.get() != 0) {
                LockSupport.park(this);
            }
        } finally {
            waiter = null;
        }
    }
}
