package jdm.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;
import org.junit.jupiter.api.Test;

/** The checking wrapper catches each contract breach it exists for, and stays quiet on correct I/O. */
class CheckingDeviceTest {
    /** A device that ends every bio as told: once, twice, or never. */
    static final class Misbehaving implements BlockDevice {
        final int ends;
        final List<Bio> dropped = new ArrayList<>();

        Misbehaving(int ends) {
            this.ends = ends;
        }

        @Override
        public String name() {
            return "misbehaving";
        }

        @Override
        public long sizeSectors() {
            return 64;
        }

        @Override
        public void submitBio(Bio bio) {
            for (int i = 0; i < ends; i++) {
                bio.endio(BlkStatus.OK);
            }
            if (ends == 0) {
                dropped.add(bio);
            }
        }
    }

    @Test
    void correctIoThroughStackedWrappersPassesAndKeepsTheData() {
        MemoryDisk disk = new MemoryDisk("m", 128);
        CheckingDevice top = new CheckingDevice(new CheckingDevice(
                new FaultyDisk(disk).delayCompletions(Duration.ofMillis(2))));
        byte[] data = new byte[8 * 512];
        data[0] = 1;
        data[data.length - 1] = 2;
        assertThat(SyncIo.write(top, 120, data)).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.read(top, 120, 8)).isEqualTo(data);
        assertThat(SyncIo.op(top, Op.FLUSH, 0, 0)).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.op(top, Op.DISCARD, 0, 128)).isEqualTo(BlkStatus.OK);
        assertThat(disk.bytes(120, 8)).containsOnly(0);
        assertThat(top.submitted()).isEqualTo(4);
        top.assertQuiescent();
        ((CheckingDevice) top.inner()).assertQuiescent();
    }

    @Test
    void aBioEndedTwiceFailsTheCheck() {
        CheckingDevice c = new CheckingDevice(new Misbehaving(2));
        assertThat(SyncIo.read(c, 0, 1)).hasSize(512);
        assertThatThrownBy(c::assertQuiescent).isInstanceOf(AssertionError.class)
                .hasMessageContaining("misbehaving: bio ended twice: READ(misbehaving 0+1)");
    }

    @Test
    void aBioEndedThreeTimesIsReportedForEachExtraEnd() {
        CheckingDevice c = new CheckingDevice(new Misbehaving(3));
        SyncIo.op(c, Op.FLUSH, 0, 0);
        assertThat(c.violations()).hasSize(2);
    }

    @Test
    void aBioNeverEndedFailsTheCheck() {
        Misbehaving dropper = new Misbehaving(0);
        CheckingDevice c = new CheckingDevice(dropper);
        new Bio(Op.WRITE, 0, c, 5, 2, ByteBuffer.allocate(1024), null).submit();
        assertThat(c.outstanding()).isEqualTo(1);
        assertThatThrownBy(() -> c.assertQuiescent(Duration.ofMillis(20))).isInstanceOf(AssertionError.class)
                .hasMessage("misbehaving: bio never ended: WRITE(misbehaving 5+2)");
        dropper.dropped.getFirst().endio(BlkStatus.OK); // late, but once: now it is quiet
        c.assertQuiescent();
    }

    @Test
    void closingWithBiosInFlightIsAViolation() {
        Misbehaving dropper = new Misbehaving(0);
        CheckingDevice c = new CheckingDevice(dropper);
        new Bio(Op.FLUSH, 0, c, 0, 0, null, null).submit();
        c.close();
        dropper.dropped.getFirst().endio(BlkStatus.OK);
        assertThatThrownBy(c::assertQuiescent).hasMessage("misbehaving: closed with 1 bios not ended");
    }

    @Test
    void aBioBeyondTheEndIsRefusedWithIoerrAndFailsTheCheck() {
        MemoryDisk disk = new MemoryDisk("m", 64);
        CheckingDevice c = new CheckingDevice(disk);
        assertThat(SyncIo.write(c, 60, new byte[8 * 512])).isEqualTo(BlkStatus.IOERR);
        assertThat(disk.allocatedPages()).as("nothing reached the disk").isZero();
        assertThatThrownBy(c::assertQuiescent)
                .hasMessage("m: range beyond the device's 64 sectors: WRITE(m 60+8)");
    }

    @Test
    void aBioRemappedToANegativeSectorFailsTheCheck() {
        CheckingDevice c = new CheckingDevice(new MemoryDisk("m", 64));
        Bio bio = new Bio(Op.READ, 0, c, 0, 1, ByteBuffer.allocate(512), null);
        bio.remap(c, -1); // what a target with bad arithmetic would do
        assertThat(bio.submitAndWait()).isEqualTo(BlkStatus.IOERR);
        assertThatThrownBy(c::assertQuiescent).hasMessage("m: negative range: READ(m -1+1)");
    }

    @Test
    void aBufferThatDisagreesWithTheSectorCountFailsTheCheck() {
        CheckingDevice c = new CheckingDevice(new MemoryDisk("m", 64));
        ByteBuffer buf = ByteBuffer.allocate(1024);
        Bio bio = new Bio(Op.READ, 0, c, 0, 2, buf, null);
        buf.position(512); // someone consumed half the payload before submitting
        assertThat(bio.submitAndWait()).isEqualTo(BlkStatus.IOERR);
        assertThatThrownBy(c::assertQuiescent).hasMessage("m: buffer of 512 bytes for 2 sectors: READ(m 0+2)");
    }

    @Test
    void aWriteToAReadOnlyDeviceFailsTheCheck() {
        CheckingDevice c = new CheckingDevice(new MemoryDisk("ro", 64, jdm.block.QueueLimits.DEFAULT, true));
        assertThat(SyncIo.op(c, Op.WRITE_ZEROES, 0, 8)).isEqualTo(BlkStatus.IOERR);
        assertThat(SyncIo.read(c, 0, 8)).containsOnly(0);
        assertThatThrownBy(c::assertQuiescent).hasMessage("ro: write to a read-only device: WRITE_ZEROES(ro 0+8)");
    }

    @Test
    void theExtensionFailsAfterTheTestWhenAWrappedDeviceMisbehaved() {
        DeviceChecks checks = new DeviceChecks();
        CheckingDevice good = checks.wrap(new MemoryDisk("good", 8));
        CheckingDevice bad = checks.wrap(new Misbehaving(2));
        SyncIo.read(good, 0, 1);
        SyncIo.read(bad, 0, 1);
        assertThatThrownBy(() -> checks.afterEach(null)).hasMessageContaining("bio ended twice");
        assertThat(checks.devices()).as("cleared for the next test").isEmpty();
        checks.afterEach(null);
    }
}
