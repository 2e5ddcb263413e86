package jdm.block;

import java.util.concurrent.atomic.AtomicBoolean;

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

    /** A hold of device as major:minor whose close runs release (once; later closes do nothing). */
    static HeldDevice of(BlockDevice device, int major, int minor, Runnable release) {
        return new HeldDevice() {
            private final AtomicBoolean closed = new AtomicBoolean();

            @Override
            public BlockDevice device() {
                return device;
            }

            @Override
            public int major() {
                return major;
            }

            @Override
            public int minor() {
                return minor;
            }

            @Override
            public void close() {
                if (closed.compareAndSet(false, true)) {
                    release.run();
                }
            }
        };
    }
}
