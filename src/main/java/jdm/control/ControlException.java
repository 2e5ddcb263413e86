package jdm.control;

/**
 * A control operation the daemon refused: the errno the kernel's ioctl would fail with, the ioctl that failed (dm's
 * names: "create", "reload", "remove", "suspend", "resume", "table", "status", "message", ...), and the daemon's
 * reason, which the kernel would only have logged.
 */
public final class ControlException extends Exception {
    private final int errno;
    private final String ioctl;
    private final DevNo device;

    public ControlException(int errno, String ioctl, String message) {
        this(errno, ioctl, message, null);
    }

    /**
     * @param device the device number the failed ioctl named, when it named one (libdm prints it: the reload
     *               step of a create addresses the new device by number)
     */
    public ControlException(int errno, String ioctl, String message, DevNo device) {
        super(message);
        this.errno = errno;
        this.ioctl = ioctl;
        this.device = device;
    }

    /** The device number the failed ioctl addressed, or null when it addressed the device by name only. */
    public DevNo device() {
        return device;
    }

    public int errno() {
        return errno;
    }

    /** The dm ioctl that failed. */
    public String ioctl() {
        return ioctl;
    }

    /** strerror(errno). */
    public String errnoText() {
        return Errno.strerror(errno);
    }

    /** The daemon's reason: what the kernel logs to dmesg. */
    public String reason() {
        return getMessage();
    }
}
