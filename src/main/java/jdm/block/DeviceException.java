package jdm.block;

/** A device a word names cannot be provided: the {@link Errno} the kernel would return (ENXIO, ENODEV, EPERM...) and why. */
public final class DeviceException extends Exception {
    private final int errno;

    public DeviceException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
