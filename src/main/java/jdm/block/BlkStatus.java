package jdm.block;

/**
 * Completion status of a {@link Bio}, the kernel's {@code blk_status_t}. Each status carries the errno the kernel
 * maps it to ({@code blk_status_to_errno}), so front ends (NBD replies, CLI messages) translate in one place.
 */
public enum BlkStatus {
    OK(0, "Success"),
    NOTSUPP(95, "Operation not supported"),
    NOSPC(28, "No space left on device"),
    INVAL(22, "Invalid argument"),
    PERM(1, "Operation not permitted"),
    IOERR(5, "Input/output error");

    private final int errno;
    private final String text;

    BlkStatus(int errno, String text) {
        this.errno = errno;
        this.text = text;
    }

    /** The Linux errno for this status (0 for OK). */
    public int errno() {
        return errno;
    }

    /** strerror(errno). */
    public String text() {
        return text;
    }

    public boolean ok() {
        return this == OK;
    }
}
