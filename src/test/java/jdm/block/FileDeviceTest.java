package jdm.block;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import jdm.block.dev.FileDevice;
import jdm.block.dev.MemoryDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileDeviceTest {
    @TempDir
    Path dir;

    Path file(long bytes, byte fill) throws Exception {
        Path p = dir.resolve("f.img");
        byte[] b = new byte[(int) bytes];
        Arrays.fill(b, fill);
        Files.write(p, b);
        return p;
    }

    static BlkStatus run(BlockDevice d, Op op, int flags, long sector, int sectors, ByteBuffer buf) {
        return new Bio(op, flags, d, sector, sectors, buf, null).submitAndWait();
    }

    @Test
    void theSizeIsTheFilesRoundedDownToSectors() throws Exception {
        Path p = dir.resolve("odd.img");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(10 * 512 + 100);
        }
        try (FileDevice d = FileDevice.open(p, false)) {
            assertThat(d.sizeSectors()).isEqualTo(10);
        }
    }

    @Test
    void writesLandAtTheirByteOffsetAndReadBack() throws Exception {
        Path p = file(1 << 20, (byte) 0);
        byte[] data = new byte[3 * 512];
        new Random(3).nextBytes(data);
        try (FileDevice d = FileDevice.open(p, false)) {
            assertThat(run(d, Op.WRITE, Bio.FUA, 7, 3, ByteBuffer.wrap(data))).isEqualTo(BlkStatus.OK);
            ByteBuffer back = ByteBuffer.allocateDirect(3 * 512);
            assertThat(run(d, Op.READ, 0, 7, 3, back)).isEqualTo(BlkStatus.OK);
            byte[] got = new byte[3 * 512];
            back.get(0, got);
            assertThat(got).isEqualTo(data);
            assertThat(run(d, Op.FLUSH, 0, 0, 0, null)).isEqualTo(BlkStatus.OK);
        }
        assertThat(Arrays.copyOfRange(Files.readAllBytes(p), 7 * 512, 10 * 512)).isEqualTo(data);
    }

    @Test
    void discardPunchesAHoleAndWriteZeroesZeroes() throws Exception {
        Path p = file(4 << 20, (byte) 9);
        try (FileDevice d = FileDevice.open(p, false)) {
            assertThat(run(d, Op.DISCARD, 0, 2048, 2048, null)).isEqualTo(BlkStatus.OK);
            assertThat(run(d, Op.WRITE_ZEROES, 0, 10, 5, null)).isEqualTo(BlkStatus.OK);
            assertThat(run(d, Op.WRITE_ZEROES, Bio.NOUNMAP, 100, 3, null)).isEqualTo(BlkStatus.OK);
        }
        byte[] all = Files.readAllBytes(p);
        assertThat(all).hasSize(4 << 20); // KEEP_SIZE
        assertThat(Arrays.copyOfRange(all, 10 * 512, 15 * 512)).containsOnly(0);
        assertThat(Arrays.copyOfRange(all, 100 * 512, 103 * 512)).containsOnly(0);
        assertThat(all[15 * 512]).isEqualTo((byte) 9);
        assertThat(all[9 * 512 + 511]).isEqualTo((byte) 9);
        // punched where the file system can (tmpfs, ext4, xfs): the range reads as zeros
        assertThat(Arrays.copyOfRange(all, 1 << 20, 2 << 20)).containsOnly(0);
    }

    @Test
    void aReadOnlyFileRefusesWrites() throws Exception {
        Path p = file(1 << 16, (byte) 0);
        try (FileDevice d = FileDevice.open(p, true)) {
            assertThat(run(d, Op.WRITE, 0, 0, 1, ByteBuffer.allocate(512))).isEqualTo(BlkStatus.PERM);
            assertThat(run(d, Op.READ, 0, 0, 1, ByteBuffer.allocate(512))).isEqualTo(BlkStatus.OK);
        }
    }

    @Test
    void memoryDeviceIsSparseAndFreesDiscardedPages() {
        MemoryDevice m = new MemoryDevice("mem", 1 << 16);
        byte[] data = new byte[256 * 512];
        new Random(1).nextBytes(data);
        assertThat(run(m, Op.WRITE, 0, 100, 256, ByteBuffer.wrap(data))).isEqualTo(BlkStatus.OK);
        assertThat(m.allocatedPages()).as("bytes 51200..182271 touch pages 0-2").isEqualTo(3);
        ByteBuffer back = ByteBuffer.allocate(256 * 512);
        run(m, Op.READ, 0, 100, 256, back);
        assertThat(back.array()).isEqualTo(data);
        assertThat(run(m, Op.DISCARD, 0, 0, 1 << 16, null)).isEqualTo(BlkStatus.OK);
        assertThat(m.allocatedPages()).isZero();
        run(m, Op.READ, 0, 100, 256, back.clear());
        assertThat(back.array()).containsOnly(0);
    }
}
