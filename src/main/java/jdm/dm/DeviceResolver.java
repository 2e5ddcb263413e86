package jdm.dm;

/**
 * Finds the device a table word names and keeps it open while a table holds it: the kernel's dm_get_device /
 * dm_put_device. Implemented by the {@link DeviceNamespace}.
 */
public interface DeviceResolver {
    /**
     * Acquires the device named by word for a table of owner; throws with the reason (no such file, would make the
     * owner depend on itself...) as the message.
     */
    DmDev acquire(String word, boolean readOnly, MappedDevice owner) throws DmException;

    /** Releases one acquisition. */
    void release(DmDev dev);

    /**
     * Appends one line to the kernel log ("jdm dmesg"), as a target's DMERR/DMINFO would: targets reach it through
     * {@link TargetArgs#kernelLog()}. By default the line is dropped.
     */
    default void kernelLog(String line) {
    }
}
