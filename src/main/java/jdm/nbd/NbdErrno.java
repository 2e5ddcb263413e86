package jdm.nbd;

import jdm.block.BlkStatus;
import jdm.block.Errno;

/**
 * The NBD error values of a simple reply (proto.md "Error values") and the one place that maps a bio's
 * {@link BlkStatus} to them. The values equal the common Linux errnos, but the spec fixes them, so unknown errnos
 * must not leak through: anything unrecognised becomes EINVAL, which clients treat as a plain failure.
 */
final class NbdErrno {
    private NbdErrno() {
    }

    static final int OK = Errno.OK;
    static final int EPERM = Errno.EPERM;
    static final int EIO = Errno.EIO;
    static final int ENOMEM = Errno.ENOMEM;
    static final int EINVAL = Errno.EINVAL;
    static final int ENOSPC = Errno.ENOSPC;
    static final int EOVERFLOW = Errno.EOVERFLOW;
    static final int ENOTSUP = Errno.ENOTSUP;
    static final int ESHUTDOWN = Errno.ESHUTDOWN;

    /**
     * The NBD error for a completed bio. ENOTSUP is only allowed in answer to a fast-zero request, which this server
     * does not advertise, so an unsupported operation is reported as EINVAL (as nbdkit does).
     */
    static int of(BlkStatus status) {
        return switch (status.errno()) {
            case Errno.OK -> OK;
            case Errno.EPERM, Errno.EROFS -> EPERM;
            case Errno.EIO, Errno.ENODATA, Errno.EREMOTEIO, Errno.EILSEQ, Errno.ENOLINK, Errno.EBADE,
                 Errno.ETIMEDOUT, Errno.ENODEV, Errno.EREMCHG -> EIO; // the kernel's I/O failures
            case Errno.ENOMEM, Errno.EAGAIN, Errno.EBUSY -> ENOMEM; // transient: the client may retry
            case Errno.ENOSPC, Errno.EFBIG, Errno.EDQUOT -> ENOSPC; // the spec asks for ENOSPC
            case Errno.ESHUTDOWN -> ESHUTDOWN;
            default -> EINVAL;            // EINVAL, ENOTSUP (see above), anything unknown
        };
    }
}
