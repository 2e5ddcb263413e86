package jdm.block;

import java.nio.file.Path;
import java.util.List;

/**
 * Resolves a word of a table (or an md member) to a device held until released: the seam between the stacking
 * layers (dm, md) and whatever provides devices (backing files 7:N, RAM disks 1:N, md arrays 9:N). The kernel's
 * counterpart is the block layer's lookup of a path or dev_t (lookup_bdev) plus the open reference dm_get_device
 * takes. Mapped devices (253:N) are resolved by dm's own namespace before it asks its provider.
 */
@FunctionalInterface
public interface DeviceProvider {
    /** A provider that knows no words. */
    DeviceProvider NONE = (word, cwd, readOnly) -> null;

    /**
     * The device {@code word} names, held (opened, counted) until the returned hold is closed; null when the word
     * is not this provider's to resolve. A word that is this provider's but names nothing usable throws.
     *
     * @param cwd the caller's working directory, for words that are relative paths
     */
    HeldDevice acquire(String word, Path cwd, boolean readOnly) throws DeviceException;

    /** Asks each provider in turn; the first that knows the word resolves it. */
    static DeviceProvider chain(List<DeviceProvider> providers) {
        List<DeviceProvider> all = List.copyOf(providers);
        return (word, cwd, readOnly) -> {
            for (DeviceProvider p : all) {
                HeldDevice d = p.acquire(word, cwd, readOnly);
                if (d != null) {
                    return d;
                }
            }
            return null;
        };
    }
}
