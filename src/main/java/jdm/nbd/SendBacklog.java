package jdm.nbd;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Read data that is in buffers waiting for the socket. When the client reads replies slower than the device fills
 * them (large reads from cache), starting more reads only fills more buffers that go cold in memory before they
 * are sent; so a read waits for room here before it starts. A slow device never fills the backlog (its replies go
 * out as they complete), so its requests still all run at once.
 */
final class SendBacklog {
    private final long limit;
    private final AtomicLong unsent = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();

    SendBacklog(long limit) {
        this.limit = limit;
    }

    /** Waits while the backlog is over the limit. */
    void awaitRoom() {
        if (unsent.get() <= limit) {
            return;
        }
        lock.lock();
        try {
            while (unsent.get() > limit) {
                room.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** n bytes are ready to send. */
    void filled(long n) {
        unsent.addAndGet(n);
    }

    /** n bytes were sent (or dropped); wakes waiters when the backlog falls to the limit. */
    void sent(long n) {
        long before = unsent.getAndAdd(-n);
        if (before > limit && before - n <= limit) {
            lock.lock();
            try {
                room.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
