package jdm.md;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import jdm.block.BlkStatus;
import jdm.block.HeldDevice;
import jdm.md.sb.MdadmCreate;
import jdm.md.sb.Superblock1;
import jdm.testing.KernelOracle;
import jdm.testing.MemoryDisk;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bitmap jdm leaves after a crash, read by Linux 6.1 (the kernel oracle): a raid1 made as mdadm --create
 * --bitmap=internal makes it (MdadmCreate), run in jdm with the bitmap, written in two chunks, then dropped
 * without a clean stop. The guest's mdadm -X on the member block device finds the bitmap through the superblock
 * and counts the two dirty bits; the kernel's resync after the unclean stop covers only those chunks: a torn
 * write in a dirty chunk is repaired, a difference in a clean chunk is not.
 */
@Timeout(300)
class BitmapKernelTest {
    private static final int CHUNK_BYTES = 65536;
    private static final long CHUNK = CHUNK_BYTES >> 9;
    private static final long DEVICE = 65536; // 32 MiB members
    private static final byte[] UUID = Superblock1.parseUuid("0badc0de:01234567:89abcdef:00000012");

    @Test
    void theKernelResyncsOnlyTheChunksJdmsBitmapMarked(@TempDir Path dir) throws Exception {
        KernelOracle.assumeAvailable();
        MdadmCreate.Plan plan = MdadmCreate.plan(new MdadmCreate.Request(1, MdadmCreate.LAYOUT_DEFAULT, 0, 2, true,
                "h", "bm", UUID, true), new long[] {DEVICE, DEVICE}, 1577836800L, CHUNK_BYTES, new Random(7));
        long data = plan.dataOffset();
        MemoryDisk[] d = {new MemoryDisk("m0", DEVICE), new MemoryDisk("m1", DEVICE)};
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Superblock1 sb = plan.superblocks().get(i);
            sb.setResyncOffset(0); // what md writes while the array is active: a crash leaves it dirty
            d[i].put(sb.superOffset(), bytes(sb.encode()));
            Rdev r = new Rdev(HeldDevice.of(d[i], 7, i, () -> { }), "m" + i, data, plan.componentSectors(), i);
            r.set(Rdev.Flag.IN_SYNC);
            rdevs.add(r);
        }
        Superblock1 sb0 = plan.superblocks().get(0);
        int bits;
        try (Mddev md = Mddev.run("md0", 0, new ArrayGeometry(1, 0, 0, 2, plan.componentSectors()), rdevs,
                TestMirror.registry(), line -> { })) {
            Bitmap bm = Bitmap.create(md, Bitmap.Placement.of(sb0), plan.bitmap(), sb0.events(), Rdev.MAX_SECTOR);
            md.setWriteIntent(bm);
            bm.daemonPass();
            bm.daemonPass();
            assertThat(bm.dirtyBits()).isZero();
            bits = bm.chunks();
            assertThat(SyncIo.write(md, 3 * CHUNK, random(8192, 1))).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.write(md, 100 * CHUNK, random(65536, 2))).isEqualTo(BlkStatus.OK);
            bm.abandon(); // the crash
        }
        // member 1 missed the end of the write to chunk 100 (torn), and differs in chunk 50, which no write touched
        d[1].put(data + 100 * CHUNK + 64, new byte[4096]);
        d[1].put(data + 50 * CHUNK, random(4096, 3));
        Path[] img = {dir.resolve("m0.img"), dir.resolve("m1.img")};
        for (int i = 0; i < 2; i++) {
            Files.write(img[i], d[i].bytes());
        }
        Path script = dir.resolve("bitmap.sh");
        Files.writeString(script, """
                mdadm -X /dev/vda | grep -E 'Chunksize|Sync Size|Bitmap :'
                mdadm --assemble /dev/md0 /dev/vda /dev/vdb --run >/dev/null 2>&1 || exit 1
                mdadm --wait /dev/md0 >/dev/null 2>&1
                dmesg | grep -E 'md0|md/raid1' | cut -d] -f2-
                mdadm --stop /dev/md0 >/dev/null 2>&1
                """);
        String out = KernelOracle.run(List.of("-k", "6.1", "-t", "240", script.toString(), img[0].toString(),
                img[1].toString())).replaceAll(" +", " ");
        System.out.println(out);
        assertThat(out).contains("Chunksize : 64 KB", "Bitmap : " + bits + " bits (chunks), 2 dirty");
        byte[] m0 = Files.readAllBytes(img[0]);
        byte[] m1 = Files.readAllBytes(img[1]);
        assertThat(range(m1, data + 100 * CHUNK, CHUNK)).as("dirty chunk 100 resynced")
                .isEqualTo(range(m0, data + 100 * CHUNK, CHUNK));
        assertThat(range(m1, data + 50 * CHUNK, 8)).as("clean chunk 50 left alone")
                .isNotEqualTo(range(m0, data + 50 * CHUNK, 8));
    }

    private static byte[] range(byte[] image, long sector, long sectors) {
        return Arrays.copyOfRange(image, (int) (sector * 512), (int) ((sector + sectors) * 512));
    }

    private static byte[] random(int bytes, long seed) {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
