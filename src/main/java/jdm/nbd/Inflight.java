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
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private volatile Thread waiter;

    Inflight(int maxRequests, long maxBytes) {
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
    }

    /** Takes a slot for a request holding n payload bytes; one request is always let through, whatever its size. */
    void acquire(long n) {
        if (!fits(n)) {
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
        return r == 0 || (r < maxRequests && bytes.get() + n <= maxBytes);
    }

    void release(long n) {
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
