package jdm.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.block.dev.MemoryDevice;
import org.junit.jupiter.api.Test;

class DmIoTest {
    /** A disk whose every I/O fails: the FaultyDisk fixture. */
    static final class FaultyDisk implements BlockDevice {
        @Override
        public String name() {
            return "faulty";
        }

        @Override
        public long sizeSectors() {
            return 1 << 20;
        }

        @Override
        public void submitBio(Bio bio) {
            bio.endio(BlkStatus.IOERR);
        }
    }

    @Test
    void aWriteToSeveralRegionsReportsExactlyTheRegionsThatFailed() throws Exception {
        MemoryDevice a = new MemoryDevice("a", 1 << 16);
        MemoryDevice c = new MemoryDevice("c", 1 << 16);
        byte[] data = new byte[8 * 512];
        new Random(2).nextBytes(data);
        var regions = List.of(new DmIo.Region(a, 16, 8), new DmIo.Region(new FaultyDisk(), 0, 8),
                new DmIo.Region(c, 1000, 8), new DmIo.Region(new FaultyDisk(), 8, 8));
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
        MemoryDevice a = new MemoryDevice("a", 1 << 16);
        MemoryDevice b = new MemoryDevice("b", 1 << 16);
        byte[] data = new byte[128 * 512];
        new Random(2).nextBytes(data);
        var regions = List.of(new DmIo.Region(a, 0, 128), new DmIo.Region(b, 0, 128));
        assertThat(DmIo.run(Op.WRITE, Bio.FUA, regions, ByteBuffer.wrap(data)).isEmpty()).isTrue();
        assertThat(a.allocatedPages()).isEqualTo(1);
        assertThat(DmIo.run(Op.FLUSH, 0, regions, null).isEmpty()).isTrue();
        assertThat(DmIo.run(Op.DISCARD, 0, regions, null).isEmpty()).isTrue();
        assertThat(a.allocatedPages() + b.allocatedPages()).isZero();
    }
}
