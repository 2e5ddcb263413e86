package jdm.dm;

/**
 * A device-mapper operation refused, with the errno the kernel's ioctl would return (EINVAL for a bad table, EBUSY
 * for a device in use, ENXIO for no such device, EEXIST for a taken name) and a sentence saying what and where.
 */
public final class DmException extends Exception {
    public static final int EPERM = 1;
    public static final int ENXIO = 6;
    public static final int ENODEV = 19;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;

    private final int errno;

    public DmException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    /** A bad table or argument: EINVAL. */
    public static DmException invalid(String message) {
        return new DmException(EINVAL, message);
    }

    public int errno() {
        return errno;
    }

    /** strerror(errno) as dmsetup prints it after "ioctl on NAME failed:". */
    public String errnoText() {
        return switch (errno) {
            case EPERM -> "Operation not permitted";
            case ENXIO -> "No such device or address";
            case ENODEV -> "No such device";
            case EBUSY -> "Device or resource busy";
            case EEXIST -> "File exists";
            default -> "Invalid argument";
        };
    }
}
