package jdm.md;

import jdm.block.Errno;

/** An md operation refused or failed: the errno the kernel (or mdadm's ioctl) would return and why. */
public final class MdException extends Exception {
    private final int errno;

    public MdException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    public static MdException invalid(String message) {
        return new MdException(Errno.EINVAL, message);
    }

    public static MdException busy(String message) {
        return new MdException(Errno.EBUSY, message);
    }
}
