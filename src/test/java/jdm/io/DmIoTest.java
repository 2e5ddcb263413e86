package jdm.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.testing.DeviceChecks;
import jdm.testing.FaultyDisk;
import jdm.testing.MemoryDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DmIoTest {
    /** Every region's device is checked: bios in range, each ended exactly once. */
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    /** A disk whose every I/O fails. */
    private BlockDevice failing(String name) {
        return checks.wrap(new FaultyDisk(new MemoryDisk(name, 1 << 20)).failAll(BlkStatus.IOERR));
    }

    @Test
    void aWriteToSeveralRegionsReportsExactlyTheRegionsThatFailed() throws Exception {
        BlockDevice a = checks.wrap(new MemoryDisk("a", 1 << 16));
        BlockDevice c = checks.wrap(new MemoryDisk("c", 1 << 16));
        byte[] data = new byte[8 * 512];
        new Random(2).nextBytes(data);
        var regions = List.of(new DmIo.Region(a, 16, 8), new DmIo.Region(failing("f1"), 0, 8),
                new DmIo.Region(c, 1000, 8), new DmIo.Region(failing("f2"), 8, 8));
        var errors = DmIo.run(Op.WRITE, 0, regions, ByteBuffer.wrap(data));
        assertThat(errors.stream().toArray()).containsExactly(1, 3);
        ByteBuffer back = ByteBuffer.allocate(8 * 512);
        assertThat(DmIo.run(Op.READ, 0, List.of(new DmIo.Region(c, 1000, 8)), back).isEmpty()).isTrue();
        assertThat(back.array()).isEqualTo(data);
        back.clear();
        assertThat(DmIo.run(Op.READ, 0, List.of(new DmIo.Region(a, 16, 8)), back).isEmpty()).isTrue();
        assertThat(back.array()).isEqualTo(data);
    }

    @Test
    void flushAndDiscardFanOutToEveryRegion() throws Exception {
        MemoryDisk a = new MemoryDisk("a", 1 << 16);
        MemoryDisk b = new MemoryDisk("b", 1 << 16);
        byte[] data = new byte[128 * 512];
        new Random(2).nextBytes(data);
        var regions = List.of(new DmIo.Region(checks.wrap(a), 0, 128), new DmIo.Region(checks.wrap(b), 0, 128));
        assertThat(DmIo.run(Op.WRITE, Bio.FUA, regions, ByteBuffer.wrap(data)).isEmpty()).isTrue();
        assertThat(a.allocatedPages()).isEqualTo(1);
        assertThat(b.bytes(0, 128)).isEqualTo(data);
        assertThat(DmIo.run(Op.FLUSH, 0, regions, null).isEmpty()).isTrue();
        assertThat(DmIo.run(Op.DISCARD, 0, regions, null).isEmpty()).isTrue();
        assertThat(a.allocatedPages() + b.allocatedPages()).isZero();
    }
}
