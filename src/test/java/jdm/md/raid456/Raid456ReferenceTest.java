package jdm.md.raid456;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jdm.block.BlkStatus;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every sector of the array lands where raid5_compute_sector puts it and every P and Q byte is what the kernel's
 * formulas give, for raid4, the six raid5 layouts and the six raid6 layouts, after random-sized writes through the
 * array; and the fast parity loops agree with a byte-at-a-time GF(2^8) reference.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Raid456ReferenceTest {
    static Stream<Arguments> geometries() {
        Stream.Builder<Arguments> b = Stream.builder();
        b.add(Arguments.of(4, 5, 4, 16));
        for (int alg = 0; alg < 6; alg++) {
            b.add(Arguments.of(5, alg, 5, 16));
            b.add(Arguments.of(6, alg, 6, 8));
        }
        b.add(Arguments.of(5, 2, 2, 8));      // two-member raid5: parity is a copy
        b.add(Arguments.of(6, 2, 4, 32));
        return b.build();
    }

    @ParameterizedTest(name = "raid{0} algorithm {1}, {2} members, {3}-sector chunk")
    @MethodSource("geometries")
    void placementAndParityFollowTheKernelFormulas(int level, int alg, int n, int chunk) throws Exception {
        long member = 48L * chunk;
        try (TestArray a = TestArray.create(level, alg, chunk, n, member)) {
            long size = a.md.sizeSectors();
            assertThat(size).isEqualTo(member * (n - (level == 6 ? 2 : 1)));
            byte[] model = new byte[(int) size * 512];
            Random rnd = new Random(level * 100 + alg * 10 + n);
            rnd.nextBytes(model);
            for (int off = 0; off < size; ) {       // whole array in odd-sized writes
                int len = (int) Math.min(size - off, 1 + rnd.nextInt(3 * chunk));
                assertThat(SyncIo.write(a.md, off, Arrays.copyOfRange(model, off * 512, (off + len) * 512)))
                        .isEqualTo(BlkStatus.OK);
                off += len;
            }
            for (int i = 0; i < 200; i++) {          // then small overwrites: read-modify-write and friends
                int off = rnd.nextInt((int) size);
                int len = Math.min((int) size - off, 1 + rnd.nextInt(20));
                byte[] d = new byte[len * 512];
                rnd.nextBytes(d);
                System.arraycopy(d, 0, model, off * 512, d.length);
                assertThat(SyncIo.write(a.md, off, d)).isEqualTo(BlkStatus.OK);
            }
            byte[][] members = new byte[n][];
            for (int i = 0; i < n; i++) {
                members[i] = a.dataArea(i);
            }
            for (long s = 0; s < size; s++) {
                KernelFormulas.Place pl = KernelFormulas.compute(s, level, alg, n, chunk);
                assertThat(Arrays.copyOfRange(members[pl.dd()], (int) pl.sector() * 512, (int) pl.sector() * 512 + 512))
                        .as("array sector %d on member %d sector %d", s, pl.dd(), pl.sector())
                        .isEqualTo(Arrays.copyOfRange(model, (int) s * 512, (int) s * 512 + 512));
            }
            for (long stripe = 0; stripe < member / chunk; stripe++) {
                KernelFormulas.Place pl = KernelFormulas.compute(stripe * chunk * (n - (level == 6 ? 2 : 1)), level,
                        alg, n, chunk);
                for (int byteOff = (int) (stripe * chunk * 512); byteOff < (stripe + 1) * chunk * 512; byteOff++) {
                    int pv = 0;
                    int qv = 0;
                    for (int m = 0; m < n; m++) {
                        if (m == pl.pd() || m == pl.qd()) {
                            continue;
                        }
                        int d = members[m][byteOff] & 0xff;
                        pv ^= d;
                        if (pl.qd() >= 0) {
                            qv ^= KernelFormulas.gfMul(KernelFormulas.gfPow2(
                                    KernelFormulas.slot(m, pl.pd(), pl.qd(), n)), d);
                        }
                    }
                    if ((members[pl.pd()][byteOff] & 0xff) != pv
                            || pl.qd() >= 0 && (members[pl.qd()][byteOff] & 0xff) != qv) {
                        throw new AssertionError("stripe " + stripe + " byte " + byteOff + ": P "
                                + (members[pl.pd()][byteOff] & 0xff) + " want " + pv + (pl.qd() < 0 ? ""
                                : ", Q " + (members[pl.qd()][byteOff] & 0xff) + " want " + qv));
                    }
                }
            }
            assertThat(SyncIo.read(a.md, 0, (int) size)).isEqualTo(model);
        }
    }

    @Test
    void vectorAndSwarParityAgreeWithTheByteReference() throws InterruptedException {
        Random rnd = new Random(7);
        ParityKernel[] kernels = {new SwarParity(), Parities.awaitFastest()};
        for (int round = 0; round < 40; round++) {
            int disks = 1 + rnd.nextInt(12);
            int len = 64 * (1 + rnd.nextInt(80));
            byte[][] data = new byte[disks][];
            int[] offs = new int[disks];
            for (int z = 0; z < disks; z++) {
                offs[z] = 8 * rnd.nextInt(16);
                data[z] = new byte[offs[z] + len];
                rnd.nextBytes(data[z]);
            }
            byte[] wantP = new byte[len];
            byte[] wantQ = new byte[len];
            for (int i = 0; i < len; i++) {
                int pv = 0;
                int qv = 0;
                for (int z = 0; z < disks; z++) {
                    int d = data[z][offs[z] + i] & 0xff;
                    pv ^= d;
                    qv ^= KernelFormulas.gfMul(KernelFormulas.gfPow2(z), d);
                }
                wantP[i] = (byte) pv;
                wantQ[i] = (byte) qv;
            }
            byte[][] partial = data.clone();
            for (int z = 0; z < disks; z++) {
                if (rnd.nextBoolean()) {
                    partial[z] = null;
                }
            }
            for (ParityKernel k : kernels) {
                byte[] p = new byte[len + 8];
                byte[] q = new byte[len + 8];
                k.gen(data, offs, len, p, 8, q, 8);
                assertThat(Arrays.copyOfRange(p, 8, 8 + len)).as(k.name() + " P").isEqualTo(wantP);
                assertThat(Arrays.copyOfRange(q, 8, 8 + len)).as(k.name() + " Q").isEqualTo(wantQ);
                // xorSyndrome of a subset, then of the rest, must leave P and Q zero
                k.xorSyndrome(partial, offs, len, p, 8, q, 8);
                byte[][] rest = new byte[disks][];
                for (int z = 0; z < disks; z++) {
                    rest[z] = partial[z] == null ? data[z] : null;
                }
                k.xorSyndrome(rest, offs, len, p, 8, q, 8);
                assertThat(p).as(k.name() + " P after xor_syndrome").containsOnly(0);
                assertThat(q).as(k.name() + " Q after xor_syndrome").containsOnly(0);
                byte[] x = Arrays.copyOf(wantP, len);
                k.xor(x, 0, wantP, 0, len);
                assertThat(x).containsOnly(0);
            }
        }
        assertThat(Parities.best().name()).as("tests run with the Vector API module").startsWith("Vector API");
    }
}
