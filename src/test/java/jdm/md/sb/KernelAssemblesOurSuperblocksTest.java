package jdm.md.sb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import jdm.md.sb.MdadmCreate.Plan;
import jdm.md.sb.MdadmCreate.Request;
import jdm.testing.KernelOracle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Linux 6.1 md driver (kernel oracle) assembles members that carry only MdadmCreate's superblocks: a raid5
 * of 4 created --assume-clean and a raid1 of 2 with an internal bitmap, created without it (so the kernel resyncs
 * it, the bitmap all dirty as mdadm leaves it). Afterwards the superblocks Linux wrote decode with Superblock1.
 */
class KernelAssemblesOurSuperblocksTest {
    private static final long MEMBER = 32768;
    private static final String SCRIPT = """
            mdadm --assemble /dev/md0 /dev/vda /dev/vdb /dev/vdc /dev/vdd 2>&1
            mdadm --assemble /dev/md1 /dev/vde /dev/vdf 2>&1
            mdadm --wait /dev/md1
            cat /proc/mdstat
            mdadm --detail /dev/md0 | grep -E 'Raid Level|Array Size|State :|Name :'
            dd if=/dev/zero of=/dev/md0 bs=64k count=4 conv=fsync 2>/dev/null
            echo check > /sys/block/md0/md/sync_action; sleep 1; mdadm --wait /dev/md0
            echo "mismatch_cnt $(cat /sys/block/md0/md/mismatch_cnt)"
            mdadm --stop /dev/md0 /dev/md1 2>&1
            mdadm --examine /dev/vda | grep -E 'Checksum|State :'
            mdadm --examine-bitmap /dev/vde | grep -E 'Bitmap :|Chunksize'
            """;

    @Test
    @Timeout(300)
    void linuxAssemblesMembersCarryingOnlyOurSuperblocks(@TempDir Path dir) throws Exception {
        KernelOracle.assumeAvailable();
        Plan raid5 = MdadmCreate.plan(new Request(5, MdadmCreate.LAYOUT_DEFAULT, 128, 4, false, "oracle", "ours5",
                null, true), new long[] {MEMBER, MEMBER, MEMBER, MEMBER}, 1577836800L, 0, new Random(5));
        Plan raid1 = MdadmCreate.plan(new Request(1, MdadmCreate.LAYOUT_DEFAULT, 0, 2, true, "oracle", "ours1",
                null, false), new long[] {MEMBER, MEMBER}, 1577836800L, 0, new Random(1));
        List<Path> images = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Plan p = i < 4 ? raid5 : raid1;
            images.add(member(dir.resolve("m" + i + ".img"), p.superblocks().get(i < 4 ? i : i - 4), p.bitmap()));
        }
        Path script = Files.writeString(dir.resolve("assemble.sh"), SCRIPT);
        List<String> args = new ArrayList<>(List.of("-k", "6.1", "-r", "2020-01-01T00:00:10", "-t", "240",
                script.toString()));
        images.forEach(p -> args.add(p.toString()));
        String out = KernelOracle.run(args);

        assertThat(out).contains("mdadm: /dev/md0 has been started with 4 drives.")
                .contains("mdadm: /dev/md1 has been started with 2 drives.")
                .containsPattern("md0 : active raid5( vd[a-d]\\[[0-3]\\]){4}\n")
                .contains("46080 blocks super 1.2 level 5, 64k chunk, algorithm 2 [4/4] [UUUU]")
                .containsPattern("md1 : active raid1( vd[ef]\\[[01]\\]){2}\n")
                .contains("15360 blocks super 1.2 [2/2] [UU]")
                .contains("bitmap: 1/1 pages [4KB], 65536KB chunk")
                .contains("Name : oracle:ours5")
                .contains("mismatch_cnt 0")
                .contains("Checksum : ")
                .contains("- correct")
                .contains("Chunksize : 64 MB")
                .contains("Bitmap : 1 bits (chunks), 0 dirty (0.0%)");
        Superblock1 after = Superblock1.decode(read(images.get(0)), "m0.img");
        assertThat(after.uuid()).isEqualTo(raid5.superblocks().get(0).uuid());
        assertThat(after.events()).as("Linux counted its updates").isPositive();
        assertThat(after.resyncOffset()).isEqualTo(Superblock1.MAX_SECTOR);
        Superblock1 mirror = Superblock1.decode(read(images.get(4)), "m4.img");
        assertThat(mirror.resyncOffset()).as("resynced").isEqualTo(Superblock1.MAX_SECTOR);
        assertThat(BitmapSuper.decode(ByteBuffer.wrap(Files.readAllBytes(images.get(4)), 8192, 256).slice())
                .events()).isEqualTo(mirror.events());
    }

    private static Path member(Path file, Superblock1 sb, BitmapSuper bitmap) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(MEMBER * 512);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(sb.encode(), Superblock1.SUPER_OFFSET_V12 * 512);
            if (bitmap != null) {
                ch.write(bitmap.encodeArea(), (Superblock1.SUPER_OFFSET_V12 + sb.bitmapOffset()) * 512);
            }
        }
        return file;
    }

    private static ByteBuffer read(Path image) throws Exception {
        byte[] b = Files.readAllBytes(image);
        return ByteBuffer.wrap(b, 4096, 4096).slice();
    }
}
