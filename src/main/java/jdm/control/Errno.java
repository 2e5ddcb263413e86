package jdm.control;

/**
 * The errno values control replies carry, with glibc's strerror text: what dmsetup prints after
 * "device-mapper: ... ioctl on NAME failed:". Kept for the control layer's callers; the values and texts live once
 * in {@link jdm.block.Errno}.
 */
public final class Errno {
    public static final int EPERM = jdm.block.Errno.EPERM;
    public static final int ENOENT = jdm.block.Errno.ENOENT;
    public static final int EINTR = jdm.block.Errno.EINTR;
    public static final int EIO = jdm.block.Errno.EIO;
    public static final int ENXIO = jdm.block.Errno.ENXIO;
    public static final int ENOMEM = jdm.block.Errno.ENOMEM;
    public static final int EBUSY = jdm.block.Errno.EBUSY;
    public static final int EEXIST = jdm.block.Errno.EEXIST;
    public static final int ENODEV = jdm.block.Errno.ENODEV;
    public static final int EINVAL = jdm.block.Errno.EINVAL;
    public static final int ENOTTY = jdm.block.Errno.ENOTTY;
    public static final int ENOSPC = jdm.block.Errno.ENOSPC;
    public static final int EROFS = jdm.block.Errno.EROFS;
    public static final int ERANGE = jdm.block.Errno.ERANGE;
    public static final int ENOTSUP = jdm.block.Errno.ENOTSUP;
    public static final int ETIMEDOUT = jdm.block.Errno.ETIMEDOUT;

    private Errno() {
    }

    /** strerror(errno) as glibc words it. */
    public static String strerror(int errno) {
        return jdm.block.Errno.strerror(errno);
    }
}
