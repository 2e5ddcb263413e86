package jdm.block.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import jdm.block.BlkStatus;
import jdm.block.Errno;
import org.junit.jupiter.api.Test;

/** How file I/O failures become bio statuses: by errno or exception type, in one place. */
class FileDeviceStatusTest {
    @Test
    void errnosFromOurOwnCallsMapByValue() {
        assertThat(FileDevice.statusOf(new ErrnoException(Errno.ENOSPC, "fallocate"))).isEqualTo(BlkStatus.NOSPC);
        assertThat(FileDevice.statusOf(new ErrnoException(Errno.EDQUOT, "fallocate"))).isEqualTo(BlkStatus.NOSPC);
        assertThat(FileDevice.statusOf(new ErrnoException(Errno.EIO, "fallocate"))).isEqualTo(BlkStatus.IOERR);
        assertThat(FileDevice.statusOf(new ErrnoException(Errno.ENODATA, "read"))).isEqualTo(BlkStatus.MEDIUM);
    }

    @Test
    void theJdksStrerrorMessagesMapToTheirErrnoExactly() {
        assertThat(FileDevice.statusOf(new IOException("No space left on device"))).isEqualTo(BlkStatus.NOSPC);
        assertThat(FileDevice.statusOf(new IOException("Disk quota exceeded"))).isEqualTo(BlkStatus.NOSPC);
        assertThat(FileDevice.statusOf(new IOException("Input/output error"))).isEqualTo(BlkStatus.IOERR);
        // words inside another message are not an errno
        assertThat(FileDevice.statusOf(new IOException("oops: No space left on device here")))
                .isEqualTo(BlkStatus.IOERR);
        assertThat(FileDevice.statusOf(new IOException((String) null))).isEqualTo(BlkStatus.IOERR);
    }

    @Test
    void exceptionTypesMapToo() {
        assertThat(FileDevice.statusOf(new ClosedChannelException())).isEqualTo(BlkStatus.OFFLINE);
        assertThat(FileDevice.statusOf(new AccessDeniedException("/x"))).isEqualTo(BlkStatus.PERM);
    }
}
