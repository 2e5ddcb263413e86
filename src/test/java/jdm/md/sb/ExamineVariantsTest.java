package jdm.md.sb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Examine on superblocks no oracle run made (reshapes, flags, replacements, journals, inconsistent roles, other
 * levels and placements, a wrong checksum): each variant of a kernel-written raid5 superblock is written to a
 * member file and the host's mdadm must print exactly what Examine renders.
 */
class ExamineVariantsTest {
    private static final long MEMBER = 32768;

    static Stream<Arguments> variants() {
        return Stream.of(
                v("linear", sb -> sb.setLevel(Superblock1.LEVEL_LINEAR).setChunkSize(0).setSize(0)),
                v("raid0 with a layout", sb -> sb.setLevel(0).setLayout(2)
                        .setFeatureMap(Superblock1.FEATURE_RAID0_LAYOUT)),
                v("raid1", sb -> sb.setLevel(1).setChunkSize(0)),
                v("raid4", sb -> sb.setLevel(4).setLayout(5)),
                v("raid6 ddf layout", sb -> sb.setLevel(6).setLayout(9)),
                v("raid6 -6 layout", sb -> sb.setLevel(6).setLayout(18)),
                v("raid10 near=2,far=2", sb -> sb.setLevel(10).setLayout(0x202)),
                v("raid10 offset=2", sb -> sb.setLevel(10).setLayout(0x10201)),
                v("raid10 no redundancy", sb -> sb.setLevel(10).setLayout(0x101)),
                v("multipath", sb -> sb.setLevel(Superblock1.LEVEL_MULTIPATH)),
                v("unknown level", sb -> sb.setLevel(7)),
                v("unknown raid5 layout", sb -> sb.setLayout(77)),
                v("reshape growing", sb -> sb.setFeatureMap(Superblock1.FEATURE_RESHAPE_ACTIVE)
                        .setReshapePosition(12288).setDeltaDisks(1).setRaidDisks(5).setNewLevel(5)
                        .setNewLayout(3).setNewChunk(256).setMaxDev(128).setRole(4, 4)),
                v("reshape shrinking to raid6", sb -> sb.setFeatureMap(Superblock1.FEATURE_RESHAPE_ACTIVE)
                        .setReshapePosition(100).setDeltaDisks(-1).setRaidDisks(3).setNewLevel(6)
                        .setNewLayout(2).setNewChunk(128)),
                v("new offset", sb -> sb.setFeatureMap(Superblock1.FEATURE_NEW_OFFSET).setNewOffset(-1024)),
                v("recovering member", sb -> sb.setFeatureMap(Superblock1.FEATURE_RECOVERY_OFFSET)
                        .setRecoveryOffset(4096)),
                v("replacement", sb -> sb.setFeatureMap(Superblock1.FEATURE_REPLACEMENT | 2).setDevNumber(4)
                        .setRole(4, 1)),
                v("write-mostly failfast", sb -> sb.setDevflags(3)),
                v("bad blocks present", sb -> sb.setFeatureMap(Superblock1.FEATURE_BAD_BLOCKS)),
                v("no bad block log", sb -> sb.setBblogSize(0).setBblogOffset(0)),
                v("journal", sb -> sb.setFeatureMap(Superblock1.FEATURE_JOURNAL).setDevNumber(5).setRole(5,
                        Superblock1.ROLE_JOURNAL)),
                v("faulty self", sb -> sb.setRole(0, Superblock1.ROLE_FAULTY)),
                v("dev number past max_dev", sb -> sb.setDevNumber(200)),
                v("a slot twice", sb -> sb.setRole(5, 2)),
                v("a slot three times", sb -> sb.setRole(5, 2).setRole(6, 2)),
                v("a role past raid_disks", sb -> sb.setRole(7, 9)),
                v("active, resync half done", sb -> sb.setResyncOffset(15000)),
                v("no homehost match", sb -> sb.setName("elsewhere:raid5")),
                v("name of 32 bytes", sb -> sb.setName("oracle:" + "n".repeat(25))),
                v("ppl", sb -> sb.setFeatureMap(Superblock1.FEATURE_PPL).setBitmapOffset((1 << 16) * 16 + 8)),
                v("microseconds in the times", sb -> sb.setCtime(Superblock1.time(1577836800L, 999_999))
                        .setUtime(Superblock1.time(2000000000L, 1))),
                v("big sizes", sb -> sb.setDataSize(1L << 40).setSize(1L << 39)),
                v("max_dev 384", sb -> sb.setMaxDev(384).setRole(300, 3)));
    }

    private static Arguments v(String name, Consumer<Superblock1> change) {
        return Arguments.of(name, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    @Timeout(30)
    void mdadmPrintsWhatExamineRenders(String name, Consumer<Superblock1> change, @TempDir Path dir)
            throws Exception {
        MdadmTool.require();
        Superblock1 sb = Superblock1.decode(Resources.superblock("raid5-rw-vda"));
        change.accept(sb);
        Path file = dir.resolve("m.img");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(MEMBER * 512);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(sb.encode(4096), 4096);
        }
        String real = MdadmTool.runUtc("--examine", "--homehost=oracle", file.toString());
        assertThat(Examine.render(file.toString(), Superblock1.read(sb.encode(4096)), null, MEMBER, "oracle",
                ZoneOffset.UTC)).isEqualTo(real);
    }

    @ParameterizedTest(name = "checksum off by {0}")
    @MethodSource("offsets")
    @Timeout(30)
    void aWrongChecksumIsReportedAsMdadmDoes(int delta, @TempDir Path dir) throws Exception {
        MdadmTool.require();
        ByteBuffer b = Superblock1.decode(Resources.superblock("raid6-rw-vda")).encode(4096);
        b.order(ByteOrder.LITTLE_ENDIAN).putInt(216, b.getInt(216) + delta);
        Path file = dir.resolve("m.img");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(MEMBER * 512);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(b.duplicate(), 4096);
        }
        String real = MdadmTool.runUtc("--examine", file.toString());
        assertThat(Examine.render(file.toString(), Superblock1.read(b), null, MEMBER, null, ZoneOffset.UTC))
                .isEqualTo(real).contains(" - expected ");
    }

    static Stream<Integer> offsets() {
        return Stream.of(1, -7);
    }
}
