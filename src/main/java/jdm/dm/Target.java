package jdm.dm;

import jdm.block.BlkStatus;
import jdm.block.Bio;

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

    /** Called when a bio this target remapped has ended, before the status reaches the original: the end_io hook. */
    default void endIo(Bio bio, BlkStatus status) {
    }

    /** Appends the parameters part of the status line (no start, length or type), in the kernel's exact format. */
    void status(StatusType type, StringBuilder out);

    /** Visits every device area the target maps to (bounds checks, deps, cycle detection). */
    default void iterateDevices(DeviceVisitor visitor) throws DmException {
    }

    /**
     * The optimal I/O size this target asks for in bytes, 0 for no preference: io_opt of its io_hints (striped: chunk
     * x stripes). Stacked with the lower devices' by the mapped device for its read-ahead.
     */
    default long optimalIoBytes() {
        return 0;
    }

    /** Handles a "dmsetup message"; returns text to print or "" for none. */
    default String message(String[] argv) throws DmException {
        throw DmException.invalid("Target does not support messages");
    }

    /** Bios are split so none crosses a multiple of this many sectors from the target start; 0 = no limit. */
    default long maxIoLenSectors() {
        return 0;
    }

    /** Copies of an empty flush the target gets (0: flushes complete at once). */
    default int numFlushBios() {
        return 1;
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

    /** When the table becomes live or the device resumes. */
    default void resume() {
    }

    /** The table is being destroyed; devices are released by the table, not here. */
    default void close() {
    }
}
