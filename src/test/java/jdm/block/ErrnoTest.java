package jdm.block;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The one errno table, and block statuses as the kernel's blk_errors[]. */
class ErrnoTest {
    @Test
    void strerrorIsGlibcs() {
        assertThat(Errno.strerror(Errno.EBUSY)).isEqualTo("Device or resource busy");
        assertThat(Errno.strerror(Errno.ENXIO)).isEqualTo("No such device or address");
        assertThat(Errno.strerror(Errno.ENODATA)).isEqualTo("No data available");
        assertThat(Errno.strerror(Errno.EREMOTEIO)).isEqualTo("Remote I/O error");
        assertThat(Errno.strerror(999)).isEqualTo("Unknown error 999");
        assertThat(Errno.ofStrerror("Remote I/O error")).isEqualTo(Errno.EREMOTEIO);
        assertThat(Errno.ofStrerror("Remote I/O")).isEqualTo(-1);
    }

    @Test
    void blockStatusesCarryTheKernelsErrnos() {
        assertThat(BlkStatus.MEDIUM.errno()).isEqualTo(Errno.ENODATA);
        assertThat(BlkStatus.TARGET.errno()).isEqualTo(Errno.EREMOTEIO);
        assertThat(BlkStatus.PROTECTION.errno()).isEqualTo(Errno.EILSEQ);
        assertThat(BlkStatus.AGAIN.errno()).isEqualTo(Errno.EAGAIN);
        assertThat(BlkStatus.DM_REQUEUE.errno()).isEqualTo(Errno.EREMCHG);
        assertThat(BlkStatus.RESOURCE.errno()).isEqualTo(Errno.ENOMEM);
        assertThat(BlkStatus.IOERR.text()).isEqualTo("Input/output error");
        assertThat(BlkStatus.MEDIUM.kernelName()).isEqualTo("critical medium");
        for (BlkStatus s : BlkStatus.values()) {
            assertThat(BlkStatus.ofErrno(s.errno())).as(s.name()).isEqualTo(s);
        }
        assertThat(BlkStatus.ofErrno(Errno.EROFS)).isEqualTo(BlkStatus.PERM);
        assertThat(BlkStatus.ofErrno(12345)).isEqualTo(BlkStatus.IOERR);
    }
}
