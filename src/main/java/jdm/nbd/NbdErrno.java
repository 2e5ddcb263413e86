package jdm.nbd;

import jdm.block.BlkStatus;

/**
 * The NBD error values of a simple reply (proto.md "Error values") and the one place that maps a bio's
 * {@link BlkStatus} to them. The values equal the common Linux errnos, but the spec fixes them, so unknown errnos
 * must not leak through: anything unrecognised becomes EINVAL, which clients treat as a plain failure.
 */
final class NbdErrno {
    private NbdErrno() {
    }

    static final int OK = 0;
    static final int EPERM = 1;
    static final int EIO = 5;
    static final int ENOMEM = 12;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EOVERFLOW = 75;
    static final int ENOTSUP = 95;
    static final int ESHUTDOWN = 108;

    /**
     * The NBD error for a completed bio. ENOTSUP is only allowed in answer to a fast-zero request, which this server
     * does not advertise, so an unsupported operation is reported as EINVAL (as nbdkit does).
     */
    static int of(BlkStatus status) {
        return switch (status.errno()) {
            case 0 -> OK;
            case 1, 30 -> EPERM;          // EPERM, EROFS
            case 5 -> EIO;
            case 12 -> ENOMEM;
            case 28, 27, 122 -> ENOSPC;   // ENOSPC, EFBIG, EDQUOT: the spec asks for ENOSPC
            case 108 -> ESHUTDOWN;
            default -> EINVAL;            // EINVAL, ENOTSUP (see above), anything unknown
        };
    }
}
