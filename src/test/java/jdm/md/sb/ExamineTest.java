package jdm.md.sb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.io.RandomAccessFile;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Examine renders mdadm 4.2's --examine text: equal, line for line, to what the oracle guest's mdadm printed for
 * the members it left (clean, active, failed, spare, bitmap, recovering-spare members), and to what the host's mdadm
 * prints for the same bytes in a file.
 */
class ExamineTest {
    private static final long MEMBER = 32768;

    static Stream<String> examined() {
        List<String> names = new ArrayList<>();
        for (String l : List.of("raid0", "raid1", "raid5", "raid6", "raid10")) {
            names.add(l + "-ro-vda");
            names.add(l + "-rw-vda");
        }
        for (String c : List.of("r1bm-ro", "r1bm", "r5sp-ro", "r5sp", "r6bm", "grow")) {
            for (String d : List.of("vda", "vdb", "vdc", "vdd")) {
                if (!(c.startsWith("r1bm") && (d.equals("vdc") || d.equals("vdd")))) {
                    names.add(c + "-" + d);
                }
            }
        }
        return names.stream();
    }

    static String render(String dump, String device) {
        byte[] m = Resources.member(dump);
        Superblock1 sb = Superblock1.read(ByteBuffer.wrap(m, 4096, 4096).slice());
        BitmapSuper bitmap = m.length > 8192 ? BitmapSuper.read(ByteBuffer.wrap(m, 8192, 256).slice()) : null;
        return Examine.render(device, sb, bitmap, MEMBER, "oracle", ZoneOffset.UTC);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examined")
    void theTextIsWhatTheGuestsMdadmPrinted(String dump) {
        String device = "/dev/" + dump.substring(dump.length() - 3);
        assertThat(render(dump, device)).isEqualTo(Resources.text(dump + ".examine"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examined")
    @Timeout(30)
    void theTextIsWhatTheHostsMdadmPrintsForTheSameBytes(String dump, @TempDir Path dir) throws Exception {
        MdadmTool.require();
        Path file = dir.resolve(dump + ".img");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(MEMBER * 512);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(Resources.member(dump)), 0);
        }
        String real = MdadmTool.runUtc("--examine", "--homehost=oracle", file.toString());
        assertThat(render(dump, file.toString())).isEqualTo(real);
    }

    @Test
    void aBadChecksumIsReportedWithTheExpectedOne() throws Exception {
        Superblock1 sb = Superblock1.decode(Resources.superblock("raid5-rw-vda"));
        int good = sb.sbCsum();
        sb.setEvents(3); // changed after the checksum was taken
        String text = Examine.render("/dev/x", Superblock1.read(withStaleChecksum(sb, good)), null, MEMBER,
                null, ZoneOffset.UTC);
        assertThat(text).contains(String.format("       Checksum : %x - expected %x%n", good, good + 1));
        assertThat(text).contains("           Name : oracle:raid5-rw\n");
    }

    private static ByteBuffer withStaleChecksum(Superblock1 sb, int csum) {
        ByteBuffer b = sb.encode();
        b.order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(216, csum);
        return b;
    }

    @Test
    void humanSizesAndRaid10LayoutsAsMdadm() {
        assertThat(Examine.humanSize(5000 * 1024 - 1)).isEmpty();
        assertThat(Examine.humanSize(30720L * 512)).isEqualTo(" (15.00 MiB 15.73 MB)");
        assertThat(Examine.humanSize(3L << 30)).isEqualTo(" (3.00 GiB 3.22 GB)");
        assertThat(Examine.humanSize(3L << 40)).isEqualTo(" (3.00 TiB 3.30 TB)");
        assertThat(Examine.r10Layout(0x102)).isEqualTo(" near=2");
        assertThat(Examine.r10Layout(0x201)).isEqualTo(" far=2");
        assertThat(Examine.r10Layout(0x10201)).isEqualTo(" offset=2");
        assertThat(Examine.r10Layout(0x202)).isEqualTo(" near=2, far=2");
        assertThat(Examine.r10Layout(0x101)).isEqualTo("NO REDUNDANCY");
    }
}
