package jdm.dm;

import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.ExtentSink;
import jdm.block.QueueLimits;

/**
 * One target instance in a table, the kernel's {@code struct dm_target} with its {@code target_type} methods: built
 * by a {@link TargetType}'s constructor from table words, it maps bios, reports status, takes messages and names its
 * devices.
 *
 * <p>The core splits bios before {@link #map}, so a target only ever sees a bio inside its range and inside one
 * {@link #maxIoLenSectors()} window; the bio's sector is <em>relative to the target's start</em>. An empty FLUSH is
 * sent {@link #numFlushBios()} times, DISCARD and WRITE_ZEROES {@link #numDiscardBios()} and
 * {@link #numWriteZeroesBios()} times (unsplit by maxIoLen), each copy with its {@link Bio#targetBioNr()}.
 */
public interface Target {
    /** Maps one bio (sector relative to the target start): remap it, take it, or give a verdict. */
    MapResult map(Bio bio);

    /**
     * Called when a bio this target mapped (remapped or took) has ended, before its status reaches the original:
     * the end_io hook. The verdict says whether the status stands, the target keeps the clone to retry it, or the
     * original is to be requeued (see {@link EndIoResult}). Not called for bios the map verdict killed or requeued.
     */
    default EndIoResult endIo(Bio clone, BlkStatus status) {
        return EndIoResult.DONE;
    }

    /**
     * Reports the allocation of a target-relative range (see {@link jdm.block.BlockDevice#extents}): targets that
     * remap ask the device below; the default says data, which is always safe. Returns false when the sink stopped.
     */
    default boolean extents(long sector, long sectors, ExtentSink sink) {
        return sectors <= 0 || sink.extent(sectors, 0);
    }

    /**
     * The file region a target-relative range reads as (see {@link jdm.block.BlockDevice#readRegion}): a target
     * that maps the range unchanged onto one device asks that device; the default, null, sends reads through map.
     */
    default jdm.block.DataRegion readRegion(long sector, int sectors) {
        return null;
    }

    /** As {@link #readRegion}, for a write by reference (see {@link jdm.block.BlockDevice#writeRegion}). */
    default jdm.block.DataRegion writeRegion(long sector, int sectors) {
        return null;
    }

    /** Appends the parameters part of the status line (no start, length or type), in the kernel's exact format. */
    void status(StatusType type, StringBuilder out);

    /** Visits every device area the target maps to (bounds checks, deps, cycle detection). */
    default void iterateDevices(DeviceVisitor visitor) throws DmException {
    }

    /**
     * Adjusts the limits this target's devices stacked up (io_min, io_opt, block sizes, discard granularity, max
     * sectors): the io_hints hook, applied by the core as dm_calculate_queue_limits does.
     */
    default void ioHints(QueueLimits.Builder limits) {
    }

    /** Handles a "dmsetup message"; returns text to print or "" for none. */
    default String message(String[] argv) throws DmException {
        throw DmException.invalid("Target type does not support messages");
    }

    /** Bios are split so none crosses a multiple of this many sectors from the target start; 0 = no limit. */
    default long maxIoLenSectors() {
        return 0;
    }

    /** Copies of an empty flush the target gets (0: flushes complete at once). */
    default int numFlushBios() {
        return 1;
    }

    /**
     * True when discards must be split on the device's max discard size (set in {@link #ioHints}), counted from the
     * target start, so that each discard the target sees covers at most one of its blocks: the kernel's
     * max_discard_granularity (split_discard_bios before 6.0).
     */
    default boolean splitDiscards() {
        return false;
    }

    /** Copies of each discard the target gets (0: discards fail with EOPNOTSUPP). */
    default int numDiscardBios() {
        return 1;
    }

    /** Copies of each write-zeroes the target gets (0: fail with EOPNOTSUPP). */
    default int numWriteZeroesBios() {
        return 1;
    }

    /** Before the device is suspended (I/O may still be in flight). */
    default void presuspend() {
    }

    /** After the device is suspended and no I/O is in flight. */
    default void postsuspend() {
    }

    /**
     * Before the device resumes with this table live; may refuse (thin-pool, cache and raid commit metadata here),
     * and the device then stays suspended: the kernel's preresume.
     */
    default void preresume() throws DmException {
    }

    /** When the table becomes live or the device resumes. */
    default void resume() {
    }

    /** The table is being destroyed; devices are released by the table, not here. */
    default void close() {
    }
}
