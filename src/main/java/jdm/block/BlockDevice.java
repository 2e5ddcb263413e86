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

    /** Releases the device's resources; bios already ended are unaffected. */
    @Override
    default void close() {
    }
}
