package jdm.md;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One pass of one sync action over one array, on its own thread: md.c's md_do_sync. It walks the personality's
 * sync range from {@code fromSector} in windows of {@link #WINDOW_SECTORS}, each done by
 * {@link Personality#syncRequest}, and
 * <ul>
 * <li>throttles as md does: over the recent speed (the last ~30 s, {@link SyncMarks}) it sleeps when above
 * sync_speed_max, and also when above sync_speed_min while normal I/O reached the array since the last window
 * (is_mddev_idle), so normal I/O wins over sync beyond the minimum;</li>
 * <li>checkpoints progress through {@link Host#checkpoint} whenever it advanced 1/16 of the range or 5 s passed
 * since the last one, and when interrupted, so a restart continues close to where it stopped;</li>
 * <li>with a write-intent {@link Bitmap}, resyncs only the bitmap's dirty regions (md_bitmap_start_sync skips clean
 * chunks) and lets each region's bits clear once it is synced.</li>
 * </ul>
 * {@link #interrupt()} stops it at the next window; {@link Host#finished} is called once, at the end, on this thread.
 */
public final class SyncThread {
    /** What the array's lifecycle gives the sync thread and learns from it. */
    public interface Host {
        /** The effective sync_speed_min in KiB/s (the array's or the global speed_limit_min, default 1000). */
        long speedMinKibs();

        /** The effective sync_speed_max in KiB/s (the array's or the global speed_limit_max, default 200000). */
        long speedMaxKibs();

        /** Persists progress: every sector before {@code position} is done (resync_offset / recovery_offset). */
        void checkpoint(SyncAction action, long position);

        /** The pass ended (md_reap_sync_thread): completed, or stopped at position. */
        void finished(SyncAction action, long position, boolean completed);
    }

    /** Sectors per syncRequest call: 1 MiB, what md keeps in flight per step order of magnitude. */
    public static final long WINDOW_SECTORS = 2048;
    /** md_do_sync's msleep(500) when over the limit. */
    static final long THROTTLE_SLEEP_MILLIS = 500;
    /** A checkpoint at least this often (besides every 1/16 of the range). */
    static final long CHECKPOINT_NANOS = 5_000_000_000L;
    /** is_mddev_idle: more than this many sectors of normal I/O since the last look means busy. */
    static final long IDLE_SLACK_SECTORS = 64;

    private final Mddev mddev;
    private final SyncAction action;
    private final long from;
    private final long total;
    private final Host host;
    private final List<long[]> regions;
    private final long windowSectors;
    private final AtomicLong mismatches = new AtomicLong();
    private final Object sleeper = new Object();
    private final Thread thread;
    private volatile SyncMarks marks;
    private volatile long position;
    private volatile boolean interrupted;
    private volatile boolean done;
    private long lastIo;

    private SyncThread(Mddev mddev, SyncAction action, long fromSector, Host host, List<long[]> regions,
            long windowSectors) {
        this.mddev = mddev;
        this.action = action;
        this.total = mddev.personality().syncSectors(action);
        this.from = Math.max(0, Math.min(fromSector, total));
        this.position = from;
        this.host = host;
        this.regions = regions;
        this.windowSectors = windowSectors;
        this.marks = new SyncMarks(System.nanoTime());
        this.thread = Thread.ofPlatform().daemon(true).name(mddev.name() + "_resync").unstarted(this::run);
    }

    /**
     * Starts a pass. A RESYNC of an array with a write-intent {@link Bitmap} covers only the bitmap's dirty regions;
     * everything else covers the whole range from {@code fromSector}.
     */
    public static SyncThread start(Mddev mddev, SyncAction action, long fromSector, Host host) {
        List<long[]> regions = null;
        if (action == SyncAction.RESYNC && mddev.writeIntent() instanceof Bitmap b) {
            regions = b.dirtyRegions();
        }
        return start(mddev, action, fromSector, host, regions, WINDOW_SECTORS);
    }

    /**
     * Starts a pass over only {@code regions} ({sector, sectors} in sync sectors, ascending; null for the whole
     * range) in windows of {@code windowSectors}: a recovery of a re-added member passes
     * {@link Bitmap#recoveryRegions} here (null, a full recovery, when the bitmap cannot tell what changed).
     */
    public static SyncThread start(Mddev mddev, SyncAction action, long fromSector, Host host, List<long[]> regions,
            long windowSectors) {
        if (windowSectors < 1) {
            throw new IllegalArgumentException("window of " + windowSectors + " sectors");
        }
        SyncThread t = new SyncThread(mddev, action, fromSector, host,
                regions == null ? null : List.copyOf(regions), windowSectors);
        t.thread.start();
        return t;
    }

    public SyncAction action() {
        return action;
    }

    /** sync_completed's first number: every sector before it is done (or skipped as clean). */
    public long position() {
        return position;
    }

    /** sync_completed's second number: the sectors this action walks (the personality's max_sectors). */
    public long total() {
        return total;
    }

    /** sync_speed: KiB/s over the recent marks. */
    public long speedKibs() {
        return marks.speedKibs(System.nanoTime());
    }

    /** Sectors synced by this pass so far (skipped clean regions not counted). */
    public long syncedSectors() {
        return marks.done();
    }

    /** mismatch_cnt: sectors found inconsistent by CHECK or REPAIR (and by RESYNC, as md counts them). */
    public long mismatches() {
        return mismatches.get();
    }

    /** The finish estimate in seconds at the recent speed (status_resync). */
    public long finishSeconds() {
        return marks.finishSeconds(System.nanoTime(), total - position);
    }

    /** mdstat's "finish=1.2min" value. */
    public String finishText() {
        return SyncMarks.finishText(finishSeconds());
    }

    /** Whether the pass has ended (finished was called). */
    public boolean done() {
        return done;
    }

    /** Stops the pass at the next window boundary (sync_action frozen/idle, stop); it checkpoints on the way out. */
    public void interrupt() {
        interrupted = true;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
    }

    /** Waits for the pass to end; returns at once when called from the pass itself (its Host's callbacks). */
    public void await() throws InterruptedException {
        if (Thread.currentThread() != thread) {
            thread.join();
        }
    }

    private void run() {
        boolean completed = false;
        List<long[]> covered = new ArrayList<>();
        try {
            marks = new SyncMarks(System.nanoTime());
            lastIo = mddev.ioSectors();
            completed = walk(covered);
        } catch (InterruptedException e) {
            interrupted = true;
        } catch (RuntimeException e) {
            mddev.log("md: " + mddev.name() + ": " + action.sysfsName() + " stopped: " + e);
        }
        long end = completed ? total : position;
        if (!completed) {
            host.checkpoint(action, end);
        }
        try {
            host.finished(action, end, completed);
        } finally {
            // a recovery's regions are clean once the recovered members are active (after finished: spare_active);
            // a whole-range recovery (resumed or not) leaves every chunk consistent
            if (completed && action == SyncAction.RECOVER && mddev.writeIntent() instanceof Bitmap b) {
                if (regions == null) {
                    b.clearRegion(0, b.syncSectors());
                } else {
                    for (long[] r : covered) {
                        b.clearRegion(r[0], r[1]);
                    }
                }
            }
            done = true;
        }
    }

    /** The pass itself; returns whether it reached the end. */
    private boolean walk(List<long[]> covered) throws InterruptedException {
        Personality pers = mddev.personality();
        Bitmap bitmap = mddev.writeIntent() instanceof Bitmap b ? b : null;
        boolean clearsBitmap = bitmap != null && (action == SyncAction.RESYNC || action == SyncAction.REPAIR);
        long checkpointed = position;
        long checkpointTime = System.nanoTime();
        List<long[]> todo = regions != null ? regions : List.of(new long[] {0, total});
        for (long[] region : todo) {
            long start = Math.max(region[0], from);
            long end = Math.min(region[0] + region[1], total);
            if (start >= end) {
                continue;
            }
            position = Math.max(position, start);
            long j = start;
            while (j < end) {
                if (interrupted || !throttle()) {
                    return false;
                }
                long n = pers.syncRequest(j, Math.min(windowSectors, end - j), action, mismatches);
                if (n <= 0) {
                    mddev.log("md: " + mddev.name() + ": " + action.sysfsName() + " made no progress at " + j);
                    return false;
                }
                j = Math.min(end, j + n);
                long now = System.nanoTime();
                marks.add(now, n);
                position = j;
                if (j - checkpointed > total / 16 || now - checkpointTime >= CHECKPOINT_NANOS) {
                    host.checkpoint(action, j);
                    checkpointed = j;
                    checkpointTime = now;
                }
            }
            covered.add(new long[] {start, end - start});
            if (clearsBitmap) {
                bitmap.clearRegion(start, end - start);
            }
        }
        position = total;
        return true; // an interrupt after the last window comes too late to matter
    }

    /**
     * md_do_sync's speed check before each window: above sync_speed_max, or above sync_speed_min while the array is
     * busy, sleep and look again. Returns false when interrupted meanwhile.
     */
    private boolean throttle() throws InterruptedException {
        while (!interrupted) {
            long speed = marks.throttleKibs(System.nanoTime());
            if (speed <= host.speedMinKibs()) {
                return true;
            }
            if (speed <= host.speedMaxKibs() && idle()) {
                return true;
            }
            synchronized (sleeper) {
                if (!interrupted) {
                    sleeper.wait(THROTTLE_SLEEP_MILLIS);
                }
            }
        }
        return false;
    }

    /** is_mddev_idle: no more than a little normal I/O reached the array since the last look. */
    private boolean idle() {
        long io = mddev.ioSectors();
        if (io - lastIo > IDLE_SLACK_SECTORS) {
            lastIo = io;
            return false;
        }
        return true;
    }
}
