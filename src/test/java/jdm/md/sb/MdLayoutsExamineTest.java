package jdm.md.sb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jdm.md.sb.MdadmCreate.Plan;
import jdm.md.sb.MdadmCreate.Request;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decisive test of jdm.md.sb: for each of the 13 arrays of the oracle's md-layouts example (4 members of 16 MiB,
 * metadata 1.2, --homehost=oracle --name=TAG --uuid=...000N, chunk 64K, --bitmap=none but on raid0,
 * --assume-clean), MdadmCreate's superblocks, as the kernel leaves them after running and stopping the array (events
 * 2, or 0 on raid0 whose superblock Linux never rewrites; utime later), are written into sparse 16 MiB files, and
 * the real {@code mdadm --examine --homehost=oracle FILE} must print the stable lines of
 * ../shared/oracle/examples/md-layouts.out (md-layouts-vs-kernel.sh's STABLE set) and each member's Device Role,
 * and call the checksum correct.
 */
class MdLayoutsExamineTest {
    private static final Path OUT = Path.of("..", "shared", "oracle", "examples", "md-layouts.out");
    static final String STABLE = "Version|Feature Map|Array UUID|Name|Raid Level|Raid Devices|Avail Dev Size"
            + "|Array Size|Used Dev Size|Data Offset|Super Offset|Unused Space|State|Layout|Chunk Size|Array State";
    private static final Map<String, Integer> LAYOUTS = Map.of("left-asymmetric", 0, "right-asymmetric", 1,
            "left-symmetric", 2, "right-symmetric", 3, "parity-first", 4, "parity-last", 5, "n2", 0x102, "f2", 0x201,
            "o2", 0x10201);
    private static final long MEMBER_BYTES = 16 << 20;

    record Recorded(int n, String tag, int level, int layout, int chunkSectors, List<String> stable,
            List<String> roles) {
        @Override
        public String toString() {
            return tag;
        }
    }

    static Stream<Recorded> arrays() throws IOException {
        assumeTrue(Files.isRegularFile(OUT), "no recorded kernel output at " + OUT.toAbsolutePath());
        List<Recorded> out = new ArrayList<>();
        Pattern head = Pattern.compile("^=== (\\S+): --level=(\\d+)(.*)$");
        Pattern role = Pattern.compile("^  vd[a-d]: Device Role : ([^;]*);");
        Recorded r = null;
        for (String line : Files.readAllLines(OUT)) {
            Matcher m;
            if ((m = head.matcher(line)).find()) {
                Matcher layout = Pattern.compile("--layout=(\\S+)").matcher(m.group(3));
                Matcher chunk = Pattern.compile("--chunk=(\\d+)").matcher(m.group(3));
                int level = Integer.parseInt(m.group(2));
                r = new Recorded(out.size() + 1, m.group(1), level,
                        layout.find() ? LAYOUTS.get(layout.group(1)) : MdadmCreate.LAYOUT_DEFAULT,
                        chunk.find() ? Integer.parseInt(chunk.group(1)) * 2 : 0, new ArrayList<>(), new ArrayList<>());
                out.add(r);
            } else if (r != null && line.startsWith("    ")) {
                r.stable().add(line);
            } else if (r != null && (m = role.matcher(line)).find()) {
                r.roles().add(m.group(1));
            }
        }
        assertThat(out).as("arrays in " + OUT).hasSize(13);
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("arrays")
    @Timeout(60)
    void mdadmExaminesOurSuperblocksAsTheKernelsArrays(Recorded a, @TempDir Path dir) throws Exception {
        MdadmTool.require();
        byte[] uuid = Superblock1.parseUuid(String.format("01234567:89abcdef:01234567:89ab%04x", a.n()));
        Request request = new Request(a.level(), a.layout(), a.chunkSectors(), 4, false, "oracle", a.tag(), uuid,
                true);
        long[] sizes = {MEMBER_BYTES / 512, MEMBER_BYTES / 512, MEMBER_BYTES / 512, MEMBER_BYTES / 512};
        Plan plan = MdadmCreate.plan(request, sizes, 1577836800L, 0, new Random(a.n()));
        for (int i = 0; i < 4; i++) {
            Superblock1 sb = plan.superblocks().get(i);
            // as Linux 6.1 leaves it after the script's writes and --stop (the oracle's raidN-rw dumps)
            sb.setEvents(a.level() == 0 ? 0 : 2).setUtime(Superblock1.time(1577836801L, 0));
            Path member = dir.resolve("m" + i + ".img");
            writeMember(member, sb);
            String examine = MdadmTool.run("--examine", "--homehost=oracle", member.toString());
            List<String> stable = examine.lines().filter(l -> l.matches("^ *(" + STABLE + ") :.*"))
                    .map(l -> "    " + l.stripLeading()).toList();
            assertThat(stable).as("stable --examine lines of member %d:%n%s", i, examine)
                    .containsExactlyElementsOf(a.stable());
            assertThat(examine).contains("   Device Role : " + a.roles().get(i) + "\n");
            assertThat(examine).contains(String.format("       Checksum : %x - correct", sb.sbCsum()));
            assertThat(examine).contains("         Events : " + sb.events() + "\n");
        }
    }

    /** A sparse 16 MiB member file with this superblock at 4 KiB. */
    static void writeMember(Path file, Superblock1 sb) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(MEMBER_BYTES);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = sb.encode();
            while (b.hasRemaining()) {
                ch.write(b, Superblock1.SUPER_OFFSET_V12 * 512 + b.position());
            }
        }
    }
}
