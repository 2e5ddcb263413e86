package jdm.md.sb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import jdm.md.sb.MdadmCreate.Plan;
import jdm.md.sb.MdadmCreate.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The write-intent bitmap superblock: the kernel's (oracle dumps) decoded and re-encoded to the same bytes, its
 * checks, mdadm's chunk choice on create, and the real {@code mdadm --examine-bitmap} reading what MdadmCreate
 * writes as it read what mdadm itself wrote.
 */
class BitmapSuperTest {
    private static ByteBuffer bitmapOf(String dump) {
        return ByteBuffer.wrap(Resources.member(dump), 8192, 256).slice();
    }

    @Test
    void theKernelsBitmapOfARaid1WithAFailedMemberDecodes() throws Exception {
        BitmapSuper b = BitmapSuper.decode(bitmapOf("r1bm-vda"));
        assertThat(b.magic()).isEqualTo(0x6d746962);
        assertThat(b.version()).isEqualTo(4);
        assertThat(Superblock1.formatUuid(b.uuid())).isEqualTo("01234567:89abcdef:01234567:89ab0101");
        assertThat(b.events()).isEqualTo(20);
        assertThat(b.eventsCleared()).as("bits are not cleared while degraded").isEqualTo(17);
        assertThat(b.syncSize()).isEqualTo(30720);
        assertThat(b.state()).isZero();
        assertThat(b.chunksize()).isEqualTo(1 << 20);
        assertThat(b.daemonSleep()).isEqualTo(5);
        assertThat(b.writeBehind()).isZero();
        assertThat(b.sectorsReserved()).as("Linux 6.1 leaves it 0 on a v1.2 internal bitmap").isZero();
        assertThat(b.nodes()).isZero();
        assertThat(b.clusterName()).isEmpty();
        assertThat(b.bits()).isEqualTo(15);
        assertThat(b.areaSectors()).isEqualTo(8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"r1bm-ro-vda", "r1bm-ro-vdb", "r1bm-vda", "r1bm-vdb", "r6bm-vda", "r6bm-vdb", "r6bm-vdc",
        "r6bm-vdd"})
    void everyBitmapSuperblockEncodesToTheSameBytes(String dump) throws Exception {
        ByteBuffer real = bitmapOf(dump);
        assertThat(BitmapSuper.decode(real).encode().array())
                .isEqualTo(Arrays.copyOfRange(Resources.member(dump), 8192, 8192 + 256));
    }

    @Test
    void theKernelClearsOnlyTheBitsOfChunksInSync() throws Exception {
        byte[] m = Resources.member("r6bm-vda");
        BitmapSuper b = BitmapSuper.decode(bitmapOf("r6bm-vda"));
        assertThat(b.bits()).isEqualTo(60); // 15 MiB in 256 KiB chunks
        // chunks 6-8 written while degraded stay dirty; the bits past the 60th keep mdadm's 0xff
        assertThat(Arrays.copyOfRange(m, 8192 + 256, 8192 + 256 + 9))
                .containsExactly(0xc0, 0x01, 0, 0, 0, 0, 0, 0xf0, 0xff);
    }

    @Test
    void damageIsNamedAsTheKernelDoes() {
        ByteBuffer good = BitmapSuper.forCreate(new byte[16], 30720, 30720, 0).encode();
        assertThatThrownBy(() -> BitmapSuper.decode(set(good, 0, 0), "md0"))
                .hasMessage("md0: invalid bitmap file superblock: bad magic (00000000, expected 6d746962)");
        assertThatThrownBy(() -> BitmapSuper.decode(set(good, 4, 6), "md0"))
                .hasMessage("md0: invalid bitmap file superblock: unrecognized superblock version (6)");
        assertThatThrownBy(() -> BitmapSuper.decode(set(good, 52, 256), "md0"))
                .hasMessage("md0: invalid bitmap file superblock: bitmap chunksize too small");
        assertThatThrownBy(() -> BitmapSuper.decode(set(good, 52, 3 << 20), "md0"))
                .hasMessage("md0: invalid bitmap file superblock: bitmap chunksize not a power of 2");
        assertThatThrownBy(() -> BitmapSuper.decode(set(good, 56, 0), "md0"))
                .hasMessage("md0: invalid bitmap file superblock: daemon sleep period out of range");
        assertThatThrownBy(() -> BitmapSuper.decode(set(good, 60, 16384), "md0"))
                .hasMessage("md0: invalid bitmap file superblock: write-behind limit out of range (0 - 16383)");
    }

