package jdm.control;

/**
 * The errno values control replies carry, with glibc's strerror text: what dmsetup prints after
 * "device-mapper: ... ioctl on NAME failed:".
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int ENOMEM = 12;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENOTTY = 25;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int ERANGE = 34;
    public static final int ENOTSUP = 95;
    public static final int ETIMEDOUT = 110;

    private Errno() {
    }

    /** strerror(errno) as glibc words it. */
    public static String strerror(int errno) {
        return switch (errno) {
            case EPERM -> "Operation not permitted";
            case ENOENT -> "No such file or directory";
            case EINTR -> "Interrupted system call";
            case EIO -> "Input/output error";
            case ENXIO -> "No such device or address";
            case ENOMEM -> "Cannot allocate memory";
            case EBUSY -> "Device or resource busy";
            case EEXIST -> "File exists";
            case ENODEV -> "No such device";
            case EINVAL -> "Invalid argument";
            case ENOTTY -> "Inappropriate ioctl for device";
            case ENOSPC -> "No space left on device";
            case EROFS -> "Read-only file system";
            case ERANGE -> "Numerical result out of range";
            case ENOTSUP -> "Operation not supported";
            case ETIMEDOUT -> "Connection timed out";
            default -> "Unknown error " + errno;
        };
    }
}
