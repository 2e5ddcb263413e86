package jdm.md.raid456;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jdm.block.BlkStatus;
import jdm.md.layout.ParityAlgorithm;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The raid4/5/6 arrays of the oracle's md-layouts.sh, built as Mddevs over four zeroed 16 MiB memory disks (data
 * offset 2048, --assume-clean), written with the script's pattern through the array (4 KiB blocks 0-255, 1283-1538
 * and the last 64, with the script's 1 MiB dd writes and, for the middle range, block by block so the
 * read-modify-write path runs too): every member's data area must hash as Linux 6.1 left it
 * (../shared/oracle/examples/md-layouts.out).
 */
class Raid456KernelLayoutsTest {
    private static final Path OUT = Path.of("..", "shared", "oracle", "examples", "md-layouts.out");
    private static final int DISKS = 4;
    private static final long MEMBER_SECTORS = 30720;

    record Recorded(String tag, int level, String layout, long blocks, String patternSha, List<String> memberShas) {
        @Override
        public String toString() {
            return tag;
        }
    }

    static Stream<Recorded> arrays() throws IOException {
        assumeTrue(Files.isRegularFile(OUT), "no recorded kernel output at " + OUT.toAbsolutePath());
        List<Recorded> out = new ArrayList<>();
        Pattern head = Pattern.compile("^=== (\\S+): --level=(\\d+)(.*)$");
        Pattern array = Pattern.compile("^array: (\\d+) blocks of 4 KiB; pattern sha256 ([0-9a-f]{64})");
        Pattern member = Pattern.compile("^  vd[a-d]: .*sha256 ([0-9a-f]{64})$");
        String tag = null;
        int level = 0;
        String layout = null;
        long blocks = 0;
        String pattern = null;
        List<String> shas = new ArrayList<>();
        for (String line : Files.readAllLines(OUT)) {
            Matcher m;
            if ((m = head.matcher(line)).find()) {
                tag = m.group(1);
                level = Integer.parseInt(m.group(2));
                Matcher l = Pattern.compile("--layout=(\\S+)").matcher(m.group(3));
                layout = l.find() ? l.group(1) : null;
                shas = new ArrayList<>();
            } else if ((m = array.matcher(line)).find()) {
                blocks = Long.parseLong(m.group(1));
                pattern = m.group(2);
            } else if ((m = member.matcher(line)).find()) {
                shas.add(m.group(1));
                if (shas.size() == DISKS && level >= 4 && level <= 6) {
                    out.add(new Recorded(tag, level, layout, blocks, pattern, List.copyOf(shas)));
                }
            }
        }
        assertThat(out).as("raid4/5/6 arrays in " + OUT).hasSize(8);
        return out.stream();
    }

    /** md-layouts.sh's pattern for one 4 KiB block: 8 sectors of 16 x "TAG blkNNNNNNN secS" padded with '.'. */
    static byte[] patternBlocks(String tag, long first, int count) {
        byte[] b = new byte[4096 * count];
        for (int k = 0; k < count; k++) {
            for (int s = 0; s < 8; s++) {
                String r = String.format("%s blk%07d sec%d", tag, first + k, s);
                byte[] rec = ((r + "................................").substring(0, 31) + "\n")
                        .getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < 16; i++) {
                    System.arraycopy(rec, 0, b, k * 4096 + s * 512 + i * 32, 32);
                }
            }
        }
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("arrays")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void membersMatchTheKernelAfterWritesThroughTheArray(Recorded r) throws Exception {
        int layout = r.level() == 4 ? ParityAlgorithm.PARITY_N.number()
                : r.layout() == null ? ParityAlgorithm.LEFT_SYMMETRIC.number()
                : ParityAlgorithm.ofName(r.layout()).number();
        try (TestArray a = TestArray.create(r.level(), layout, 128, DISKS, MEMBER_SECTORS)) {
            assertThat(a.md.sizeSectors() / 8).as("array size md reports").isEqualTo(r.blocks());
            ByteArrayOutputStream written = new ByteArrayOutputStream();
            long[][] writes = {{0, 256}, {1283, 256}, {r.blocks() - 64, 64}};
            for (long[] w : writes) {
                byte[] data = patternBlocks(r.tag(), w[0], (int) w[1]);
                written.write(data);
                if (w[0] == 1283) {
                    for (int k = 0; k < w[1]; k++) {   // 4 KiB at a time: partial stripes, rmw and rcw
                        byte[] one = java.util.Arrays.copyOfRange(data, k * 4096, (k + 1) * 4096);
                        assertThat(SyncIo.write(a.md, (w[0] + k) * 8, one)).isEqualTo(BlkStatus.OK);
                    }
                } else {
                    for (int off = 0; off < data.length; off += 1 << 20) {
                        byte[] mib = java.util.Arrays.copyOfRange(data, off, Math.min(data.length, off + (1 << 20)));
                        assertThat(SyncIo.write(a.md, w[0] * 8 + off / 512, mib)).isEqualTo(BlkStatus.OK);
                    }
                }
                assertThat(SyncIo.read(a.md, w[0] * 8, (int) w[1] * 8)).isEqualTo(data);
            }
            assertThat(TestArray.sha256(written.toByteArray())).as("the script's pattern").isEqualTo(r.patternSha());
            List<String> got = new ArrayList<>();
            for (int i = 0; i < DISKS; i++) {
                got.add(TestArray.sha256(a.dataArea(i)));
            }
            assertThat(got).as(r.tag() + ": member data-area sha256, vda..vdd").isEqualTo(r.memberShas());
        }
    }
}
