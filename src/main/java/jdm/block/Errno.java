package jdm.block;

/**
 * The Linux errno values jdm uses, each with glibc's strerror text, written once: block statuses, dm and control
 * replies (what dmsetup prints after "ioctl on NAME failed:") and NBD errors all take them from here. Values are
 * the x86-64/generic Linux ones (include/uapi/asm-generic/errno-base.h, errno.h).
 */
public final class Errno {
    public static final int OK = 0;
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENOTTY = 25;
    public static final int EFBIG = 27;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int ERANGE = 34;
    public static final int EBADE = 52;
    public static final int ENODATA = 61;
    public static final int ENOLINK = 67;
    public static final int EOVERFLOW = 75;
    public static final int EREMCHG = 78;
    public static final int EILSEQ = 84;
    public static final int EOPNOTSUPP = 95;
    /** Linux's ENOTSUP is EOPNOTSUPP. */
    public static final int ENOTSUP = EOPNOTSUPP;
    public static final int ESHUTDOWN = 108;
    public static final int ETOOMANYREFS = 109;
    public static final int ETIMEDOUT = 110;
    public static final int EREMOTEIO = 121;
    public static final int EDQUOT = 122;

    private static final int[] KNOWN = {EPERM, ENOENT, EINTR, EIO, ENXIO, EAGAIN, ENOMEM, EBUSY, EEXIST, ENODEV,
        EINVAL, ENOTTY, EFBIG, ENOSPC, EROFS, ERANGE, EBADE, ENODATA, ENOLINK, EOVERFLOW, EREMCHG, EILSEQ,
        EOPNOTSUPP, ESHUTDOWN, ETOOMANYREFS, ETIMEDOUT, EREMOTEIO, EDQUOT};

    private Errno() {
    }

    /**
     * The errno whose strerror text is exactly {@code text}, or -1. The JDK reports a failed system call as an
     * IOException whose whole message is strerror(errno); this recovers the errno from it (an exact match against
     * the table above, not a search for words).
     */
    public static int ofStrerror(String text) {
        if (text != null) {
            for (int e : KNOWN) {
                if (strerror(e).equals(text)) {
                    return e;
                }
            }
        }
        return -1;
    }

    /** strerror(errno) as glibc words it; "Unknown error N" otherwise, as glibc. */
    public static String strerror(int errno) {
        return switch (errno) {
            case OK -> "Success";
            case EPERM -> "Operation not permitted";
            case ENOENT -> "No such file or directory";
            case EINTR -> "Interrupted system call";
            case EIO -> "Input/output error";
            case ENXIO -> "No such device or address";
            case EAGAIN -> "Resource temporarily unavailable";
            case ENOMEM -> "Cannot allocate memory";
            case EBUSY -> "Device or resource busy";
            case EEXIST -> "File exists";
            case ENODEV -> "No such device";
            case EINVAL -> "Invalid argument";
            case ENOTTY -> "Inappropriate ioctl for device";
            case EFBIG -> "File too large";
            case ENOSPC -> "No space left on device";
            case EROFS -> "Read-only file system";
            case ERANGE -> "Numerical result out of range";
            case EBADE -> "Invalid exchange";
            case ENODATA -> "No data available";
            case ENOLINK -> "Link has been severed";
            case EOVERFLOW -> "Value too large for defined data type";
            case EREMCHG -> "Remote address changed";
            case EILSEQ -> "Invalid or incomplete multibyte or wide character";
            case EOPNOTSUPP -> "Operation not supported";
            case ESHUTDOWN -> "Cannot send after transport endpoint shutdown";
            case ETOOMANYREFS -> "Too many references: cannot splice";
            case ETIMEDOUT -> "Connection timed out";
            case EREMOTEIO -> "Remote I/O error";
            case EDQUOT -> "Disk quota exceeded";
            default -> "Unknown error " + errno;
        };
    }
}
