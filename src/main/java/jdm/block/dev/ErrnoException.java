package jdm.block.dev;

import java.io.IOException;
import jdm.block.Errno;

/** A system call of ours failed with this errno (the JDK's own I/O reports errnos only as message text). */
final class ErrnoException extends IOException {
    private final int errno;

    ErrnoException(int errno, String call) {
        super(call + ": " + Errno.strerror(errno));
        this.errno = errno;
    }

    int errno() {
        return errno;
    }
}
