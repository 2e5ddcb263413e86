package jdm.md.raid456;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.md.Rdev;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Degraded raid4/5 (each member missing in turn) and raid6 (every pair missing): reads rebuild the missing data
 * (XOR; raid6 from P, from Q, data+P, data+Q, two data), writes update what exists so later reads rebuild the new
 * data, and md_error's decisions and kernel log lines are raid5_error's.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Raid456DegradedTest {
    private static final int CHUNK = 16;
    private static final long MEMBER = 32L * CHUNK;

    static Stream<Arguments> failures() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (int i = 0; i < 4; i++) {
            b.add(Arguments.of(4, 5, 4, new int[] {i}));
            b.add(Arguments.of(5, 2, 4, new int[] {i}));
        }
        for (int i = 0; i < 5; i++) {
            for (int j = i + 1; j < 5; j++) {
                b.add(Arguments.of(6, 2, 5, new int[] {i, j}));
            }
        }
        b.add(Arguments.of(6, 0, 6, new int[] {1, 4}));
        b.add(Arguments.of(6, 5, 6, new int[] {4, 5}));
        return b.build();
    }

    private static void writeRandom(TestArray a, byte[] model, Random rnd, int count, int maxLen) {
        int size = (int) a.md.sizeSectors();
        for (int i = 0; i < count; i++) {
            int off = rnd.nextInt(size);
            int len = Math.min(size - off, 1 + rnd.nextInt(maxLen));
            byte[] d = new byte[len * 512];
            rnd.nextBytes(d);
            System.arraycopy(d, 0, model, off * 512, d.length);
            assertThat(SyncIo.write(a.md, off, d)).isEqualTo(BlkStatus.OK);
        }
    }

    @ParameterizedTest(name = "raid{0} algorithm {1}, {2} members, failed {3}")
    @MethodSource("failures")
    void degradedReadsAndWritesVerify(int level, int alg, int n, int[] failed) throws Exception {
        try (TestArray a = TestArray.create(level, alg, CHUNK, n, MEMBER)) {
            int size = (int) a.md.sizeSectors();
            byte[] model = new byte[size * 512];
            Random rnd = new Random(Arrays.hashCode(failed) + level);
            rnd.nextBytes(model);
            assertThat(SyncIo.write(a.md, 0, model)).isEqualTo(BlkStatus.OK);
            int[] writesBefore = new int[n];
            for (int f : failed) {
                writesBefore[f] = a.faulty[f].submits(Op.WRITE);
                Rdev r = a.rdev(f);
                a.md.error(r);
                assertThat(r.faulty()).isTrue();
                a.faulty[f].failAll(BlkStatus.IOERR);     // and it no longer answers at all
            }
            assertThat(a.md.personality().degraded()).isEqualTo(failed.length);
            assertThat(SyncIo.read(a.md, 0, size)).as("degraded read of everything").isEqualTo(model);
            writeRandom(a, model, rnd, 60, 3 * CHUNK);
            assertThat(SyncIo.read(a.md, 0, size)).as("after degraded writes").isEqualTo(model);
            for (int i = 0; i < 40; i++) {                 // small reads, sector granular
                int off = rnd.nextInt(size);
                int len = Math.min(size - off, 1 + rnd.nextInt(12));
                assertThat(SyncIo.read(a.md, off, len))
                        .isEqualTo(Arrays.copyOfRange(model, off * 512, (off + len) * 512));
            }
            for (int f : failed) {
                assertThat(a.faulty[f].submits(Op.WRITE)).as("nothing written to failed member " + f)
                        .isEqualTo(writesBefore[f]);
            }
        }
    }

    @Test
    void raid5ErrorLogsAndRefusesTheSecondFailure() throws Exception {
        try (TestArray a = TestArray.create(5, 2, CHUNK, 4, MEMBER)) {
            assertThat(a.md.personality().status()).isEqualTo("level 5, 8k chunk, algorithm 2 [4/4] [UUUU]");
            assertThat(a.log).contains("md/raid:md0: device m2 operational as raid disk 2",
                    "md/raid:md0: raid level 5 active with 4 out of 4 devices, algorithm 2");
            byte[] model = new byte[(int) a.md.sizeSectors() * 512];
            new Random(3).nextBytes(model);
            assertThat(SyncIo.write(a.md, 0, model)).isEqualTo(BlkStatus.OK);
            a.log.clear();
            Rdev m1 = a.rdev(1);
            a.faulty[1].failWrites(0, Long.MAX_VALUE, BlkStatus.IOERR);
            byte[] d = new byte[4096];
            new Random(4).nextBytes(d);
            // a write that touches member 1 fails it: the write still succeeds, degraded
            long onM1 = CHUNK;   // array chunk 1 is data index 1: member 1 at stripe 0 under left-symmetric? find it
            for (long s = 0; ; s += 8) {
                if (jdm.md.raid456.KernelFormulas.compute(s, 5, 2, 4, CHUNK).dd() == 1) {
                    onM1 = s;
                    break;
                }
            }
            assertThat(SyncIo.write(a.md, onM1, d)).isEqualTo(BlkStatus.OK);
            System.arraycopy(d, 0, model, (int) onM1 * 512, d.length);
            assertThat(m1.faulty()).isTrue();
            assertThat(a.log).containsExactly("md/raid:md0: Disk failure on m1, disabling device.",
                    "md/raid:md0: Operation continuing on 3 devices.");
            assertThat(a.md.personality().status()).isEqualTo("level 5, 8k chunk, algorithm 2 [4/3] [U_UU]");
            assertThat(a.md.personality().degraded()).isEqualTo(1);
            assertThat(SyncIo.read(a.md, 0, (int) a.md.sizeSectors())).isEqualTo(model);
            // a second failure would lose data: refused, and I/O that needs the member fails
            a.log.clear();
            Rdev m3 = a.rdev(3);
            a.faulty[3].failAll(BlkStatus.MEDIUM);
            assertThat(a.md.personality().error(m3)).isFalse();
            assertThat(m3.faulty()).isFalse();
            assertThat(a.log).containsExactly("md/raid:md0: Cannot continue operation (2/4 failed).");
            byte[] out = new byte[(int) a.md.sizeSectors() * 512];
            assertThat(SyncIo.readInto(a.md, 0, out)).isEqualTo(BlkStatus.IOERR);
            assertThat(a.log).anyMatch(l -> l.startsWith("md/raid:md0: read error not correctable (sector "));
        }
    }

    @Test
    void aDegradedStartRunsAndTooFewMembersRefuse() throws Exception {
        try (TestArray a = TestArray.create(6, 2, CHUNK, 5, MEMBER, 3)) {
            assertThat(a.md.personality().status()).isEqualTo("level 6, 8k chunk, algorithm 2 [5/4] [UUU_U]");
            assertThat(a.log).contains("md/raid:md0: raid level 6 active with 4 out of 5 devices, algorithm 2");
            byte[] model = new byte[(int) a.md.sizeSectors() * 512];
            new Random(5).nextBytes(model);
            assertThat(SyncIo.write(a.md, 0, model)).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.read(a.md, 0, (int) a.md.sizeSectors())).isEqualTo(model);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestArray.create(5, 2, CHUNK, 3, MEMBER, 0, 2))
                .isInstanceOf(jdm.md.MdException.class)
                .hasMessage("md/raid:md0: not enough operational devices (2/3 failed)");
    }
}
