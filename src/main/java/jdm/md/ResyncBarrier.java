package jdm.md;

import java.util.ArrayDeque;
import java.util.List;
import java.util.ArrayList;

/**
 * Keeps normal I/O and a sync window apart, as raid1.c's raise_barrier / wait_barrier / allow_barrier with its
 * bucketed counters: the array (in the personality's sync coordinates) is cut into 64 MiB units
 * (BARRIER_UNIT_SECTOR_BITS), hashed into 1024 buckets. Normal I/O counts itself pending in the buckets it touches;
 * the sync thread (or the error handler) raises the barrier over a window, which holds back new I/O in those
 * buckets and waits until the pending I/O there has drained; lowering it lets the held I/O go.
 *
 * <p>Unlike the kernel's wait_barrier, {@link #enter} never blocks: it runs inside a bio submission, so I/O that
 * meets a raised barrier is parked as a retry and re-run by {@link #lower} on the lowering thread.
 */
public final class ResyncBarrier {
    /** BARRIER_UNIT_SECTOR_BITS: 64 MiB units. */
    public static final int UNIT_SHIFT = 17;
    /** BARRIER_BUCKETS_NR. */
    private static final int BUCKETS = 1024;

    private final int[] pending = new int[BUCKETS];
    private final int[] raised = new int[BUCKETS];
    private final ArrayDeque<Runnable> held = new ArrayDeque<>();

    /**
     * wait_barrier for normal I/O on [sector, sector + sectors): true when it may go now (then {@link #exit} must
     * follow when it is done); false when a barrier is up there, and {@code retry} will be run when it is lowered.
     */
    public synchronized boolean enter(long sector, long sectors, Runnable retry) {
        long first = sector >>> UNIT_SHIFT;
        long last = (sector + Math.max(sectors, 1) - 1) >>> UNIT_SHIFT;
        for (long u = first; u <= last && u < first + BUCKETS; u++) {
            if (raised[bucket(u)] > 0) {
                held.add(retry);
                return false;
            }
        }
        for (long u = first; u <= last && u < first + BUCKETS; u++) {
            pending[bucket(u)]++;
        }
        return true;
    }

    /** allow_barrier: normal I/O that {@link #enter} let in is done. */
    public synchronized void exit(long sector, long sectors) {
        long first = sector >>> UNIT_SHIFT;
        long last = (sector + Math.max(sectors, 1) - 1) >>> UNIT_SHIFT;
        boolean drained = false;
        for (long u = first; u <= last && u < first + BUCKETS; u++) {
            int b = bucket(u);
            if (--pending[b] == 0 && raised[b] > 0) {
                drained = true;
            }
        }
        if (drained) {
            notifyAll();
        }
    }

    /**
     * raise_barrier: holds back new normal I/O on the window and waits until the I/O in flight there has ended.
     * Barriers may overlap (the sync thread and the error handler); each raise needs its {@link #lower}.
     */
    public void raise(long sector, long sectors) throws InterruptedException {
        synchronized (this) {
            forEachBucket(sector, sectors, b -> raised[b]++);
            try {
                while (anyPending(sector, sectors)) {
                    wait();
                }
                return;
            } catch (InterruptedException e) {
                forEachBucket(sector, sectors, b -> raised[b]--);
            }
        }
        releaseHeld();
        throw new InterruptedException();
    }

    /** lower_barrier: lets normal I/O on the window go again; I/O held back is re-run here, on this thread. */
    public void lower(long sector, long sectors) {
        synchronized (this) {
            forEachBucket(sector, sectors, b -> raised[b]--);
        }
        releaseHeld();
    }

    /** Normal I/O in flight anywhere (for quiesce and tests). */
    public synchronized int pending() {
        int n = 0;
        for (int p : pending) {
            n += p;
        }
        return n;
    }

    private void releaseHeld() {
        List<Runnable> retries;
        synchronized (this) {
            retries = new ArrayList<>(held);
            held.clear();
        }
        for (Runnable r : retries) {
            r.run();
        }
    }

    private boolean anyPending(long sector, long sectors) {
        boolean[] any = new boolean[1];
        forEachBucket(sector, sectors, b -> any[0] |= pending[b] > 0);
        return any[0];
    }

    private static void forEachBucket(long sector, long sectors, java.util.function.IntConsumer action) {
        long first = sector >>> UNIT_SHIFT;
        long last = (sector + Math.max(sectors, 1) - 1) >>> UNIT_SHIFT;
        if (sectors == Long.MAX_VALUE || last - first + 1 >= BUCKETS) {
            for (int b = 0; b < BUCKETS; b++) {
                action.accept(b);
            }
            return;
        }
        for (long u = first; u <= last; u++) {
            action.accept(bucket(u));
        }
    }

    private static int bucket(long unit) {
        return (int) Long.remainderUnsigned(unit, BUCKETS);
    }
}
