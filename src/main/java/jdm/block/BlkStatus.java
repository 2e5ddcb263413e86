package jdm.block;

/**
 * Completion status of a {@link Bio}, the kernel's {@code blk_status_t} with its {@code blk_errors[]} table
 * (block/blk-core.c): each status carries the errno the kernel maps it to ({@code blk_status_to_errno}) and the
 * kernel's name for it ("critical medium" for MEDIUM), so front ends translate in one place.
 *
 * <p>MEDIUM (a media error: the sectors are unreadable) is apart from IOERR so that md can fail a member on it,
 * and DM_REQUEUE is dm's internal "try again after resume", which never leaves a mapped device. INVAL and PERM are
 * jdm's own (the kernel fails such bios as IOERR or catches them before the bio exists): they report a request
 * that is malformed or writes a read-only device.
 */
public enum BlkStatus {
    OK(Errno.OK, ""),
    NOTSUPP(Errno.EOPNOTSUPP, "operation not supported"),
    TIMEOUT(Errno.ETIMEDOUT, "timeout"),
    NOSPC(Errno.ENOSPC, "critical space allocation"),
    TRANSPORT(Errno.ENOLINK, "recoverable transport"),
    TARGET(Errno.EREMOTEIO, "critical target"),
    NEXUS(Errno.EBADE, "critical nexus"),
    MEDIUM(Errno.ENODATA, "critical medium"),
    PROTECTION(Errno.EILSEQ, "protection"),
    RESOURCE(Errno.ENOMEM, "kernel resource"),
    DEV_RESOURCE(Errno.EBUSY, "device resource"),
    AGAIN(Errno.EAGAIN, "nonblocking retry"),
    OFFLINE(Errno.ENODEV, "device offline"),
    DM_REQUEUE(Errno.EREMCHG, "dm internal retry"),
    INVAL(Errno.EINVAL, "invalid request"),
    PERM(Errno.EPERM, "write to read-only device"),
    IOERR(Errno.EIO, "I/O");

    private final int errno;
    private final String kernelName;

    BlkStatus(int errno, String kernelName) {
        this.errno = errno;
        this.kernelName = kernelName;
    }

    /** The Linux errno for this status (0 for OK): blk_status_to_errno. */
    public int errno() {
        return errno;
    }

    /** strerror(errno). */
    public String text() {
        return Errno.strerror(errno);
    }

    /** The kernel's name, as in its "... error, dev ..." log line: "critical medium", "I/O". */
    public String kernelName() {
        return kernelName;
    }

    public boolean ok() {
        return this == OK;
    }

    /** errno_to_blk_status: the status for an errno, IOERR for any the table does not name. */
    public static BlkStatus ofErrno(int errno) {
        for (BlkStatus s : values()) {
            if (s.errno == errno && s != INVAL && s != PERM) {
                return s;
            }
        }
        return switch (errno) {
            case Errno.EINVAL -> INVAL;
            case Errno.EPERM, Errno.EROFS -> PERM;
            default -> IOERR;
        };
    }
}
