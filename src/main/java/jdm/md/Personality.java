package jdm.md;

import jdm.block.Bio;

/**
 * One array's running personality (md's {@code mddev->pers} with its {@code private_data}, the "conf"): how array
 * sectors map onto members, what happens when a member fails, how the sync thread's work is done. Built by
 * {@link PersonalityType.Factory#run}. The core ({@link Mddev}) sends FLUSH to the members itself, checks ranges
 * and read-only state, and calls {@link #makeRequest} for everything else.
 *
 * <p>Member I/O goes through {@link Rdev#bio}; a member I/O error is reported with {@link Mddev#error(Rdev)}
 * (md_error), which asks {@link #error} whether the member can be failed.
 */
public interface Personality {
    /** The array's size in sectors as this personality computes it from the geometry (pers->size). */
    long arraySectors();

    /**
     * pers->make_request: one READ, WRITE, DISCARD or WRITE_ZEROES bio in array sectors, inside the array. Ends it
     * exactly once, on any thread.
     */
    void makeRequest(Bio bio);

    /**
     * pers->error_handler: {@code rdev} failed an I/O. Marks it faulty and returns true when the array can go on
     * without it; returns false when it cannot be failed (raid0 and linear; the last working copy of raid1), in which
     * case the failed I/O just fails, as in the kernel.
     */
    boolean error(Rdev rdev);

    /** Members the array runs without (mddev->degraded): missing roles plus faulty members still in a role. */
    int degraded();

    /**
     * pers->status: what /proc/mdstat prints after the size on the array's second line, e.g. for raid5
     * {@code "level 5, 64k chunk, algorithm 2 [3/3] [UUU]"}, raid1 {@code "[2/2] [UU]"}, raid0 {@code "64k chunks"}.
     */
    String status();

    /**
     * pers->sync_request: does one piece of {@code action} at array-relative sync position {@code sector} (member
     * sectors for raid1/10/4/5/6, as md's resync counts them), at most {@code maxSectors}; blocks until its writes
     * are done and returns the sectors it covered (> 0). Counts mismatches found by CHECK/REPAIR into
     * {@code mismatches} (in sectors, as mismatch_cnt). Normal I/O to the same range waits or is ordered around it.
     * Personalities without redundancy throw UnsupportedOperationException.
     */
    default long syncRequest(long sector, long maxSectors, SyncAction action, java.util.concurrent.atomic.AtomicLong
            mismatches) throws InterruptedException {
        throw new UnsupportedOperationException("no redundancy to sync");
    }

    /** The sectors the sync thread walks for action (md's max_sectors: dev_sectors, or the array size for raid0). */
    default long syncSectors(SyncAction action) {
        return 0;
    }

    /**
     * pers->hot_add_disk: takes a spare into a missing (or replacement) role; true when it did, and then recovery
     * rebuilds it from {@code spare.recoveryOffset()}.
     */
    default boolean hotAdd(Rdev spare) {
        return false;
    }

    /** pers->hot_remove_disk: lets go of a faulty or spare member; false while it is still in use. */
    default boolean hotRemove(Rdev rdev) {
        return true;
    }

    /** pers->spare_active: after a recovery pass, marks the recovered members in sync; returns how many. */
    default int spareActive() {
        return 0;
    }

    /**
     * pers->quiesce: with true, waits until no I/O is in flight and holds new I/O back; with false, lets it go on.
     * Used around reconfiguration (adding members, reshape, stop).
     */
    default void quiesce(boolean hold) throws InterruptedException {
    }

    /** pers->free: releases what run built (threads, caches). Members are the core's to close. */
    default void stop() {
    }
}
