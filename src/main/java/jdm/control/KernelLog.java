package jdm.control;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The daemon's stand-in for the kernel's ring buffer: what dm would log with DMERR/DMWARN ("device-mapper: table:
 * 253:0: striped: Target length not divisible by chunk size") when an ioctl fails. dmsetup itself prints only libdm's
 * "ioctl ... failed" line; these reasons are read with "jdm dmesg" as the kernel's are with dmesg.
 *
 * <p>Bounded like the kernel's log_buf: when the next line would pass {@link #CAPACITY_BYTES}, the oldest go. Each
 * line carries the time since the log was created, printed as dmesg does ("[    1.234567] ").
 */
public final class KernelLog {
    /** The kernel's default log_buf size (CONFIG_LOG_BUF_SHIFT=17 on Debian). */
    static final int CAPACITY_BYTES = 128 * 1024;

    private record Line(long nanos, String text) {
    }

    private final long startNanos = System.nanoTime();
    private final ArrayDeque<Line> lines = new ArrayDeque<>();
    private int bytes;

    /** Appends one line (without its newline); a line longer than the whole buffer keeps its tail only. */
    public synchronized void log(String text) {
        if (text.length() > CAPACITY_BYTES / 2) {
            text = text.substring(text.length() - CAPACITY_BYTES / 2);
        }
        Line l = new Line(System.nanoTime() - startNanos, text);
        lines.addLast(l);
        bytes += size(l);
        while (bytes > CAPACITY_BYTES) {
            bytes -= size(lines.removeFirst());
        }
    }

    /** The buffered lines, oldest first, each as dmesg prints it; with clear, the buffer is emptied too (dmesg -c). */
    public synchronized List<String> read(boolean clear) {
        List<String> out = new ArrayList<>(lines.size());
        for (Line l : lines) {
            long micros = l.nanos() / 1000;
            out.add(String.format("[%5d.%06d] %s", micros / 1_000_000, micros % 1_000_000, l.text()));
        }
        if (clear) {
            lines.clear();
            bytes = 0;
        }
        return out;
    }

    /** The errno's symbolic name, as the kernel's %pe prints an error pointer ("EINVAL"). */
    static String errnoName(int errno) {
        return switch (errno) {
            case Errno.EPERM -> "EPERM";
            case Errno.ENOENT -> "ENOENT";
            case Errno.EINTR -> "EINTR";
            case Errno.EIO -> "EIO";
            case Errno.ENXIO -> "ENXIO";
            case Errno.ENOMEM -> "ENOMEM";
            case Errno.EBUSY -> "EBUSY";
            case Errno.EEXIST -> "EEXIST";
            case Errno.ENODEV -> "ENODEV";
            case Errno.EINVAL -> "EINVAL";
            case Errno.ENOTTY -> "ENOTTY";
            case Errno.ENOSPC -> "ENOSPC";
            case Errno.EROFS -> "EROFS";
            default -> Integer.toString(errno);
        };
    }

    private static int size(Line l) {
        return l.text().length() + 16;
    }
}
