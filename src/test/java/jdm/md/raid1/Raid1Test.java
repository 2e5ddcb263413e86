package jdm.md.raid1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.HeldDevice;
import jdm.block.Op;
import jdm.md.ArrayGeometry;
import jdm.md.MdException;
import jdm.md.Mddev;
import jdm.md.Personality;
import jdm.md.Rdev;
import jdm.md.SyncAction;
import jdm.md.personalities.BuiltinPersonalities;
import jdm.testing.FaultyDisk;
import jdm.testing.MdLayoutsRecorded;
import jdm.testing.MdTestMembers;
import jdm.testing.MemoryDisk;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Raid1Test {
    private static final long OFFSET = 2048;
    private static final long MEMBER = 4096; // 2 MiB data areas

    private final List<String> log = new CopyOnWriteArrayList<>();

    private static Rdev rdev(BlockDevice d, int i, long sectors, int role) {
        return MdTestMembers.rdev(d, i, OFFSET, sectors, role);
    }

    private static byte[] random(int sectors, long seed) {
        return MdTestMembers.random(sectors, seed);
    }

    /** Runs one whole pass of action the way the sync thread drives it. */
    static long pass(Personality p, SyncAction action) throws InterruptedException {
        return MdTestMembers.pass(p, action);
    }

    private Mddev array(BlockDevice... disks) throws MdException {
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < disks.length; i++) {
            rdevs.add(rdev(disks[i], i, MEMBER, i));
        }
        return Mddev.run("md0", 0, new ArrayGeometry(1, 0, 0, disks.length, MEMBER), rdevs,
                BuiltinPersonalities.registry(), log::add);
    }

    private static MemoryDisk[] disks(int n) {
        MemoryDisk[] d = new MemoryDisk[n];
        for (int i = 0; i < n; i++) {
            d[i] = new MemoryDisk("m" + i, OFFSET + MEMBER);
        }
        return d;
    }

    @Test
    void theMdLayoutsPatternLeavesEveryMemberAsLinuxDid() throws IOException, MdException {
        MdLayoutsRecorded rec = MdLayoutsRecorded.find("raid1");
        MemoryDisk[] disks = new MemoryDisk[MdLayoutsRecorded.DISKS];
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < disks.length; i++) {
            disks[i] = new MemoryDisk("vd" + (char) ('a' + i), MdLayoutsRecorded.DISK_SECTORS);
            Rdev r = new Rdev(HeldDevice.of(disks[i], 7, i, () -> { }), disks[i].name(), MdLayoutsRecorded.DATA_OFFSET,
                    MdLayoutsRecorded.DATA_SECTORS, i);
            r.set(Rdev.Flag.IN_SYNC);
            rdevs.add(r);
        }
        try (Mddev md = Mddev.run("md0", 0, new ArrayGeometry(1, 0, 0, 4, MdLayoutsRecorded.DATA_SECTORS), rdevs,
                BuiltinPersonalities.registry(), log::add)) {
            assertThat(md.sizeSectors() / 8).isEqualTo(rec.blocks());
            byte[] image = new byte[(int) md.sizeSectors() * 512];
            for (long[] w : rec.writes()) {
                byte[] data = rec.pattern(w[0], (int) w[1]);
                assertThat(SyncIo.write(md, w[0] * 8, data)).isEqualTo(BlkStatus.OK);
                System.arraycopy(data, 0, image, (int) (w[0] * 4096), data.length);
            }
            List<String> got = new ArrayList<>();
            for (MemoryDisk d : disks) {
                byte[] area = d.bytes(MdLayoutsRecorded.DATA_OFFSET, (int) MdLayoutsRecorded.DATA_SECTORS);
                // independent reference: every mirror holds the array image at the same sector
                assertThat(area).as(d.name()).isEqualTo(image);
                got.add(MdLayoutsRecorded.sha256(area));
            }
            assertThat(got).isEqualTo(rec.memberShas());
        }
    }

    @Test
    void concurrentRandomWritesReadBackAndEveryMirrorIsIdentical() throws Exception {
        MemoryDisk[] d = disks(3);
        try (Mddev md = array(d)) {
            byte[] model = MdTestMembers.concurrentWritesVerified(md, (int) MEMBER, 8);
            assertThat(SyncIo.read(md, 0, (int) MEMBER)).isEqualTo(model);
            for (MemoryDisk disk : d) {
                assertThat(disk.bytes(OFFSET, (int) MEMBER)).as(disk.name()).isEqualTo(model);
            }
            assertThat(pass(md.personality(), SyncAction.CHECK)).isZero();
        }
    }

    @Test
    void aMirrorFailingUnderConcurrentLoadWithLateCompletionsLosesNoData() throws Exception {
        MemoryDisk[] m = disks(3);
        FaultyDisk[] f = new FaultyDisk[3];
        for (int i = 0; i < 3; i++) {
            f[i] = new FaultyDisk(m[i]).delayCompletions(java.time.Duration.ofMillis(1));
        }
        try (Mddev md = array(f)) {
            byte[] model = new byte[(int) MEMBER * 512];
            int threads = 4;
            int region = (int) MEMBER / threads;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * region;
                long seed = 100 + t;
                fs.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    for (int i = 0; i < 150; i++) {
                        int len = 1 + rnd.nextInt(32);
                        int at = base + rnd.nextInt(region - len);
                        byte[] data = random(len, rnd.nextLong());
                        assertThat(SyncIo.write(md, at, data)).isEqualTo(BlkStatus.OK);
                        synchronized (model) {
                            System.arraycopy(data, 0, model, at * 512, data.length);
                        }
                        byte[] want;
                        synchronized (model) {
                            want = Arrays.copyOfRange(model, at * 512, (at + len) * 512);
                        }
                        assertThat(SyncIo.read(md, at, len)).isEqualTo(want);
                    }
                    return null;
                }));
            }
            Thread.sleep(30);
            f[0].failReads(0, Long.MAX_VALUE, BlkStatus.MEDIUM);  // reads fail and get corrected ...
            f[1].failWrites(0, Long.MAX_VALUE, BlkStatus.IOERR); // ... writes fail the member
            for (Future<?> fu : fs) {
                fu.get();
            }
            pool.shutdown();
            assertThat(md.rdevs().get(1).faulty()).isTrue();
            assertThat(md.rdevs().get(0).faulty()).isFalse();
            assertThat(md.personality().status()).isEqualTo("[3/2] [U_U]");
            f[0].clearFaults();
            assertThat(SyncIo.read(md, 0, (int) MEMBER)).isEqualTo(model);
            assertThat(m[0].bytes(OFFSET, (int) MEMBER)).isEqualTo(model);
            assertThat(m[2].bytes(OFFSET, (int) MEMBER)).isEqualTo(model);
            assertThat(pass(md.personality(), SyncAction.CHECK)).isZero();
        }
    }

    @Test
    void sequentialReadsStayOnOneMirrorAndFuaReachesEveryCopy() throws MdException {
        MemoryDisk[] m = disks(2);
        FaultyDisk a = new FaultyDisk(m[0]);
        FaultyDisk b = new FaultyDisk(m[1]);
        try (Mddev md = array(a, b)) {
            assertThat(SyncIo.op(md, Op.FLUSH, 0, 0)).isEqualTo(BlkStatus.OK);
            byte[] data = random(8, 1);
            assertThat(new jdm.block.Bio(Op.WRITE, jdm.block.Bio.FUA, md, 16, 8, java.nio.ByteBuffer.wrap(data), null)
                    .submitAndWait()).isEqualTo(BlkStatus.OK);
            assertThat(a.seen()).contains(new FaultyDisk.Seen(Op.WRITE, jdm.block.Bio.FUA, OFFSET + 16, 8));
            assertThat(b.seen()).contains(new FaultyDisk.Seen(Op.WRITE, jdm.block.Bio.FUA, OFFSET + 16, 8));
            assertThat(a.submits(Op.FLUSH)).isEqualTo(1);
            assertThat(b.submits(Op.FLUSH)).isEqualTo(1);
            for (int i = 0; i < 8; i++) {
                SyncIo.read(md, i * 8L, 8);
            }
            assertThat(a.submits(Op.READ) + b.submits(Op.READ)).isEqualTo(8);
            assertThat(Math.max(a.submits(Op.READ), b.submits(Op.READ))).isEqualTo(8);
        }
    }

    @Test
    void aReadErrorIsRetriedFromAnotherMirrorAndRewritten() throws MdException {
        MemoryDisk[] m = disks(2);
        FaultyDisk a = new FaultyDisk(m[0]);
        try (Mddev md = array(a, m[1])) {
            byte[] data = random(32, 2);
            assertThat(SyncIo.write(md, 100, data)).isEqualTo(BlkStatus.OK);
            m[0].put(OFFSET + 100, new byte[32 * 512]); // the first mirror's copy is bad ...
            a.failReads(OFFSET + 110, 4, BlkStatus.MEDIUM); // ... and its read fails
            assertThat(SyncIo.read(md, 100, 32)).isEqualTo(data);
            Rdev r0 = md.rdevs().get(0);
            assertThat(r0.faulty()).isFalse();
            assertThat(r0.correctedErrors()).isEqualTo(32);
            assertThat(m[0].bytes(OFFSET + 100, 32)).as("rewritten from the other mirror").isEqualTo(data);
            assertThat(log).contains("md/raid1:md0: read error corrected (32 sectors at 2148 on m0)");
            assertThat(md.personality().status()).isEqualTo("[2/2] [UU]");
        }
    }

    @Test
    void aWriteErrorFailsTheMemberAndTheArrayGoesOnDegraded() throws MdException {
        MemoryDisk[] m = disks(2);
        FaultyDisk b = new FaultyDisk(m[1]);
        try (Mddev md = array(m[0], b)) {
            assertThat(log).containsExactly("md/raid1:md0: active with 2 out of 2 mirrors");
            log.clear();
            b.failWrites(0, Long.MAX_VALUE, BlkStatus.IOERR);
            byte[] data = random(16, 3);
            assertThat(SyncIo.write(md, 8, data)).isEqualTo(BlkStatus.OK);
            Rdev r1 = md.rdevs().get(1);
            assertThat(r1.faulty()).isTrue();
            assertThat(r1.inSync()).isFalse();
            assertThat(md.personality().degraded()).isEqualTo(1);
            assertThat(md.personality().status()).isEqualTo("[2/1] [U_]");
            assertThat(log).containsExactly("md/raid1:md0: Disk failure on m1, disabling device.",
                    "md/raid1:md0: Operation continuing on 1 devices.");
            assertThat(SyncIo.read(md, 8, 16)).isEqualTo(data);
            // the last working mirror is never failed: its write errors fail the write
            assertThat(md.personality().error(md.rdevs().get(0))).isFalse();
            assertThat(md.rdevs().get(0).faulty()).isFalse();
        }
    }

    @Test
    void theLastMirrorsWriteErrorFailsTheWrite() throws MdException {
        MemoryDisk[] m = disks(2);
        FaultyDisk a = new FaultyDisk(m[0]);
        FaultyDisk b = new FaultyDisk(m[1]);
        try (Mddev md = array(a, b)) {
            b.failWrites(0, Long.MAX_VALUE, BlkStatus.IOERR);
            assertThat(SyncIo.write(md, 0, random(8, 4))).isEqualTo(BlkStatus.OK);
            a.failWrites(0, Long.MAX_VALUE, BlkStatus.IOERR);
            assertThat(SyncIo.write(md, 0, random(8, 5))).isEqualTo(BlkStatus.IOERR);
            assertThat(md.rdevs().get(0).faulty()).isFalse();
            assertThat(md.personality().status()).isEqualTo("[2/1] [U_]");
        }
    }

    @Test
    void checkFindsNothingOnAConsistentArrayCountsACorruptedCopyAndRepairFixesIt() throws Exception {
        MemoryDisk[] m = disks(3);
        try (Mddev md = array(m)) {
            byte[] data = random((int) MEMBER, 6);
            assertThat(SyncIo.write(md, 0, data)).isEqualTo(BlkStatus.OK);
            Personality p = md.personality();
            assertThat(pass(p, SyncAction.CHECK)).isZero();
            m[2].put(OFFSET + 300, random(3, 7)); // one window of mirror 2
            m[1].put(OFFSET + 1000, random(1, 8)); // one window of mirror 1
            assertThat(pass(p, SyncAction.CHECK)).as("a 128-sector window per differing mirror")
                    .isEqualTo(2 * Raid1Sync.WINDOW);
            assertThat(m[2].bytes(OFFSET, (int) MEMBER)).isNotEqualTo(data); // check changes nothing
            assertThat(pass(p, SyncAction.REPAIR)).isEqualTo(2 * Raid1Sync.WINDOW);
            assertThat(pass(p, SyncAction.CHECK)).isZero();
            for (MemoryDisk d : m) {
                assertThat(d.bytes(OFFSET, (int) MEMBER)).isEqualTo(data);
            }
        }
    }

    @Test
    void resyncCopiesTheFirstMirrorOverTheOthers() throws Exception {
        MemoryDisk[] m = disks(2);
        m[0].put(OFFSET, random((int) MEMBER, 9));
        try (Mddev md = array(m)) {
            assertThat(pass(md.personality(), SyncAction.CHECK)).isPositive();
            pass(md.personality(), SyncAction.RESYNC);
            assertThat(m[1].bytes(OFFSET, (int) MEMBER)).isEqualTo(m[0].bytes(OFFSET, (int) MEMBER));
            assertThat(pass(md.personality(), SyncAction.CHECK)).isZero();
        }
    }

    @Test
    void recoveryOntoASpareUnderWritesMakesItIdentical() throws Exception {
        MemoryDisk[] m = disks(2);
        MemoryDisk spareDisk = new MemoryDisk("m2", OFFSET + MEMBER);
        try (Mddev md = array(m)) {
            byte[] data = random((int) MEMBER, 10);
            assertThat(SyncIo.write(md, 0, data)).isEqualTo(BlkStatus.OK);
            Rdev failed = md.rdevs().get(1);
            md.error(failed);
            assertThat(failed.faulty()).isTrue();
            assertThat(md.personality().hotRemove(failed)).isTrue();
            md.removeRdev(failed);
            Rdev spare = rdev(spareDisk, 2, MEMBER, -1);
            md.addRdev(spare);
            assertThat(md.personality().hotAdd(spare)).isTrue();
            assertThat(spare.role()).isEqualTo(1);
            assertThat(spare.recoveryOffset()).isZero();
            assertThat(md.personality().status()).isEqualTo("[2/1] [U_]");

            Thread writer = new Thread(() -> {
                Random rnd = new Random(11);
                for (int i = 0; i < 300; i++) {
                    int at = rnd.nextInt((int) MEMBER - 16);
                    byte[] d = random(16, rnd.nextLong());
                    assertThat(SyncIo.write(md, at, d)).isEqualTo(BlkStatus.OK);
                    synchronized (data) {
                        System.arraycopy(d, 0, data, at * 512, d.length);
                    }
                }
            });
            writer.start();
            pass(md.personality(), SyncAction.RECOVER);
            writer.join();
            assertThat(spare.recoveryOffset()).isEqualTo(MEMBER);
            assertThat(md.personality().spareActive()).isEqualTo(1);
            assertThat(spare.inSync()).isTrue();
            assertThat(spare.recoveryOffset()).isEqualTo(Rdev.MAX_SECTOR);
            assertThat(md.personality().status()).isEqualTo("[2/2] [UU]");
            assertThat(spareDisk.bytes(OFFSET, (int) MEMBER)).isEqualTo(data);
            assertThat(m[0].bytes(OFFSET, (int) MEMBER)).isEqualTo(data);
        }
    }

    @Test
    void aReplacementIsBuiltWhileTheOldMemberServesAndThenTakesItsRole() throws Exception {
        MemoryDisk[] m = disks(2);
        MemoryDisk newDisk = new MemoryDisk("m2", OFFSET + MEMBER);
        try (Mddev md = array(m)) {
            byte[] data = random((int) MEMBER, 14);
            assertThat(SyncIo.write(md, 0, data)).isEqualTo(BlkStatus.OK);
            Rdev old = md.rdevs().get(1);
            old.set(Rdev.Flag.WANT_REPLACEMENT);
            Rdev repl = rdev(newDisk, 2, MEMBER, -1);
            md.addRdev(repl);
            assertThat(md.personality().hotAdd(repl)).isTrue();
            assertThat(repl.has(Rdev.Flag.REPLACEMENT)).isTrue();
            assertThat(md.replacement(1)).isSameAs(repl);
            assertThat(md.personality().status()).as("the old member still serves").isEqualTo("[2/2] [UU]");
            byte[] more = random(64, 15);
            assertThat(SyncIo.write(md, 100, more)).isEqualTo(BlkStatus.OK); // reaches the replacement too
            System.arraycopy(more, 0, data, 100 * 512, more.length);
            assertThat(newDisk.bytes(OFFSET + 100, 64)).isEqualTo(more);
            pass(md.personality(), SyncAction.RECOVER);
            assertThat(md.personality().spareActive()).as("no role was degraded").isZero();
            assertThat(old.faulty()).isTrue();
            assertThat(repl.inSync()).isTrue();
            assertThat(repl.has(Rdev.Flag.REPLACEMENT)).isFalse();
            assertThat(md.rdev(1)).isSameAs(repl);
            assertThat(newDisk.bytes(OFFSET, (int) MEMBER)).isEqualTo(data);
            assertThat(md.personality().status()).isEqualTo("[2/2] [UU]");
        }
    }

    @Test
    void aWriteMostlyMirrorIsReadOnlyWhenNoOtherCan() throws MdException {
        MemoryDisk[] m = disks(2);
        FaultyDisk a = new FaultyDisk(m[0]);
        FaultyDisk b = new FaultyDisk(m[1]);
        try (Mddev md = array(a, b)) {
            md.rdevs().get(0).set(Rdev.Flag.WRITE_MOSTLY);
            for (int i = 0; i < 10; i++) {
                SyncIo.read(md, i * 64L, 8);
            }
            assertThat(a.submits(Op.READ)).isZero();
            b.failReads(0, Long.MAX_VALUE, BlkStatus.IOERR);
            SyncIo.read(md, 0, 8); // retried from the write-mostly mirror
            assertThat(a.submits(Op.READ)).isEqualTo(1);
        }
    }

    @Test
    void readsOfARecoveringMemberOnlyBelowItsRecoveryOffset() throws Exception {
        MemoryDisk[] m = disks(2);
        FaultyDisk b = new FaultyDisk(m[1]);
        try (Mddev md = array(m[0], b)) {
            Rdev r1 = md.rdevs().get(1);
            r1.clear(Rdev.Flag.IN_SYNC);
            r1.setRecoveryOffset(64);
            assertThat(md.personality().status()).isEqualTo("[2/1] [U_]");
            for (int i = 0; i < 20; i++) {
                SyncIo.read(md, 100 + i * 50, 8); // above 64: only mirror 0 holds them
            }
            assertThat(b.submits(Op.READ)).isZero();
        }
    }

    @Test
    void quiesceHoldsNewIoWithoutBlockingItsSubmitterAndReleasesIt() throws Exception {
        MemoryDisk[] m = disks(2);
        FaultyDisk a = new FaultyDisk(m[0]);
        try (Mddev md = array(a, m[1])) {
            md.personality().quiesce(true);
            java.util.concurrent.CompletableFuture<BlkStatus> done = new java.util.concurrent.CompletableFuture<>();
            byte[] data = random(8, 13);
            new jdm.block.Bio(Op.WRITE, 0, md, 40, 8, java.nio.ByteBuffer.wrap(data), b -> done.complete(b.status()))
                    .submit(); // returns at once: the write is held, not blocked on
            Thread.sleep(50);
            assertThat(done).isNotDone();
            assertThat(a.submits(Op.WRITE)).isZero();
            md.personality().quiesce(false);
            assertThat(done.get(5, TimeUnit.SECONDS)).isEqualTo(BlkStatus.OK);
            assertThat(m[0].bytes(OFFSET + 40, 8)).isEqualTo(data);
        }
    }

    @Test
    void discardAndWriteZeroesGoToEveryCopy() throws MdException {
        MemoryDisk[] m = disks(2);
        try (Mddev md = array(m)) {
            assertThat(SyncIo.write(md, 0, random(256, 12))).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.op(md, Op.WRITE_ZEROES, 0, 128)).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.op(md, Op.DISCARD, 128, 128)).isEqualTo(BlkStatus.OK);
            for (MemoryDisk d : m) {
                assertThat(d.bytes(OFFSET, 256)).isEqualTo(new byte[256 * 512]);
            }
        }
    }

    @Test
    void noOperationalMirrorRefusesToRun() {
        MemoryDisk d = new MemoryDisk("m0", OFFSET + MEMBER);
        Rdev r = new Rdev(HeldDevice.of(d, 7, 0, () -> { }), "m0", OFFSET, MEMBER, 0);
        assertThatThrownBy(() -> Mddev.run("md0", 0, new ArrayGeometry(1, 0, 0, 2, MEMBER), List.of(r),
                BuiltinPersonalities.registry(), line -> { }))
                .isInstanceOf(MdException.class).hasMessage("md/raid1:md0: no operational mirrors");
    }
}
