package jdm.md;

/**
 * md_do_sync's speed marks: a ring of {@value #MARKS} (time, sectors done) marks stepped every 3 s, so the speed is
 * measured over the last ~30 s ({@code resync_mark} / {@code resync_mark_cnt} are the oldest mark). Whole seconds,
 * as the kernel counts jiffies / HZ. Not thread-safe for writers: the sync thread steps it; readers see volatile
 * snapshots.
 */
final class SyncMarks {
    static final int MARKS = 10;
    static final long STEP_NANOS = 3_000_000_000L;
    private static final long SECOND = 1_000_000_000L;

    private final long[] markTime = new long[MARKS];
    private final long[] markCount = new long[MARKS];
    private int last;
    private volatile long resyncMark;
    private volatile long resyncMarkCount;
    private volatile long done;

    SyncMarks(long now) {
        java.util.Arrays.fill(markTime, now);
        resyncMark = now;
    }

    /** Sectors of sync I/O done so far (md's io_sectors / curr_mark_cnt). */
    long done() {
        return done;
    }

    /** Counts sectors done and steps the marks when the newest is 3 s old. */
    void add(long now, long sectors) {
        done += sectors;
        if (now - markTime[last] >= STEP_NANOS) {
            int next = (last + 1) % MARKS;
            resyncMark = markTime[next];
            resyncMarkCount = markCount[next];
            markTime[next] = now;
            markCount[next] = done;
            last = next;
        }
    }

    /** The speed md_do_sync throttles by: KiB/s since the oldest mark, over (seconds + 1), plus one. */
    long throttleKibs(long now) {
        long seconds = (now - resyncMark) / SECOND;
        return (done - resyncMarkCount) / 2 / (seconds + 1) + 1;
    }

    /** sync_speed: KiB/s since the oldest mark (at least one second). */
    long speedKibs(long now) {
        long dt = Math.max(1, (now - resyncMark) / SECOND);
        return (done - resyncMarkCount) / dt / 2;
    }

    /**
     * status_resync's finish estimate in seconds for {@code remaining} sectors at the recent speed (db scaled by
     * 32 so the estimate stays precise near the end; +1 so it never divides by zero).
     */
    long finishSeconds(long now, long remaining) {
        long dt = Math.max(1, (now - resyncMark) / SECOND);
        long db = Math.max(0, done - resyncMarkCount);
        long rt = remaining / (db / 32 + 1);
        return rt * dt >> 5;
    }

    /** mdstat's "finish=%lu.%lumin" text for a finish estimate in seconds, e.g. "12.3min". */
    static String finishText(long seconds) {
        return seconds / 60 + "." + (seconds % 60) / 6 + "min";
    }
}
