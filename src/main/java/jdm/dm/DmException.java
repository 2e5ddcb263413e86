package jdm.dm;

import jdm.block.Errno;

/**
 * A device-mapper operation refused, with the errno the kernel's ioctl would return (EINVAL for a bad table, EBUSY
 * for a device in use, ENXIO for no such device, EEXIST for a taken name) and a sentence saying what and where.
 */
public final class DmException extends Exception {
    public static final int EPERM = Errno.EPERM;
    public static final int ENXIO = Errno.ENXIO;
    public static final int ENODEV = Errno.ENODEV;
    public static final int EBUSY = Errno.EBUSY;
    public static final int EEXIST = Errno.EEXIST;
    public static final int EINVAL = Errno.EINVAL;

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
        return Errno.strerror(errno);
    }
}
