package jdm.block;

/**
 * One reference to a device a {@link DeviceProvider} resolved: the device, the number it goes by
 * ("major:minor", as tables print it), and {@link #close()} to let go of it. Close exactly once.
 */
public interface HeldDevice extends AutoCloseable {
    BlockDevice device();

    int major();

    int minor();

    /** Drops this reference; the provider closes the device when it was the last. */
    @Override
    void close();
}
