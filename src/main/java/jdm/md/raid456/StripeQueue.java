package jdm.md.raid456;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;

/**
 * The stripe cache's ordering (raid5_get_active_stripe + the STRIPE_ACTIVE bit of handle_stripe), kept small: work
 * on one stripe (a chunk row) runs one piece at a time in arrival order, work on different stripes runs in
 * parallel. Only stripes with work queued have an entry, so memory follows the I/O in flight. Each burst of work
 * on a stripe runs on a virtual thread of its own, which may block on member I/O; {@link #submit} never blocks,
 * so it can be called inside a bio submission or an end-io callback.
 */
final class StripeQueue {
    private static final ThreadFactory THREADS = Thread.ofVirtual().name("raid456-stripe").factory();

    /**
     * Work that can take the work queued right behind it on its stripe into itself (writes joining one
     * stripe_head, as bios attach to a stripe in the stripe cache while it waits).
     */
    interface Batch extends Runnable {
        /** Takes next into this batch and returns true, or returns false to leave it queued. */
        boolean absorb(Runnable next);
    }

    private final ConcurrentHashMap<Long, ArrayDeque<Runnable>> busy = new ConcurrentHashMap<>();

    /** Lets batch absorb the work queued behind it on stripe, in order, until one does not fit. */
    void absorbQueued(long stripe, Batch batch) {
        busy.computeIfPresent(stripe, (k, q) -> {
            while (!q.isEmpty() && batch.absorb(q.peek())) {
                q.poll();
            }
            return q;
        });
    }

    /** Queues work on a stripe; it runs after the work queued before it on the same stripe. */
    void submit(long stripe, Runnable work) {
        boolean[] first = new boolean[1];
        busy.compute(stripe, (k, q) -> {
            if (q == null) {
                first[0] = true;
                return new ArrayDeque<>();
            }
            q.add(work);
            return q;
        });
        if (first[0]) {
            THREADS.newThread(() -> drain(stripe, work)).start();
        }
    }

    /** Runs work on a stripe in order with the rest and waits for it (the sync thread's side). */
    void runAndWait(long stripe, Runnable work) throws InterruptedException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Throwable[] failure = new Throwable[1];
        submit(stripe, () -> {
            try {
                work.run();
            } catch (RuntimeException | Error e) {
                failure[0] = e;
            } finally {
                done.countDown();
            }
        });
        done.await();
        if (failure[0] instanceof RuntimeException e) {
            throw e;
        }
        if (failure[0] instanceof Error e) {
            throw e;
        }
    }

    private void drain(long stripe, Runnable first) {
        Runnable work = first;
        while (work != null) {
            try {
                work.run();
            } catch (RuntimeException | Error e) {
                System.err.println("jdm: raid456 stripe " + stripe + ": " + e);
            }
            Runnable[] next = new Runnable[1];
            busy.compute(stripe, (k, q) -> {
                next[0] = q.poll();
                if (next[0] instanceof Batch b) {
                    while (!q.isEmpty() && b.absorb(q.peek())) {
                        q.poll();
                    }
                }
                return next[0] == null ? null : q;
            });
            work = next[0];
        }
    }
}
