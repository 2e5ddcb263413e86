package jdm.md.raid456;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jdm.block.BlkStatus;
import jdm.md.layout.ParityAlgorithm;
import jdm.testing.SyncIo;
import jdm.testing.MdLayoutsRecorded;
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
    private static final int DISKS = 4;
    private static final long MEMBER_SECTORS = 30720;

    static Stream<MdLayoutsRecorded> arrays() throws IOException {
        List<MdLayoutsRecorded> out = MdLayoutsRecorded.all().stream().filter(r -> r.level() >= 4 && r.level() <= 6)
                .toList();
        assertThat(out).as("raid4/5/6 arrays in " + MdLayoutsRecorded.OUT).hasSize(8);
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("arrays")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void membersMatchTheKernelAfterWritesThroughTheArray(MdLayoutsRecorded r) throws Exception {
        int layout = r.level() == 4 ? ParityAlgorithm.PARITY_N.number()
                : r.layout() == null ? ParityAlgorithm.LEFT_SYMMETRIC.number()
                : ParityAlgorithm.ofName(r.layout()).number();
        try (TestArray a = TestArray.create(r.level(), layout, 128, DISKS, MEMBER_SECTORS)) {
            assertThat(a.md.sizeSectors() / 8).as("array size md reports").isEqualTo(r.blocks());
            ByteArrayOutputStream written = new ByteArrayOutputStream();
            long[][] writes = r.writes();
            for (long[] w : writes) {
                byte[] data = r.pattern(w[0], (int) w[1]);
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
