package jdm.nbd;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts a connection's requests in flight and the payload bytes they hold. The connection's reader takes a slot
 * before it reads each request, waiting while the connection is over its limits (so a client cannot make the server
 * buffer without bound), and waits for zero before releasing the export. Completions release slots from any thread.
 * Only the reader ever waits, so a single parked-thread field is enough and completions stay lock-free.
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
        while (true) {
            int r = requests.get();
            if (r == 0 || (r < maxRequests && bytes.get() + n <= maxBytes)) {
                break;
            }
            await();
        }
        requests.incrementAndGet();
        bytes.addAndGet(n);
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

    /** Waits until every request has been released. */
    void awaitIdle() {
        while (requests.get() != 0) {
            await();
        }
    }

    /** Parks until some release; re-checking after publishing the waiter makes a lost wake-up impossible. */
    private void await() {
        int before = requests.get();
        waiter = Thread.currentThread();
        try {
            if (requests.get() == before) {
                LockSupport.park(this);
            }
        } finally {
            waiter = null;
        }
    }
}
