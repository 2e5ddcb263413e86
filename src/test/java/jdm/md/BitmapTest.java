package jdm.md;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.HeldDevice;
import jdm.block.Op;
import jdm.md.sb.MdadmCreate;
import jdm.md.sb.Superblock1;
import jdm.testing.MemoryDisk;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class BitmapTest {
    private static final long MEMBER = 16384; // 8 MiB data areas
    private static final int CHUNK_BYTES = 65536; // 128-sector bitmap chunks: 128 chunks
    private static final long CHUNK = CHUNK_BYTES >> 9;
    /** v1.2: superblock at 4 KiB, bitmap 4 KiB after it (mdadm's bitmap_offset 8). */
    private static final Bitmap.Placement AT = new Bitmap.Placement(8, 8, 0);
    private static final long BITMAP_SECTOR = 16;
    private static final byte[] UUID = new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

    /**
     * A member that, for every data write reaching it, notes whether its own on-disk bitmap bit for that chunk was
     * already set: the write-intent order md guarantees.
     */
    static final class OrderChecking implements BlockDevice {
        final MemoryDisk disk;
        final List<String> violations = new CopyOnWriteArrayList<>();
        volatile boolean checking;

        OrderChecking(MemoryDisk disk) {
            this.disk = disk;
        }

        @Override
        public String name() {
            return disk.name();
        }

        @Override
        public long sizeSectors() {
            return disk.sizeSectors();
        }

        @Override
        public void submitBio(Bio bio) {
            if (checking && bio.op() == Op.WRITE && bio.sector() >= TestMirror.DATA_OFFSET) {
                long first = (bio.sector() - TestMirror.DATA_OFFSET) / CHUNK;
                long last = (bio.endSector() - 1 - TestMirror.DATA_OFFSET) / CHUNK;
                for (long c = first; c <= last; c++) {
                    if (!bitOnDisk(disk, (int) c)) {
                        violations.add("chunk " + c + " written before its bit");
                    }
                }
            }
            disk.submitBio(bio);
        }
    }

    private static boolean bitOnDisk(MemoryDisk d, int chunk) {
        byte[] area = d.bytes(BITMAP_SECTOR, 8);
        return (area[256 + chunk / 8] & (1 << (chunk % 8))) != 0;
    }

    private static byte[] bitsOnDisk(MemoryDisk d) {
        return Arrays.copyOfRange(d.bytes(BITMAP_SECTOR, 1), 256, 256 + 16);
    }

    private static ByteBuffer headerOnDisk(MemoryDisk d) {
        return ByteBuffer.wrap(d.bytes(BITMAP_SECTOR, 1)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static MemoryDisk[] disks() {
        return new MemoryDisk[] {new MemoryDisk("m0", TestMirror.DATA_OFFSET + MEMBER),
                new MemoryDisk("m1", TestMirror.DATA_OFFSET + MEMBER)};
    }

    private static Mddev array(BlockDevice... devs) throws MdException {
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < devs.length; i++) {
            Rdev r = new Rdev(HeldDevice.of(devs[i], 7, i, () -> { }), devs[i].name(), TestMirror.DATA_OFFSET,
                    MEMBER, i);
            r.set(Rdev.Flag.IN_SYNC);
            r.setRecoveryOffset(Rdev.MAX_SECTOR);
            rdevs.add(r);
        }
        return Mddev.run("md0", 0, new ArrayGeometry(1, 0, 0, devs.length, MEMBER), rdevs, TestMirror.registry(),
                line -> { });
    }

    private static byte[] random(int bytes, long seed) {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void resync(Mddev md) throws Exception {
        SyncThreadTest.RecordingHost host = new SyncThreadTest.RecordingHost();
        SyncThread t = SyncThread.start(md, SyncAction.RESYNC, 0, host);
        t.await();
        assertThat(host.finished.get(0, TimeUnit.SECONDS)[1]).isEqualTo(1);
    }

    @Test
    void createLaysOutMdadmsBitmapAndAResyncClearsIt() throws Exception {
        MemoryDisk[] d = disks();
        try (Mddev md = array(d)) {
            Bitmap bm = Bitmap.create(md, AT, UUID, CHUNK_BYTES, MEMBER, 5, 1, 0);
            md.setWriteIntent(bm);
            for (MemoryDisk disk : d) {
                ByteBuffer h = headerOnDisk(disk);
                assertThat(new String(disk.bytes(BITMAP_SECTOR, 1), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("bitm");
                assertThat(h.getInt(4)).isEqualTo(4); // BITMAP_MAJOR_HI
                assertThat(Arrays.copyOfRange(disk.bytes(BITMAP_SECTOR, 1), 8, 24)).isEqualTo(UUID);
                assertThat(h.getLong(24)).isEqualTo(1); // events: the array's
                assertThat(h.getLong(32)).isZero(); // events_cleared
                assertThat(h.getLong(40)).isEqualTo(MEMBER); // sync_size
                assertThat(h.getInt(48)).isZero(); // state
                assertThat(h.getInt(52)).isEqualTo(CHUNK_BYTES);
                assertThat(h.getInt(56)).isEqualTo(5); // daemon_sleep
                byte[] all = new byte[16];
                Arrays.fill(all, (byte) 0xff);
                assertThat(bitsOnDisk(disk)).isEqualTo(all);
            }
            assertThat(bm.chunks()).isEqualTo(128);
            assertThat(bm.dirtyRegions()).containsExactly(new long[] {0, MEMBER});

            assertThat(bm.statusText()).isEqualTo("1/1 pages [4KB], 64KB chunk");
            assertThat(bm.sysfsAttr("location")).isEqualTo("+8");
            assertThat(bm.sysfsAttr("chunksize")).isEqualTo("65536");
            assertThat(bm.sysfsAttr("time_base")).isEqualTo("5");
            assertThat(bm.sysfsAttr("metadata")).isEqualTo("internal");
            resync(md);
            assertThat(bm.dirtyRegions()).isEmpty();
            bm.daemonPass();
            assertThat(bm.dirtyBits()).isEqualTo(128); // idle once: 2 -> 1
            bm.daemonPass();
            for (MemoryDisk disk : d) {
                assertThat(bitsOnDisk(disk)).isEqualTo(new byte[16]);
            }
            assertThat(bm.statusText()).isEqualTo("0/1 pages [0KB], 64KB chunk");
            bm.close();
        }
    }

    @Test
    void aWriteSetsItsBitOnEveryMemberBeforeTheDataAndTheDaemonClearsItOnItsSecondIdlePass() throws Exception {
        MemoryDisk[] d = disks();
        OrderChecking[] c = {new OrderChecking(d[0]), new OrderChecking(d[1])};
        try (Mddev md = array(c)) {
            Bitmap bm = Bitmap.create(md, AT, UUID, CHUNK_BYTES, MEMBER, 5, 1, Rdev.MAX_SECTOR); // --assume-clean
            md.setWriteIntent(bm);
            assertThat(bm.dirtyRegions()).isEmpty();
            bm.daemonPass();
            bm.daemonPass();
            assertThat(bitsOnDisk(d[0])).isEqualTo(new byte[16]);

            c[0].checking = true;
            c[1].checking = true;
            // chunk 3, and chunks 70-71 (a write straddling their boundary)
            assertThat(SyncIo.write(md, 3 * CHUNK + 5, random(4096, 1))).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.write(md, 71 * CHUNK - 4, random(4096, 2))).isEqualTo(BlkStatus.OK);
            assertThat(c[0].violations).isEmpty();
            assertThat(c[1].violations).isEmpty();
            byte[] want = new byte[16];
            want[0] = 0x08; // chunk 3: byte 0, bit 3 (set_bit_le)
            want[8] = (byte) 0xc0; // chunks 70, 71: byte 8, bits 6 and 7
            for (MemoryDisk disk : d) {
                assertThat(bitsOnDisk(disk)).isEqualTo(want);
            }
            bm.updateSuper(2);
            assertThat(headerOnDisk(d[1]).getLong(24)).isEqualTo(2);

            bm.daemonPass(); // idle once: bits stay (events_cleared written first)
            for (MemoryDisk disk : d) {
                assertThat(bitsOnDisk(disk)).isEqualTo(want);
            }
            bm.daemonPass();
            bm.daemonPass();
            for (MemoryDisk disk : d) {
                assertThat(bitsOnDisk(disk)).isEqualTo(new byte[16]);
                assertThat(headerOnDisk(disk).getLong(32)).isEqualTo(1); // events_cleared: the first clean write's
            }
            bm.close();
        }
    }

    @Test
    void afterACrashOnlyTheDirtyRegionsAreResynced() throws Exception {
        MemoryDisk[] d = disks();
        MemoryDisk[] after = disks();
        try (Mddev md = array(d)) {
            Bitmap bm = Bitmap.create(md, AT, UUID, CHUNK_BYTES, MEMBER, 5, 1, Rdev.MAX_SECTOR);
            md.setWriteIntent(bm);
            bm.daemonPass();
            bm.daemonPass();
            assertThat(SyncIo.write(md, 3 * CHUNK, random(8192, 3))).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.write(md, 100 * CHUNK + 64, random(512, 4))).isEqualTo(BlkStatus.OK);
            // the crash: the members as they are now, nothing more written
            for (int i = 0; i < 2; i++) {
                after[i].put(0, d[i].bytes());
            }
            bm.abandon();
        }
        // a torn mirror write: member 1 missed the last write to chunk 100
        after[1].put(TestMirror.DATA_OFFSET + 100 * CHUNK + 64, new byte[512]);
        try (Mddev md = array(after)) {
            Bitmap bm = Bitmap.load(md, AT, UUID, 1, 0); // resync_offset 0: the array was not clean
            md.setWriteIntent(bm);
            assertThat(bm.dirtyRegions()).containsExactly(new long[] {3 * CHUNK, CHUNK}, new long[] {100 * CHUNK, CHUNK});
            SyncThreadTest.RecordingHost host = new SyncThreadTest.RecordingHost();
            SyncThread t = SyncThread.start(md, SyncAction.RESYNC, 0, host);
            t.await();
            assertThat(TestMirror.of(md).calls).extracting(TestMirror.Call::sector).containsExactly(3 * CHUNK,
                    100 * CHUNK);
            assertThat(t.syncedSectors()).isEqualTo(2 * CHUNK);
            assertThat(t.mismatches()).isEqualTo(CHUNK);
            assertThat(host.finished.get()).containsExactly(MEMBER, 1);
            assertThat(after[1].bytes(TestMirror.DATA_OFFSET, (int) MEMBER))
                    .isEqualTo(after[0].bytes(TestMirror.DATA_OFFSET, (int) MEMBER));
            System.out.printf("bitmap resync after a crash: %d of %d sectors synced (%d of %d chunks)%n",
                    t.syncedSectors(), MEMBER, bm.dirtyBits(), bm.chunks());
            bm.daemonPass();
            bm.daemonPass();
            assertThat(bitsOnDisk(after[0])).isEqualTo(new byte[16]);
            bm.close();
        }
    }

    @Test
    void whileDegradedBitsStayAndAReAddRecoversOnlyThem() throws Exception {
        MemoryDisk[] d = disks();
        try (Mddev md = array(d)) {
            Bitmap bm = Bitmap.create(md, AT, UUID, CHUNK_BYTES, MEMBER, 5, 1, Rdev.MAX_SECTOR);
            md.setWriteIntent(bm);
            assertThat(SyncIo.write(md, 0, random(4096, 5))).isEqualTo(BlkStatus.OK);
            bm.daemonPass();
            bm.daemonPass();
            bm.daemonPass();
            assertThat(bm.dirtyBits()).isZero();
            assertThat(bm.eventsCleared()).isEqualTo(1);

            Rdev gone = md.rdev(1);
            md.error(gone); // member 1 fails; the array's lifecycle bumps events
            bm.updateSuper(2);
            assertThat(SyncIo.write(md, 5 * CHUNK, random(4096, 6))).isEqualTo(BlkStatus.OK);
            for (int i = 0; i < 3; i++) {
                bm.daemonPass();
            }
            assertThat(bitOnDisk(d[0], 5)).isTrue();
            assertThat(bm.dirtyRegions()).containsExactly(new long[] {5 * CHUNK, CHUNK});
            assertThat(bm.canRecoverFromBitmap(1)).isTrue(); // it left at events 1, nothing cleared since

            // re-add: the member comes back out of sync and recovers the dirty regions only
            md.removeRdev(gone);
            Rdev back = new Rdev(HeldDevice.of(d[1], 7, 1, () -> { }), "m1", TestMirror.DATA_OFFSET, MEMBER, 1);
            md.addRdev(back);
            SyncThread.Host host = new SyncThreadTest.RecordingHost() {
                @Override
                public void finished(SyncAction action, long position, boolean completed) {
                    md.personality().spareActive();
                    super.finished(action, position, completed);
                }
            };
            assertThat(bm.recoveryRegions(1)).containsExactly(new long[] {5 * CHUNK, CHUNK});
            SyncThread t = SyncThread.start(md, SyncAction.RECOVER, 0, host, bm.recoveryRegions(1),
                    SyncThread.WINDOW_SECTORS);
            t.await();
            assertThat(TestMirror.of(md).calls).extracting(TestMirror.Call::sector).containsExactly(5 * CHUNK);
            assertThat(back.inSync()).isTrue();
            assertThat(d[1].bytes(TestMirror.DATA_OFFSET, (int) MEMBER))
                    .isEqualTo(d[0].bytes(TestMirror.DATA_OFFSET, (int) MEMBER));
            bm.daemonPass();
            bm.daemonPass();
            assertThat(bitOnDisk(d[0], 5)).isFalse();

            // a clean write at a later event: a member that left at events 1 now needs a full recovery
            bm.updateSuper(3);
            assertThat(SyncIo.write(md, 9 * CHUNK, random(4096, 7))).isEqualTo(BlkStatus.OK);
            assertThat(bm.canRecoverFromBitmap(1)).isFalse();
            assertThat(bm.recoveryRegions(1)).isNull();
            assertThat(bm.canRecoverFromBitmap(3)).isTrue();
            bm.close();
        }
    }

    @Test
    void concurrentWritersAndDaemonPassesNeverLetDataAheadOfItsBit() throws Exception {
        MemoryDisk[] d = disks();
        OrderChecking[] c = {new OrderChecking(d[0]), new OrderChecking(d[1])};
        try (Mddev md = array(c)) {
            Bitmap bm = Bitmap.create(md, AT, UUID, CHUNK_BYTES, MEMBER, 5, 1, Rdev.MAX_SECTOR);
            md.setWriteIntent(bm);
            bm.daemonPass();
            bm.daemonPass();
            c[0].checking = true;
            c[1].checking = true;
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread daemon = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    bm.daemonPass();
                }
            });
            List<Thread> writers = new ArrayList<>();
            List<BlkStatus> failures = new CopyOnWriteArrayList<>();
            for (int w = 0; w < 4; w++) {
                int seed = w;
                writers.add(Thread.ofPlatform().start(() -> {
                    Random rnd = new Random(seed);
                    byte[] block = random(4096, seed);
                    for (int i = 0; i < 300; i++) {
                        long sector = rnd.nextInt((int) (MEMBER / 8)) * 8L;
                        BlkStatus s = SyncIo.write(md, sector, block);
                        if (s != BlkStatus.OK) {
                            failures.add(s);
                        }
                    }
                }));
            }
            for (Thread t : writers) {
                t.join();
            }
            stop.set(true);
            daemon.join();
            assertThat(failures).isEmpty();
            assertThat(c[0].violations).isEmpty();
            assertThat(c[1].violations).isEmpty();
            bm.close();
            assertThat(bitsOnDisk(d[0])).isEqualTo(new byte[16]); // a clean stop leaves no bit set
        }
    }

    @Test
    void raid5WritesDirtyTheStripesMemberSectors() {
        // 4 members, 3 data disks, 64 KiB (128-sector) chunks: a row of 384 array sectors is 128 member sectors
        ArrayGeometry g = new ArrayGeometry(5, 2, 128, 4, 1 << 20);
        assertThat(Bitmap.syncRange(g, 0, 8)).containsExactly(0, 128);
        assertThat(Bitmap.syncRange(g, 380, 8)).containsExactly(0, 256); // straddles rows 0 and 1
        assertThat(Bitmap.syncRange(g, 384 * 10 + 5, 1)).containsExactly(1280, 1408);
        ArrayGeometry g6 = new ArrayGeometry(6, 2, 128, 4, 1 << 20); // 2 data disks
        assertThat(Bitmap.syncRange(g6, 256, 1)).containsExactly(128, 256);
        ArrayGeometry raid1 = new ArrayGeometry(1, 0, 0, 2, 1 << 20);
        assertThat(Bitmap.syncRange(raid1, 777, 3)).containsExactly(777, 780);
    }

    /** What mdadm --create --bitmap=internal writes (MdadmCreate) loads from the superblock, resyncs and cleans. */
    @Test
    void anMdadmCreatedMemberLoadsFromItsSuperblock(@TempDir Path dir) throws Exception {
        MdadmCreate.Plan plan = MdadmCreate.plan(new MdadmCreate.Request(1, MdadmCreate.LAYOUT_DEFAULT, 0, 2, true,
                "h", "bm", UUID, false), new long[] {65536, 65536}, 1577836814L, CHUNK_BYTES, new Random(1));
        MemoryDisk[] d = {new MemoryDisk("m0", 65536), new MemoryDisk("m1", 65536)};
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Superblock1 sb = plan.superblocks().get(i);
            d[i].put(sb.superOffset(), bytes(sb.encode()));
            d[i].put(sb.superOffset() + sb.bitmapOffset(), bytes(plan.bitmap().encodeArea()));
            Rdev r = new Rdev(HeldDevice.of(d[i], 7, i, () -> { }), d[i].name(), plan.dataOffset(),
                    plan.componentSectors(), i);
            r.set(Rdev.Flag.IN_SYNC);
            rdevs.add(r);
        }
        try (Mddev md = Mddev.run("md0", 0, new ArrayGeometry(1, 0, 0, 2, plan.componentSectors()), rdevs,
                TestMirror.registry(), line -> { })) {
            Bitmap bm = Bitmap.load(md, plan.superblocks().get(0));
            md.setWriteIntent(bm);
            assertThat(bm.chunkSectors()).isEqualTo(CHUNK);
            assertThat(bm.syncSectors()).isEqualTo(plan.componentSectors());
            assertThat(bm.dirtyRegions()).containsExactly(new long[] {0, plan.componentSectors()});
            resync(md);
            bm.close();
            long at = plan.superblocks().get(0).superOffset() + plan.superblocks().get(0).bitmapOffset();
            requireMdadm();
            Path file = dir.resolve("bitmap");
            Files.write(file, d[0].bytes(at, 8));
            assertThat(mdadm("-X", file.toString())).contains("Chunksize : 64 KB",
                    "Bitmap : " + bm.chunks() + " bits (chunks), 0 dirty (0.0%)");
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /**
     * The bitmap Linux 6.1 left on a raid1 whose member vdb failed (resources md/sb/r1bm-*: written, vdb failed at
     * events 17, written at 6.25-7.5 MiB while degraded, stopped at events 20): jdm loads the two bits the
     * kernel kept (chunks 6 and 7 of 1 MiB; mdadm -X: "15 bits (chunks), 2 dirty"), keeps the padding bit the
     * kernel kept, and re-adding vdb (events 17 = events_cleared) recovers those two chunks only.
     */
    @Test
    void theKernelsBitmapOfADegradedRaid1LoadsAndTellsWhatAReAddRecovers() throws Exception {
        MemoryDisk vda = new MemoryDisk("vda", 32768);
        MemoryDisk vdb = new MemoryDisk("vdb", 32768);
        vda.put(0, kernelDump("r1bm-vda"));
        vdb.put(0, kernelDump("r1bm-vdb"));
        Superblock1 sb = Superblock1.decode(ByteBuffer.wrap(vda.bytes(8, 8)));
        Superblock1 left = Superblock1.decode(ByteBuffer.wrap(vdb.bytes(8, 8)));
        Rdev r0 = new Rdev(HeldDevice.of(vda, 7, 0, () -> { }), "vda", sb.dataOffset(), sb.size(), 0);
        r0.set(Rdev.Flag.IN_SYNC);
        byte[] before = vda.bytes(BITMAP_SECTOR, 8);
        try (Mddev md = Mddev.run("md0", 0, new ArrayGeometry(1, 0, 0, 2, sb.size()), List.of(r0),
                TestMirror.registry(), line -> { })) {
            Bitmap bm = Bitmap.load(md, sb);
            assertThat(bm.chunks()).isEqualTo(15);
            assertThat(bm.dirtyBits()).isEqualTo(2);
            assertThat(bm.eventsCleared()).isEqualTo(17);
            assertThat(bm.dirtyRegions()).containsExactly(new long[] {6 * 2048, 2 * 2048});
            assertThat(left.events()).isEqualTo(17);
            assertThat(bm.recoveryRegions(left.events())).containsExactly(new long[] {6 * 2048, 2 * 2048});
            assertThat(bm.recoveryRegions(16)).as("left before the last clear: full recovery").isNull();
            // loading rewrote only what md_bitmap_update_sb would: the bits and their padding are as the kernel left them
            assertThat(Arrays.copyOfRange(vda.bytes(BITMAP_SECTOR, 8), 256, 4096))
                    .isEqualTo(Arrays.copyOfRange(before, 256, 4096));
            for (int i = 0; i < 3; i++) {
                bm.daemonPass();
            }
            assertThat(bm.dirtyBits()).as("degraded: the bits stay for the missing member").isEqualTo(2);
            bm.abandon();
        }
    }

    private static byte[] kernelDump(String name) throws IOException {
        try (var in = BitmapTest.class.getResourceAsStream("/md/sb/" + name + ".bin.gz");
                var gz = new java.util.zip.GZIPInputStream(in)) {
            return gz.readAllBytes();
        }
    }

    /** mdadm -X (real mdadm 4.2) reads the bitmap jdm wrote; on a regular file without md superblock it reads offset 0. */
    @Test
    void mdadmExamineBitmapReportsIt(@TempDir Path dir) throws Exception {
        requireMdadm();
        MemoryDisk[] d = disks();
        try (Mddev md = array(d)) {
            Bitmap bm = Bitmap.create(md, AT, UUID, CHUNK_BYTES, MEMBER, 5, 1, Rdev.MAX_SECTOR);
            md.setWriteIntent(bm);
            bm.daemonPass();
            bm.daemonPass();
            assertThat(SyncIo.write(md, 3 * CHUNK, random(4096, 8))).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.write(md, 99 * CHUNK, random(4096, 9))).isEqualTo(BlkStatus.OK);
            bm.updateSuper(4);
            Path file = dir.resolve("bitmap");
            Files.write(file, d[1].bytes(BITMAP_SECTOR, 8));
            String out = mdadm("-X", file.toString());
            assertThat(out).contains("Magic : 6d746962", "Version : 4",
                    "UUID : 01020304:05060708:090a0b0c:0d0e0f10", "Events : 4", "Events Cleared : 1",
                    "State : OK", "Chunksize : 64 KB", "Daemon : 5s flush period", "Sync Size : 8192 (8.00 MiB 8.39 MB)",
                    "Bitmap : 128 bits (chunks), 2 dirty (1.6%)");
            bm.close();
            Files.write(file, d[1].bytes(BITMAP_SECTOR, 8));
            assertThat(mdadm("-X", file.toString())).contains("Bitmap : 128 bits (chunks), 0 dirty (0.0%)");
        }
    }

    private static void requireMdadm() {
        assumeThat(Files.isExecutable(Path.of("/usr/sbin/mdadm")) || Files.isExecutable(Path.of("/sbin/mdadm")))
                .as("mdadm installed").isTrue();
    }

    private static String mdadm(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("mdadm");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.replaceAll(" +", " ");
    }
}
