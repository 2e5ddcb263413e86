package jdm.block;

/**
 * A device that takes {@link Bio}s: a backing file, memory, a mapped device, an md array. Sizes are in 512-byte
 * sectors. Callers submit with {@link Bio#submit()}, which resolves stacked devices iteratively; implementations
 * receive each bio in {@link #submitBio(Bio)} and must end it exactly once ({@link Bio#endio(BlkStatus)}), on any
 * thread, before or after returning.
 */
public interface BlockDevice extends AutoCloseable {
    /** A short name for messages: a path, a mapped device's name. */
    String name();

    /** Size in 512-byte sectors. */
    long sizeSectors();

    default QueueLimits limits() {
        return QueueLimits.DEFAULT;
    }

    default boolean readOnly() {
        return false;
    }

    /** Takes one bio whose range lies within the device; ends it exactly once. Not for callers: use submit(). */
    void submitBio(Bio bio);

    /**
     * Reports the allocation of [sector, sector + sectors) to sink, in order, covering the range unless the sink
     * stops early. The answer is advisory (a hint for copying and mapping tools) but must never call a range zero
     * that does not read as zeros. Returns false when the sink stopped the query. The default: all data.
     */
    default boolean extents(long sector, long sectors, ExtentSink sink) {
        return sectors <= 0 || sink.extent(sectors, 0);
    }

    /**
     * The file region [sector, sector + sectors) reads as, held as I/O in flight until the region is closed; null
     * when the range does not read as one stretch of one file (then submit a READ bio). For zero-copy sending; a
     * plain read is always correct. The default: null.
     */
    default DataRegion readRegion(long sector, int sectors) {
        return null;
    }

    /**
     * The memory a WRITE of [sector, sector + sectors) would copy its data into, for writes by reference: the
     * caller fills the buffers (in order) and closes the region; until then it is a write in flight (a suspend
     * waits for it). Null when the range has no such memory (then submit a WRITE bio): only a device whose write is
     * that copy and nothing else offers it (a RAM disk; a file, whose region is a stretch of it that the caller
     * writes itself, FUA left to it), and only targets that remap a range unchanged pass it on. The default: null.
     */
    default DataRegion writeRegion(long sector, int sectors) {
        return null;
    }

    /** Releases the device's resources; bios already ended are unaffected. */
    @Override
    default void close() {
    }
}
