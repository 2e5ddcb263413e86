package jdm.md.raid10;

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
import jdm.md.layout.Raid10Layout;
import jdm.md.personalities.BuiltinPersonalities;
import jdm.testing.FaultyDisk;
import jdm.testing.MdLayoutsRecorded;
import jdm.testing.MdTestMembers;
import jdm.testing.MemoryDisk;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Raid10Test {
    private static final long OFFSET = 2048;
    private static final long MEMBER = 4096; // 2 MiB data areas
    private static final int CHUNK = 128;

    private final List<String> log = new CopyOnWriteArrayList<>();

    /**
     * The independent reference: where each copy of array sector s lives, from raid10.c's description of the
     * layouts (one of near or far copies, as mdadm makes them). Near: copy k of chunk c is chunk (c * near + k) of
     * a raid0 over the members. Far: the first copy is raid0, copy f sits f members to the right, f strides down.
     * Offset: copy f of stripe t's chunk sits f members to the right in member chunk t * far + f.
     */
    record Reference(int disks, int near, int far, boolean offset, int chunk, long memberSectors) {
        static Reference of(int disks, String layout, int chunk, long memberSectors) {
            int k = Integer.parseInt(layout.substring(1));
            return switch (layout.charAt(0)) {
                case 'n' -> new Reference(disks, k, 1, false, chunk, memberSectors);
                case 'f' -> new Reference(disks, 1, k, false, chunk, memberSectors);
                default -> new Reference(disks, 1, k, true, chunk, memberSectors);
            };
        }

        long chunks() {
            return memberSectors / chunk / far * disks / near;
        }

        long arraySectors() {
            return chunks() * chunk;
        }

        long stride() {
            long used = (chunks() * near * far + disks - 1) / disks;
            return used / far * chunk;
        }

        /** {member, sector} of every copy of array sector s. */
        long[][] copies(long s) {
            long c = s / chunk;
            long in = s % chunk;
            long[][] out = new long[near * far][];
            int i = 0;
            for (int k = 0; k < near; k++) {
                long p = c * near + k;
                long d = p % disks;
                long m = p / disks;
                for (int f = 0; f < far; f++) {
                    long dev = (d + (long) f * near) % disks;
                    long at = offset ? (m * far + f) * chunk + in : m * chunk + in + f * stride();
                    out[i++] = new long[] {dev, at};
                }
            }
            return out;
        }

        /** Member images holding the array image where the reference puts it, zero elsewhere. */
        byte[][] members(byte[] image) {
            byte[][] m = new byte[disks][(int) memberSectors * 512];
            for (long s = 0; s < arraySectors(); s += chunk) { // a chunk's copies are contiguous
                for (long[] c : copies(s)) {
                    System.arraycopy(image, (int) s * 512, m[(int) c[0]], (int) c[1] * 512, chunk * 512);
                }
            }
            return m;
        }
    }

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

    private Mddev array(String layout, int chunk, long member, BlockDevice... disks) throws MdException {
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < disks.length; i++) {
            rdevs.add(rdev(disks[i], i, member, i));
        }
        return Mddev.run("md0", 0, new ArrayGeometry(10, Raid10Layout.layoutWord(layout), chunk, disks.length, member),
                rdevs, BuiltinPersonalities.registry(), log::add);
    }

    private static MemoryDisk[] disks(int n, long member) {
        MemoryDisk[] d = new MemoryDisk[n];
        for (int i = 0; i < n; i++) {
            d[i] = new MemoryDisk("m" + i, OFFSET + member);
        }
        return d;
    }

    private static void assertMembers(MemoryDisk[] d, byte[][] want) {
        for (int i = 0; i < d.length; i++) {
            assertThat(d[i].bytes(OFFSET, want[i].length / 512)).as(d[i].name()).isEqualTo(want[i]);
        }
    }

    @ParameterizedTest(name = "raid10-{0}")
    @ValueSource(strings = {"n2", "f2", "o2"})
    void theMdLayoutsPatternLeavesEveryMemberAsLinuxDid(String layout) throws IOException, MdException {
        MdLayoutsRecorded rec = MdLayoutsRecorded.find("raid10-" + layout);
        MemoryDisk[] disks = new MemoryDisk[MdLayoutsRecorded.DISKS];
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < disks.length; i++) {
            disks[i] = new MemoryDisk("vd" + (char) ('a' + i), MdLayoutsRecorded.DISK_SECTORS);
            Rdev r = new Rdev(HeldDevice.of(disks[i], 7, i, () -> { }), disks[i].name(), MdLayoutsRecorded.DATA_OFFSET,
                    MdLayoutsRecorded.DATA_SECTORS, i);
            r.set(Rdev.Flag.IN_SYNC);
            rdevs.add(r);
        }
        ArrayGeometry g = new ArrayGeometry(10, Raid10Layout.layoutWord(layout), CHUNK, 4,
                MdLayoutsRecorded.DATA_SECTORS);
        try (Mddev md = Mddev.run("md0", 0, g, rdevs, BuiltinPersonalities.registry(), log::add)) {
            assertThat(md.sizeSectors() / 8).isEqualTo(rec.blocks());
            byte[] image = new byte[(int) md.sizeSectors() * 512];
            for (long[] w : rec.writes()) {
                byte[] data = rec.pattern(w[0], (int) w[1]);
                assertThat(SyncIo.write(md, w[0] * 8, data)).isEqualTo(BlkStatus.OK);
                System.arraycopy(data, 0, image, (int) (w[0] * 4096), data.length);
            }
            assertMembers(disks, Reference.of(4, layout, CHUNK, MdLayoutsRecorded.DATA_SECTORS).members(image));
            List<String> got = new ArrayList<>();
            for (MemoryDisk d : disks) {
                got.add(MdLayoutsRecorded.sha256(d.bytes(MdLayoutsRecorded.DATA_OFFSET,
                        (int) MdLayoutsRecorded.DATA_SECTORS)));
            }
            assertThat(got).isEqualTo(rec.memberShas());
            assertThat(SyncIo.read(md, 0, (int) md.sizeSectors())).isEqualTo(image);
        }
    }

    @ParameterizedTest(name = "{1} on {0} members, {2}-sector chunks")
    @CsvSource({"4, n3, 8", "4, f3, 16", "4, o3, 32", "3, n2, 256", "3, f2, 64", "5, o2, 8", "2, n2, 128",
            "6, f2, 16"})
    void everySectorsCopiesLandWhereTheKernelsFormulasPutThem(int n, String layout, int chunk) throws Exception {
        MemoryDisk[] d = disks(n, MEMBER);
        try (Mddev md = array(layout, chunk, MEMBER, d)) {
            Reference ref = Reference.of(n, layout, chunk, MEMBER);
            assertThat(md.sizeSectors()).isEqualTo(ref.arraySectors());
            byte[] image = random((int) md.sizeSectors(), n * 100L + chunk);
            // odd-sized writes that straddle chunk boundaries
            for (int off = 0; off < image.length; ) {
                int len = Math.min(image.length - off, 512 * (chunk * 3 / 2 + 1));
                assertThat(SyncIo.write(md, off / 512, Arrays.copyOfRange(image, off, off + len)))
                        .isEqualTo(BlkStatus.OK);
                off += len;
            }
            assertMembers(d, ref.members(image));
            assertThat(SyncIo.read(md, 0, (int) md.sizeSectors())).isEqualTo(image);
            assertThat(pass(md.personality(), SyncAction.CHECK)).isZero();
        }
    }

    @Test
    void concurrentRandomWritesReadBack() throws Exception {
        MemoryDisk[] d = disks(4, MEMBER);
        try (Mddev md = array("f2", 16, MEMBER, d)) {
            int size = (int) md.sizeSectors();
            byte[] model = MdTestMembers.concurrentWritesVerified(md, size, 40);
            assertThat(SyncIo.read(md, 0, size)).isEqualTo(model);
            assertMembers(d, Reference.of(4, "f2", 16, MEMBER).members(model));
            assertThat(pass(md.personality(), SyncAction.CHECK)).isZero();
        }
    }

    @Test
    void membersFailingUnderConcurrentLoadWithLateCompletionsAndARebuildLoseNoData() throws Exception {
        MemoryDisk[] m = disks(4, MEMBER);
        FaultyDisk[] f = new FaultyDisk[4];
        for (int i = 0; i < 4; i++) {
            f[i] = new FaultyDisk(m[i]).delayCompletions(java.time.Duration.ofMillis(1));
        }
        MemoryDisk spareDisk = new MemoryDisk("m4", OFFSET + MEMBER);
        try (Mddev md = array("n2", 32, MEMBER, f)) {
            Personality p = md.personality();
            int size = (int) md.sizeSectors();
            byte[] model = new byte[size * 512];
            int threads = 4;
            int region = size / threads;
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * region;
                long seed = 200 + t;
                fs.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    for (int i = 0; i < 100 || !stop.get(); i++) {
                        int len = 1 + rnd.nextInt(80);
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
            f[3].failReads(0, Long.MAX_VALUE, BlkStatus.MEDIUM);  // corrected from m2
            f[1].failWrites(0, Long.MAX_VALUE, BlkStatus.IOERR); // failed; m0 carries its copy set
            while (!md.rdevs().get(1).faulty()) {
                Thread.sleep(5);
            }
            Rdev failed = md.rdevs().get(1);
            assertThat(p.hotRemove(failed)).isTrue();
            md.removeRdev(failed);
            Rdev spare = rdev(spareDisk, 4, MEMBER, -1);
            md.addRdev(spare);
            assertThat(p.hotAdd(spare)).isTrue();
            pass(p, SyncAction.RECOVER); // while the writers go on
            stop.set(true);
            for (Future<?> fu : fs) {
                fu.get();
            }
            pool.shutdown();
            assertThat(p.spareActive()).isEqualTo(1);
            assertThat(p.status()).isEqualTo("16K chunks 2 near-copies [4/4] [UUUU]");
            Rdev m3 = md.rdevs().stream().filter(r -> r.name().equals("m3")).findFirst().orElseThrow();
            assertThat(m3.correctedErrors()).as("m3's read errors corrected from m2").isPositive();
            assertThat(m3.faulty()).isFalse();
            f[3].clearFaults();
            assertThat(SyncIo.read(md, 0, size)).isEqualTo(model);
            assertMembers(new MemoryDisk[] {m[0], spareDisk, m[2], m[3]},
                    Reference.of(4, "n2", 32, MEMBER).members(model));
            assertThat(pass(p, SyncAction.CHECK)).isZero();
        }
    }

    @Test
    void aReadErrorIsRetriedFromTheFarCopyAndRewritten() throws MdException {
        MemoryDisk[] m = disks(4, MEMBER);
        FaultyDisk a = new FaultyDisk(m[0]);
        try (Mddev md = array("f2", CHUNK, MEMBER, a, m[1], m[2], m[3])) {
            assertThat(log).containsExactly("md/raid10:md0: active with 4 out of 4 devices");
            log.clear();
            byte[] data = random(16, 2);
            assertThat(SyncIo.write(md, 0, data)).isEqualTo(BlkStatus.OK);
            a.failReads(OFFSET + 4, 2, BlkStatus.MEDIUM);
            assertThat(SyncIo.read(md, 0, 16)).isEqualTo(data);
            Rdev r0 = md.rdevs().get(0);
            assertThat(r0.faulty()).isFalse();
            assertThat(r0.correctedErrors()).isEqualTo(16);
            assertThat(log).containsExactly("md/raid10:md0: read error corrected (16 sectors at 2048 on m0)");
        }
    }

    @Test
    void writeErrorsFailMembersUntilACopySetWouldBeEmpty() throws MdException {
        MemoryDisk[] m = disks(4, MEMBER);
        FaultyDisk[] f = new FaultyDisk[4];
        for (int i = 0; i < 4; i++) {
            f[i] = new FaultyDisk(m[i]);
        }
        try (Mddev md = array("n2", CHUNK, MEMBER, f)) {
            Personality p = md.personality();
            log.clear();
            assertThat(p.status()).isEqualTo("64K chunks 2 near-copies [4/4] [UUUU]");
            f[1].failWrites(0, Long.MAX_VALUE, BlkStatus.IOERR);
            byte[] data = random((int) md.sizeSectors(), 3);
            assertThat(SyncIo.write(md, 0, data)).isEqualTo(BlkStatus.OK);
            assertThat(md.rdevs().get(1).faulty()).isTrue();
            assertThat(p.status()).isEqualTo("64K chunks 2 near-copies [4/3] [U_UU]");
            assertThat(log).containsExactly("md/raid10:md0: Disk failure on m1, disabling device.",
                    "md/raid10:md0: Operation continuing on 3 devices.");
            // m0 is the last of its copy set {0, 1}: not failed; m2 may go, m3 then not
            assertThat(p.error(md.rdevs().get(0))).isFalse();
            md.error(md.rdevs().get(2));
            assertThat(md.rdevs().get(2).faulty()).isTrue();
            assertThat(p.error(md.rdevs().get(3))).isFalse();
            assertThat(p.status()).isEqualTo("64K chunks 2 near-copies [4/2] [U__U]");
            assertThat(p.degraded()).isEqualTo(2);
            assertThat(SyncIo.read(md, 0, (int) md.sizeSectors())).isEqualTo(data);
        }
    }

    @Test
    void checkCountsACorruptedCopyAndRepairFixesIt() throws Exception {
        MemoryDisk[] m = disks(4, MEMBER);
        try (Mddev md = array("o2", 64, MEMBER, m)) {
            Personality p = md.personality();
            byte[] data = random((int) md.sizeSectors(), 4);
            assertThat(SyncIo.write(md, 0, data)).isEqualTo(BlkStatus.OK);
            assertThat(pass(p, SyncAction.CHECK)).isZero();
            m[3].put(OFFSET + 200, random(2, 5));
            assertThat(pass(p, SyncAction.CHECK)).isEqualTo(64);
            assertThat(pass(p, SyncAction.REPAIR)).isEqualTo(64);
            assertThat(pass(p, SyncAction.CHECK)).isZero();
            assertMembers(m, Reference.of(4, "o2", 64, MEMBER).members(data));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"n2", "f2", "o2", "n3", "f3", "o3"})
    void recoveryOntoASpareUnderWritesRebuildsItsCopies(String layout) throws Exception {
        MemoryDisk[] m = disks(4, MEMBER);
        MemoryDisk spareDisk = new MemoryDisk("m4", OFFSET + MEMBER);
        try (Mddev md = array(layout, 32, MEMBER, m)) {
            Personality p = md.personality();
            int size = (int) md.sizeSectors();
            byte[] data = random(size, 6);
            assertThat(SyncIo.write(md, 0, data)).isEqualTo(BlkStatus.OK);
            Rdev failed = md.rdevs().get(2);
            md.error(failed);
            assertThat(p.hotRemove(failed)).isTrue();
            md.removeRdev(failed);
            Rdev spare = rdev(spareDisk, 4, MEMBER, -1);
            md.addRdev(spare);
            assertThat(p.hotAdd(spare)).isTrue();
            assertThat(spare.role()).isEqualTo(2);
            assertThat(p.status()).isEqualTo("16K chunks " + layout.charAt(1) + " " + switch (layout.charAt(0)) {
                case 'n' -> "near";
                case 'f' -> "far";
                default -> "offset";
            } + "-copies [4/3] [UU_U]");
            Thread writer = new Thread(() -> {
                Random rnd = new Random(7);
                for (int i = 0; i < 300; i++) {
                    int at = rnd.nextInt(size - 40);
                    byte[] d = random(40, rnd.nextLong());
                    assertThat(SyncIo.write(md, at, d)).isEqualTo(BlkStatus.OK);
                    synchronized (data) {
                        System.arraycopy(d, 0, data, at * 512, d.length);
                    }
                }
            });
            writer.start();
            pass(p, SyncAction.RECOVER);
            writer.join();
            assertThat(p.spareActive()).isEqualTo(1);
            assertThat(spare.inSync()).isTrue();
            assertThat(p.status()).endsWith("[4/4] [UUUU]");
            MemoryDisk[] now = {m[0], m[1], spareDisk, m[3]};
            assertMembers(now, Reference.of(4, layout, 32, MEMBER).members(data));
            assertThat(pass(p, SyncAction.CHECK)).isZero();
        }
    }

    @Test
    void statusNamesTheCopiesAsRaid10StatusDoes() throws MdException {
        try (Mddev md = array("n2", CHUNK, MEMBER, disks(2, MEMBER))) {
            assertThat(md.personality().status()).isEqualTo("2 near-copies [2/2] [UU]");
        }
        try (Mddev md = array("f2", CHUNK, MEMBER, disks(4, MEMBER))) {
            assertThat(md.personality().status()).isEqualTo("64K chunks 2 far-copies [4/4] [UUUU]");
        }
        try (Mddev md = array("o3", 1024, MEMBER, disks(3, MEMBER))) {
            assertThat(md.personality().status()).isEqualTo("512K chunks 3 offset-copies [3/3] [UUU]");
        }
    }

    @Test
    void discardAndWriteZeroesGoToEveryCopy() throws MdException {
        MemoryDisk[] m = disks(4, MEMBER);
        try (Mddev md = array("f2", 16, MEMBER, m)) {
            int size = (int) md.sizeSectors();
            assertThat(SyncIo.write(md, 0, random(size, 8))).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.op(md, Op.WRITE_ZEROES, 0, size / 2)).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.op(md, Op.DISCARD, size / 2, size - size / 2)).isEqualTo(BlkStatus.OK);
            for (MemoryDisk d : m) {
                assertThat(d.bytes(OFFSET, (int) MEMBER)).isEqualTo(new byte[(int) MEMBER * 512]);
            }
        }
    }

    @Test
    void tooFewCopiesRefuseToRun() {
        MemoryDisk[] d = disks(4, MEMBER);
        List<Rdev> rdevs = List.of(rdev(d[2], 2, MEMBER, 2), rdev(d[3], 3, MEMBER, 3)); // copy set {0, 1} empty
        assertThatThrownBy(() -> Mddev.run("md0", 0, new ArrayGeometry(10, Raid10Layout.layoutWord("n2"), CHUNK, 4, MEMBER),
                rdevs, BuiltinPersonalities.registry(), line -> { }))
                .isInstanceOf(MdException.class).hasMessage("md/raid10:md0: not enough operational mirrors.");
    }
}
