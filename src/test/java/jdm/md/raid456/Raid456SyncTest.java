package jdm.md.raid456;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.md.Rdev;
import jdm.md.SyncAction;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The sync thread's side: check counts mismatches (in sectors, per 4 KiB page as mismatch_cnt) and writes
 * nothing, repair rewrites the wrong parity, resync makes parity consistent, and recovery onto spares rebuilds
 * members byte-identical to what they held, also with writes running during the rebuild.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Raid456SyncTest {
    private static final int CHUNK = 32;
    private static final long MEMBER = 64L * CHUNK;

    /** Walks the whole sync range as md_do_sync does, in windows of at most max sectors. */
    static long pass(TestArray a, SyncAction action, long max) throws InterruptedException {
        AtomicLong mismatches = new AtomicLong();
        long total = a.md.personality().syncSectors(action);
        for (long s = 0; s < total; ) {
            long n = a.md.personality().syncRequest(s, max, action, mismatches);
            assertThat(n).isPositive();
            s += n;
        }
        return mismatches.get();
    }

    private static byte[] fill(TestArray a, long seed) {
        byte[] model = new byte[(int) a.md.sizeSectors() * 512];
        new Random(seed).nextBytes(model);
        assertThat(SyncIo.write(a.md, 0, model)).isEqualTo(BlkStatus.OK);
        return model;
    }

    @ParameterizedTest(name = "raid{0}, {1} members")
    @CsvSource({"5, 4", "6, 5", "4, 3"})
    void checkCountsRepairFixesResyncRecomputes(int level, int n) throws Exception {
        try (TestArray a = TestArray.create(level, level == 4 ? 5 : 2, CHUNK, n, MEMBER)) {
            assertThat(a.md.personality().syncSectors(SyncAction.CHECK)).isEqualTo(MEMBER);
            byte[] model = fill(a, level);
            assertThat(pass(a, SyncAction.CHECK, 24)).isZero();
            // corrupt one page of P in stripe 3 and, for raid6, one page of Q in stripe 7 and two of P in stripe 9
            var layout = new jdm.md.layout.StripedParityLayout(level, n, CHUNK,
                    jdm.md.layout.ParityAlgorithm.ofNumber(level == 4 ? 5 : 2), MEMBER);
            corrupt(a, layout.parityMember(3), 3 * CHUNK + 8);
            long want = 8;
            if (level == 6) {
                corrupt(a, layout.qMember(7), 7 * CHUNK);
                corrupt(a, layout.parityMember(9), 9 * CHUNK + 16);
                corrupt(a, layout.parityMember(9), 9 * CHUNK + 24);
                want = 32;
            }
            byte[][] before = new byte[n][];
            int[] writes = new int[n];
            for (int i = 0; i < n; i++) {
                before[i] = a.dataArea(i);
                writes[i] = a.faulty[i].submits(Op.WRITE);
            }
            assertThat(pass(a, SyncAction.CHECK, 1024)).as("mismatch_cnt after check").isEqualTo(want);
            for (int i = 0; i < n; i++) {
                assertThat(a.faulty[i].submits(Op.WRITE)).as("check writes nothing").isEqualTo(writes[i]);
                assertThat(a.dataArea(i)).isEqualTo(before[i]);
            }
            assertThat(pass(a, SyncAction.REPAIR, 64)).as("repair counts what it fixes").isEqualTo(want);
            assertThat(pass(a, SyncAction.CHECK, 64)).as("check after repair").isZero();
            corrupt(a, layout.parityMember(5), 5 * CHUNK);
            assertThat(pass(a, SyncAction.RESYNC, 40)).isZero();
            assertThat(pass(a, SyncAction.CHECK, 64)).as("check after resync").isZero();
            assertThat(SyncIo.read(a.md, 0, (int) a.md.sizeSectors())).isEqualTo(model);
        }
    }

    private static void corrupt(TestArray a, int member, long sector) {
        byte[] page = a.disks[member].bytes(TestArray.DATA_OFFSET + sector, 8);
        page[100] ^= 0x5a;
        a.disks[member].put(TestArray.DATA_OFFSET + sector, page);
    }

    @ParameterizedTest(name = "raid{0}, {1} members, rebuild {2}")
    @CsvSource({"5, 4, 1", "6, 5, 0 3", "6, 6, 2 5", "4, 4, 3"})
    void recoveryOntoSparesRebuildsIdenticalMembers(int level, int n, String roles) throws Exception {
        int[] lost = Arrays.stream(roles.split(" ")).mapToInt(Integer::parseInt).toArray();
        try (TestArray a = TestArray.create(level, level == 4 ? 5 : 2, CHUNK, n, MEMBER)) {
            byte[] model = fill(a, 17);
            byte[][] old = new byte[n][];
            for (int f : lost) {
                old[f] = a.dataArea(f);
                assertThat(a.md.personality().error(a.rdev(f))).isTrue();
            }
            assertThat(SyncIo.read(a.md, 0, (int) a.md.sizeSectors())).isEqualTo(model);
            Rdev[] spares = new Rdev[lost.length];
            for (int i = 0; i < lost.length; i++) {
                spares[i] = a.addSpare("s" + i);
                assertThat(a.md.personality().hotAdd(spares[i])).isTrue();
                assertThat(spares[i].role()).isEqualTo(lost[i]);
                assertThat(spares[i].inSync()).isFalse();
                assertThat(spares[i].recoveryOffset()).isZero();
            }
            assertThat(a.md.personality().status()).contains("[" + n + "/" + (n - lost.length) + "]");
            assertThat(a.md.personality().hotRemove(spares[0])).as("recovering: in use").isFalse();
            assertThat(a.md.personality().hotRemove(a.md.rdevs().get(lost[0]))).as("the failed one goes").isTrue();
            assertThat(a.md.personality().hotRemove(a.rdev(lost[0] == 0 ? 1 : 0))).as("in sync: in use").isFalse();
            assertThat(pass(a, SyncAction.RECOVER, 24)).isZero();
            assertThat(a.md.personality().spareActive()).isEqualTo(lost.length);
            for (int i = 0; i < lost.length; i++) {
                assertThat(spares[i].inSync()).isTrue();
                assertThat(spares[i].recoveryOffset()).isEqualTo(Rdev.MAX_SECTOR);
                assertThat(TestArray.dataArea(spares[i].device() instanceof jdm.testing.MemoryDisk d ? d : null,
                        MEMBER)).as("rebuilt member " + lost[i]).isEqualTo(old[lost[i]]);
            }
            assertThat(a.md.personality().degraded()).isZero();
            assertThat(pass(a, SyncAction.CHECK, 64)).isZero();
        }
    }

    @ParameterizedTest(name = "raid{0}, {1} members")
    @CsvSource({"5, 4", "6, 5"})
    void writesDuringRecoveryLandOnTheRebuiltMember(int level, int n) throws Exception {
        try (TestArray a = TestArray.create(level, 2, CHUNK, n, MEMBER)) {
            byte[] model = fill(a, 23);
            assertThat(a.md.personality().error(a.rdev(1))).isTrue();
            Rdev spare = a.addSpare("s0");
            assertThat(a.md.personality().hotAdd(spare)).isTrue();
            AtomicBoolean stop = new AtomicBoolean();
            Throwable[] failure = new Throwable[1];
            Thread writer = Thread.ofPlatform().start(() -> {
                Random rnd = new Random(29);
                int size = (int) a.md.sizeSectors();
                try {
                    while (!stop.get()) {
                        int off = rnd.nextInt(size);
                        int len = Math.min(size - off, 1 + rnd.nextInt(2 * CHUNK));
                        byte[] d = new byte[len * 512];
                        rnd.nextBytes(d);
                        synchronized (model) {
                            System.arraycopy(d, 0, model, off * 512, d.length);
                        }
                        assertThat(SyncIo.write(a.md, off, d)).isEqualTo(BlkStatus.OK);
                        int roff = rnd.nextInt(size);
                        int rlen = Math.min(size - roff, 1 + rnd.nextInt(CHUNK));
                        byte[] got = SyncIo.read(a.md, roff, rlen);
                        synchronized (model) {
                            // only the writer changes the model, so what it read must match
                            assertThat(got).isEqualTo(Arrays.copyOfRange(model, roff * 512, (roff + rlen) * 512));
                        }
                    }
                } catch (Throwable t) {
                    failure[0] = t;
                }
            });
            try {
                for (int round = 0; round < 2; round++) {
                    pass(a, SyncAction.RECOVER, 16);
                }
            } finally {
                stop.set(true);
                writer.join();
            }
            if (failure[0] != null) {
                throw new AssertionError("writer failed", failure[0]);
            }
            assertThat(a.md.personality().spareActive()).isEqualTo(1);
            assertThat(pass(a, SyncAction.CHECK, 64)).isZero();
            // the rebuilt member carries the data: fail another one and read everything back
            assertThat(a.md.personality().error(a.rdev(level == 6 ? 0 : 2))).isTrue();
            if (level == 6) {
                assertThat(a.md.personality().error(a.rdev(3))).isTrue();
            }
            assertThat(SyncIo.read(a.md, 0, (int) a.md.sizeSectors())).isEqualTo(model);
        }
    }

    @org.junit.jupiter.api.Test
    void aRecoveryThatCannotReadStopsShortAndTheSpareStaysInactive() throws Exception {
        try (TestArray a = TestArray.create(5, 2, CHUNK, 4, MEMBER)) {
            byte[] model = fill(a, 31);
            assertThat(a.md.personality().error(a.rdev(1))).isTrue();
            Rdev spare = a.addSpare("s0");
            assertThat(a.md.personality().hotAdd(spare)).isTrue();
            a.faulty[2].failReads(TestArray.DATA_OFFSET + 5 * CHUNK + 3, 1, BlkStatus.MEDIUM);
            pass(a, SyncAction.RECOVER, CHUNK);
            assertThat(spare.recoveryOffset()).as("stopped at the window it could not rebuild").isEqualTo(5 * CHUNK);
            assertThat(a.md.personality().spareActive()).isZero();
            assertThat(spare.inSync()).isFalse();
            assertThat(a.md.personality().status()).endsWith("[4/3] [U_UU]");
            a.faulty[2].clearFaults();
            assertThat(SyncIo.read(a.md, 0, (int) a.md.sizeSectors())).isEqualTo(model);
        }
    }

    @ParameterizedTest(name = "raid{0}, {1} members")
    @CsvSource({"5, 4", "6, 5"})
    void replaceCopiesOntoTheNewMemberWhileTheOldStaysInService(int level, int n) throws Exception {
        try (TestArray a = TestArray.create(level, 2, CHUNK, n, MEMBER)) {
            byte[] model = fill(a, 41);
            Rdev old = a.rdev(2);
            old.set(Rdev.Flag.WANT_REPLACEMENT);
            Rdev spare = a.addSpare("s0");
            assertThat(a.md.personality().hotAdd(spare)).isTrue();
            assertThat(spare.role()).isEqualTo(2);
            assertThat(spare.has(Rdev.Flag.REPLACEMENT)).isTrue();
            assertThat(a.md.personality().degraded()).as("a replacement degrades nothing").isZero();
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = Thread.ofPlatform().start(() -> {
                Random rnd = new Random(43);
                int size = (int) a.md.sizeSectors();
                while (!stop.get()) {
                    int off = rnd.nextInt(size);
                    int len = Math.min(size - off, 1 + rnd.nextInt(2 * CHUNK));
                    byte[] d = new byte[len * 512];
                    rnd.nextBytes(d);
                    synchronized (model) {
                        System.arraycopy(d, 0, model, off * 512, d.length);
                    }
                    SyncIo.write(a.md, off, d);
                }
            });
            try {
                pass(a, SyncAction.RECOVER, 24);
            } finally {
                stop.set(true);
                writer.join();
            }
            assertThat(a.md.personality().spareActive()).isZero();
            assertThat(old.faulty()).isTrue();
            assertThat(spare.inSync()).isTrue();
            assertThat(spare.has(Rdev.Flag.REPLACEMENT)).isFalse();
            assertThat(a.rdev(2)).isSameAs(spare);
            assertThat(TestArray.dataArea(spare.device(), MEMBER)).as("the copy").isEqualTo(a.dataArea(2));
            assertThat(pass(a, SyncAction.CHECK, 64)).isZero();
            assertThat(SyncIo.read(a.md, 0, (int) a.md.sizeSectors())).isEqualTo(model);
        }
    }
}