    private static ByteBuffer set(ByteBuffer good, int offset, int value) {
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN).put(0, good, 0, 256);
        return b.putInt(offset, value);
    }

    @Test
    void mdadmChoosesTheChunkFromTheRoomLeft() {
        long tib = 1L << 31; // sectors
        assertThat(BitmapSuper.forCreate(new byte[16], 30720, 30720, 0).chunksize()).isEqualTo(64 << 20);
        assertThat(BitmapSuper.forCreate(new byte[16], 30720, 30720, 4096).chunksize()).isEqualTo(4096);
        // 1 TiB members: 128 KiB of room -> at least 2 MiB chunks; mdadm's default stays 64 MiB
        assertThat(BitmapSuper.forCreate(new byte[16], tib, tib, 0).chunksize()).isEqualTo(64 << 20);
        assertThat(BitmapSuper.forCreate(new byte[16], tib, tib, 2 << 20).chunksize()).isEqualTo(2 << 20);
        assertThatThrownBy(() -> BitmapSuper.forCreate(new byte[16], tib, tib, 1 << 20))
                .hasMessage("Given bitmap chunk size not supported.");
        // 4 TiB of sync range in 4 KiB of room: the minimum chunk outgrows 64 MiB
        assertThat(BitmapSuper.forCreate(new byte[16], 30720, 1L << 33, 0).chunksize()).isEqualTo(1 << 28);
        // 1 PiB there: a 64 GiB chunk, which bitmap_super_t's 32 bits cannot hold (mdadm would write 0)
        assertThatThrownBy(() -> BitmapSuper.forCreate(new byte[16], 30720, 1L << 41, 0))
                .hasMessage("Given bitmap chunk size not supported.");
    }

    @Test
    void raid10sBitmapCoversTheArray() {
        Plan plan = MdadmCreate.plan(new Request(10, MdadmCreate.LAYOUT_DEFAULT, 128, 4, true, null, "x", null, true),
                new long[] {32768, 32768, 32768, 32768}, 0, 0, new Random(1));
        assertThat(plan.bitmap().syncSize()).isEqualTo(30720 * 4 / 2);
        assertThat(plan.superblocks().get(0).bitmapOffset()).isEqualTo(8);
        assertThat(plan.superblocks().get(0).bblogOffset()).as("after the 4 KiB bitmap").isEqualTo(16);
    }

    /**
     * mdadm -X finds an internal bitmap only on a block device (the guest's /dev/vda); on a regular file it reads
     * an external bitmap file, the same bytes from offset 0. So the bitmap area MdadmCreate writes goes into a file
     * of its own; the superblock in a member file.
     */
    @Test
    @Timeout(30)
    void mdadmExamineBitmapReadsOursAsItReadMdadmsOwn(@TempDir Path dir) throws Exception {
        MdadmTool.require();
        Plan plan = MdadmCreate.plan(new Request(1, MdadmCreate.LAYOUT_DEFAULT, 0, 2, true, "oracle", "r1bm",
                Superblock1.parseUuid("01234567:89abcdef:01234567:89ab0101"), false),
                new long[] {32768, 32768}, 1577836814L, 0, new Random(1));
        Path file = dir.resolve("m0.img");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(16 << 20);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(plan.superblocks().get(0).encode(), 4096);
            ch.write(plan.bitmap().encodeArea(), 8192);
        }
        Path bitmapFile = dir.resolve("bitmap");
        try (FileChannel ch = FileChannel.open(bitmapFile, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            ch.write(plan.bitmap().encodeArea(), 0);
        }
        String ours = MdadmTool.run("--examine-bitmap", bitmapFile.toString());
        String theirs = Resources.text("r1bm-ro-vda.xbitmap");
        assertThat(withoutFilename(ours)).isEqualTo(withoutFilename(theirs));
        assertThat(ours).contains("Bitmap : 1 bits (chunks), 1 dirty (100.0%)");
        String examine = MdadmTool.run("--examine", file.toString());
        assertThat(examine).contains("Internal Bitmap : 8 sectors from superblock").contains("Feature Map : 0x1");
    }

    private static String withoutFilename(String xbitmap) {
        return xbitmap.lines().filter(l -> !l.contains("Filename :")).reduce("", (a, b) -> a + b + "\n");
    }
}
