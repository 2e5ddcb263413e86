package jdm.md;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdm.block.BlkStatus;
import jdm.block.Errno;
import jdm.block.dev.BackingFiles;
import jdm.md.personalities.BuiltinPersonalities;
import jdm.md.sb.Superblock1;
import jdm.testing.SyncIo;
import jdm.testing.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Sync work in the lifecycle: failure to spare to recovery, resync checkpoints across a crash, check, attrs. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MdRecoveryTest {
    @TempDir
    Path dir;
    MdArrays arrays;

    @BeforeEach
    void setUp() {
        arrays = new MdArrays(BuiltinPersonalities.registry(), line -> { });
        arrays.setMembers(new BackingFiles());
    }

    @AfterEach
    void tearDown() throws Exception {
        for (MdArray a : arrays.list()) {
            a.stop();
        }
    }

    List<String> files(int n) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(TestFiles.sized(dir, "m" + i, MdLifecycleTest.MEMBER_BYTES).toString());
        }
        return out;
    }

    static ArrayCreate.Spec spec(int level, int raid, int spares, boolean clean, List<String> devices,
            Boolean bitmap) {
        return new ArrayCreate.Spec("md0", level, -1, level == 1 ? 0 : 128, raid, spares, bitmap, clean, true,
                "testhost", "t", null, -1, devices, Path.of("/"));
    }

    static void await(MdArray a) throws InterruptedException {
        assertThat(a.awaitIdle(60_000)).as("sync ended").isTrue();
    }

    @Test
    void aFailedMemberIsReplacedByTheSpareAndRecoveryRebuildsIt() throws Exception {
        List<String> m = files(4);
        MdArray a = ArrayCreate.create(arrays, spec(5, 3, 1, true, m, false)).array();
        Mddev md = a.mddev();
        byte[] data = new byte[(int) Math.min(md.sizeSectors() * 512, 4 << 20)];
        new Random(7).nextBytes(data);
        assertThat(SyncIo.write(md, 0, data)).isEqualTo(BlkStatus.OK);
        assertThat(MdAttributes.read(a, "dev-m3/state")).isEqualTo("spare");

        MdAttributes.write(a, "dev-m1/state", "faulty");
        assertThat(MdAttributes.read(a, "dev-m1/state")).isEqualTo("faulty");
        await(a);
        // the spare took role 1 and was rebuilt; superblocks record it
        assertThat(MdAttributes.read(a, "dev-m3/state")).isEqualTo("in_sync");
        assertThat(MdAttributes.read(a, "dev-m3/slot")).isEqualTo("1");
        assertThat(MdAttributes.read(a, "degraded")).isEqualTo("0");
        assertThat(SyncIo.read(md, 0, data.length / 512)).isEqualTo(data);
        Superblock1 sb = MdLifecycleTest.readSb(m.get(0));
        assertThat(sb.role(MdLifecycleTest.readSb(m.get(3)).devNumber())).isEqualTo(1);
        assertThat(sb.role(MdLifecycleTest.readSb(m.get(1)).devNumber())).isEqualTo(Superblock1.ROLE_FAULTY);

        assertThat(ArrayManage.manage(a, "remove", m.get(1), null, Path.of("/")))
                .containsExactly("mdadm: hot removed " + m.get(1) + " from /dev/md0");
        assertThat(ArrayManage.manage(a, "add", m.get(1), null, Path.of("/")))
                .containsExactly("mdadm: added " + m.get(1));
        assertThat(MdAttributes.read(a, "dev-m1/state")).isEqualTo("spare");

        // a check over the rebuilt array finds nothing
        MdAttributes.write(a, "sync_action", "check");
        await(a);
        assertThat(MdAttributes.read(a, "mismatch_cnt")).isEqualTo("0");
        assertThat(MdAttributes.read(a, "sync_action")).isEqualTo("idle");

        // the rebuilt array assembles from the rebuilt member with a missing original
        a.stop();
        var o = ArrayAssemble.assemble(arrays, "md0", List.of(m.get(0), m.get(2), m.get(3)), Path.of("/"), null,
                false, false, false);
        assertThat(o.started()).isTrue();
        assertThat(SyncIo.read(o.array().mddev(), 0, data.length / 512)).isEqualTo(data);
    }

    @Test
    void manageRefusesWhatTheKernelRefuses() throws Exception {
        List<String> m = files(2);
        MdArray a = ArrayCreate.create(arrays, spec(1, 2, 0, true, m, false)).array();
        assertThatThrownBy(() -> ArrayManage.manage(a, "remove", m.get(0), null, Path.of("/")))
                .hasMessage("mdadm: hot remove failed for " + m.get(0) + ": Device or resource busy");
        assertThat(ArrayManage.manage(a, "fail", m.get(0), null, Path.of("/")))
                .containsExactly("mdadm: set " + m.get(0) + " faulty in /dev/md0");
        // the last working mirror cannot fail
        assertThatThrownBy(() -> ArrayManage.manage(a, "fail", m.get(1), null, Path.of("/")))
                .hasMessage("mdadm: set device faulty failed for " + m.get(1) + ":  Device or resource busy");
        assertThatThrownBy(() -> MdAttributes.write(a, "dev-m1/state", "faulty"))
                .hasMessage("write error: Device or resource busy");
    }

    @Test
    void aResyncInterruptedByACrashResumesFromItsCheckpoint() throws Exception {
        List<String> m = files(2);
        arrays.settings().setSpeedLimitMax(2000); // ~4000 sectors/s: a 30720-sector resync takes seconds
        MdArray a = ArrayCreate.create(arrays, spec(1, 2, 0, false, m, false)).array();
        assertThat(MdAttributes.read(a, "sync_action")).isEqualTo("resync");
        long checkpoint = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (checkpoint == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
            long r = MdLifecycleTest.readSb(m.get(0)).resyncOffset();
            checkpoint = r != Superblock1.MAX_SECTOR ? r : 0;
        }
        assertThat(checkpoint).as("a checkpoint reached the superblocks").isPositive();
        a.abandon(); // the daemon dies: nothing more is written

        long onDisk = MdLifecycleTest.readSb(m.get(0)).resyncOffset();
        assertThat(onDisk).isGreaterThanOrEqualTo(checkpoint);
        var o = ArrayAssemble.assemble(arrays, "md0", m, Path.of("/"), null, false, false, false);
        MdArray back = o.array();
        // at least the checkpoint: the resumed pass may already have checkpointed its first window (2048 sectors,
        // more than 1/16 of this range) by the time this reads it
        assertThat(Long.parseLong(MdAttributes.read(back, "resync_start"))).isGreaterThanOrEqualTo(onDisk);
        String completed = MdAttributes.read(back, "sync_completed");
        assertThat(completed).isNotEqualTo("none");
        long from = Long.parseLong(completed.split(" / ")[0]);
        assertThat(from).as("resumed at the checkpoint, not 0").isGreaterThanOrEqualTo(onDisk);
        arrays.settings().setSpeedLimitMax(MdSettings.DEFAULT_SPEED_MAX);
        await(back);
        assertThat(MdAttributes.read(back, "resync_start")).isEqualTo("none");
    }

    @Test
    void attributesShowAndRefuseAsMdsSysfs() throws Exception {
        List<String> m = files(3);
        MdArray a = ArrayCreate.create(arrays, spec(5, 3, 0, true, m, false)).array();
        assertThat(MdAttributes.read(a, "level")).isEqualTo("raid5");
        assertThat(MdAttributes.read(a, "layout")).isEqualTo("2");
        assertThat(MdAttributes.read(a, "chunk_size")).isEqualTo("65536");
        assertThat(MdAttributes.read(a, "raid_disks")).isEqualTo("3");
        assertThat(MdAttributes.read(a, "sync_speed_min")).isEqualTo("1000 (system)");
        assertThat(MdAttributes.read(a, "sync_speed_max")).isEqualTo("200000 (system)");
        MdAttributes.write(a, "sync_speed_max", "5000");
        assertThat(MdAttributes.read(a, "sync_speed_max")).isEqualTo("5000 (local)");
        MdAttributes.write(a, "sync_speed_max", "system");
        assertThat(MdAttributes.read(a, "sync_speed_max")).isEqualTo("200000 (system)");
        assertThat(MdAttributes.read(a, "sync_completed")).isEqualTo("none");
        assertThat(MdAttributes.read(a, "sync_speed")).isEqualTo("none");
        assertThat(MdAttributes.read(a, "resync_start")).isEqualTo("none");
        assertThat(MdAttributes.read(a, "reshape_position")).isEqualTo("none");
        assertThat(MdAttributes.read(a, "degraded")).isEqualTo("0");
        assertThat(MdAttributes.read(a, "dev-m0/state")).isEqualTo("in_sync");
        assertThat(MdAttributes.read(a, "dev-m0/recovery_start")).isEqualTo("none");
        assertThat(MdAttributes.read(a, "dev-m0/errors")).isEqualTo("0");
        assertThat(MdAttributes.readGlobal(arrays.settings(), "speed_limit_min")).isEqualTo("1000");
        assertThatThrownBy(() -> MdAttributes.write(a, "sync_action", "sideways"))
                .isInstanceOf(MdException.class).hasMessage("write error: Invalid argument")
                .extracting(e -> ((MdException) e).errno()).isEqualTo(Errno.EINVAL);
        assertThatThrownBy(() -> MdAttributes.write(a, "sync_speed_min", "fast"))
                .hasMessage("write error: Invalid argument");
        assertThatThrownBy(() -> MdAttributes.write(a, "dev-m0/state", "remove"))
                .hasMessage("write error: Device or resource busy");
        assertThatThrownBy(() -> MdAttributes.read(a, "no_such"))
                .extracting(e -> ((MdException) e).errno()).isEqualTo(Errno.ENOENT);
        MdAttributes.write(a, "sync_action", "frozen");
        assertThat(MdAttributes.read(a, "sync_action")).isEqualTo("frozen");
        MdAttributes.write(a, "sync_action", "idle");
        assertThat(MdAttributes.read(a, "sync_action")).isEqualTo("idle");
        MdAttributes.write(a, "array_state", "readonly");
        assertThat(MdAttributes.read(a, "array_state")).isEqualTo("readonly");
        assertThat(SyncIo.write(a.mddev(), 0, new byte[4096])).isNotEqualTo(BlkStatus.OK);
        MdAttributes.write(a, "array_state", "active");
        assertThat(SyncIo.write(a.mddev(), 0, new byte[4096])).isEqualTo(BlkStatus.OK);
    }

    @Test
    void afterACrashABitmapLimitsTheResyncToTheDirtyRegions() throws Exception {
        // 320 MiB sparse members: mdadm's 64 MiB bitmap chunks make 5 regions
        List<String> m = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            m.add(TestFiles.sized(dir, "big" + i, 320L << 20).toString());
        }
        MdArray a = ArrayCreate.create(arrays, spec(1, 2, 0, true, m, true)).array();
        long chunk = a.bitmap().chunkSectors();
        assertThat(a.bitmap().chunks()).isEqualTo(5);
        for (int i = 0; i < 3; i++) {
            a.bitmap().daemonPass(); // mdadm's new bitmap has every bit set: the daemon clears the clean ones
        }
        assertThat(a.bitmap().dirtyBits()).isZero();
        long total = a.mddev().personality().syncSectors(SyncAction.RESYNC);
        assertThat(SyncIo.write(a.mddev(), 0, new byte[64 << 10])).isEqualTo(BlkStatus.OK);
        a.abandon(); // crash while active: resync_offset 0 on disk, the bitmap's bit for chunk 0 set

        assertThat(MdLifecycleTest.readSb(m.get(0)).resyncOffset()).isZero();
        var o = ArrayAssemble.assemble(arrays, "md0", m, Path.of("/"), null, false, false, false);
        await(o.array());
        long synced = o.array().lastSyncedSectors();
        assertThat(synced).as("resynced only the dirty chunk, not %d sectors", total).isPositive()
                .isLessThanOrEqualTo(chunk).isLessThan(total);
        assertThat(MdAttributes.read(o.array(), "resync_start")).isEqualTo("none");
    }

    @Test
    void aReAddedMemberRecoversOnlyWhatChangedWhileItWasAway() throws Exception {
        List<String> m = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            m.add(TestFiles.sized(dir, "big" + i, 320L << 20).toString());
        }
        MdArray a = ArrayCreate.create(arrays, spec(1, 2, 0, true, m, true)).array();
        for (int i = 0; i < 3; i++) {
            a.bitmap().daemonPass();
        }
        long chunk = a.bitmap().chunkSectors();
        ArrayManage.manage(a, "fail", m.get(1), null, Path.of("/"));
        ArrayManage.manage(a, "remove", m.get(1), null, Path.of("/"));
        byte[] data = new byte[64 << 10];
        new Random(9).nextBytes(data);
        long at = 3 * chunk + 1000; // in the fourth of five chunks
        assertThat(SyncIo.write(a.mddev(), at, data)).isEqualTo(BlkStatus.OK);

        assertThat(ArrayManage.manage(a, "re-add", m.get(1), null, Path.of("/")))
                .containsExactly("mdadm: re-added " + m.get(1));
        await(a);
        assertThat(MdAttributes.read(a, "dev-big1/state")).isEqualTo("in_sync");
        assertThat(MdAttributes.read(a, "dev-big1/slot")).isEqualTo("1");
        assertThat(a.lastSyncedSectors()).as("one bitmap chunk rebuilt").isPositive().isLessThanOrEqualTo(chunk);
        a.stop();
        long off = MdLifecycleTest.readSb(m.get(1)).dataOffset();
        try (var f = new java.io.RandomAccessFile(m.get(1), "r")) {
            byte[] got = new byte[data.length];
            f.seek((off + at) * 512);
            f.readFully(got);
            assertThat(got).isEqualTo(data);
        }
    }

    @Test
    void growAddsAndRemovesAnInternalBitmapOnARunningArray() throws Exception {
        assumeTrue(Files.isExecutable(MdLifecycleTest.MDADM), "mdadm not installed");
        List<String> m = files(2);
        MdArray a = ArrayCreate.create(arrays, spec(1, 2, 0, true, m, false)).array();
        assertThat(MdAttributes.read(a, "bitmap/location")).isEqualTo("none");
        a.setInternalBitmap(true);
        assertThat(MdAttributes.read(a, "bitmap/location")).isEqualTo("+8");
        assertThat(SyncIo.write(a.mddev(), 0, new byte[8192])).isEqualTo(BlkStatus.OK);
        assertThatThrownBy(() -> a.setInternalBitmap(true))
                .hasMessage("mdadm: /dev/md0 already has a bitmap (internal)");
        a.stop();
        // mdadm -X reads a regular file as a bitmap file; the member's bitmap is 4 KiB after its superblock
        try (var f = new java.io.RandomAccessFile(m.get(0), "r")) {
            byte[] magic = new byte[4];
            f.seek(16 * 512);
            f.readFully(magic);
            assertThat(new String(magic, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("bitm");
        }
        Process p = new ProcessBuilder(MdLifecycleTest.MDADM.toString(), "--examine", m.get(0))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        assertThat(out).contains("Feature Map : 0x1", "Internal Bitmap : 8 sectors from superblock", "- correct");
        assertThat(MdLifecycleTest.readSb(m.get(0)).featureMap() & Superblock1.FEATURE_BITMAP_OFFSET).isOne();

        MdArray b = ArrayAssemble.assemble(arrays, "md0", m, Path.of("/"), null, false, false, false).array();
        assertThat(b.bitmap()).isNotNull();
        b.setInternalBitmap(false);
        b.stop();
        assertThat(MdLifecycleTest.readSb(m.get(0)).featureMap() & Superblock1.FEATURE_BITMAP_OFFSET).isZero();
    }

    @Test
    void anInternalBitmapIsCreatedAndLoaded() throws Exception {
        List<String> m = files(2);
        MdArray a = ArrayCreate.create(arrays, spec(1, 2, 0, true, m, true)).array();
        assertThat(a.bitmap()).isNotNull();
        assertThat(MdAttributes.read(a, "bitmap/location")).isEqualTo("+8");
        assertThat(MdAttributes.read(a, "bitmap/chunksize")).isEqualTo(Long.toString(a.bitmap().chunkSectors() * 512));
        assertThat(MdAttributes.read(a, "bitmap/time_base")).isEqualTo("5");
        assertThat(MdAttributes.read(a, "bitmap/metadata")).isEqualTo("internal");
        assertThat(SyncIo.write(a.mddev(), 0, new byte[8192])).isEqualTo(BlkStatus.OK);
        a.stop();
        var o = ArrayAssemble.assemble(arrays, "md0", m, Path.of("/"), null, false, false, false);
        assertThat(o.array().bitmap()).isNotNull();
        await(o.array());
    }

    @Test
    void aRecoveryInterruptedByACrashResumesFromTheMembersRecoveryOffset() throws Exception {
        List<String> m = files(3);
        MdArray a = ArrayCreate.create(arrays, spec(1, 2, 1, true, m, false)).array();
        arrays.settings().setSpeedLimitMax(2000);
        ArrayManage.manage(a, "fail", m.get(0), null, Path.of("/"));
        long offset = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (offset == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
            Superblock1 sb = MdLifecycleTest.readSb(m.get(2));
            offset = sb.hasFeature(Superblock1.FEATURE_RECOVERY_OFFSET) ? sb.recoveryOffset() : 0;
        }
        assertThat(offset).as("recovery_offset checkpointed on the spare").isPositive();
        a.abandon();

        long onDisk = MdLifecycleTest.readSb(m.get(2)).recoveryOffset();
        var o = ArrayAssemble.assemble(arrays, "md0", m.subList(1, 3), Path.of("/"), null, false, false, false);
        MdArray back = o.array();
        assertThat(o.started()).isTrue();
        assertThat(MdAttributes.read(back, "sync_action")).isEqualTo("recover");
        long from = Long.parseLong(MdAttributes.read(back, "sync_completed").split(" / ")[0]);
        assertThat(from).as("recovery resumed at the checkpoint, not 0").isGreaterThanOrEqualTo(onDisk);
        arrays.settings().setSpeedLimitMax(MdSettings.DEFAULT_SPEED_MAX);
        await(back);
        assertThat(MdAttributes.read(back, "dev-m2/state")).isEqualTo("in_sync");
    }

    @Test
    void replaceCopiesToTheNewMemberWhileTheOldStaysInService() throws Exception {
        List<String> m = files(3);
        MdArray a = ArrayCreate.create(arrays, spec(1, 2, 0, true, m.subList(0, 2), false)).array();
        byte[] data = new byte[1 << 20];
        new Random(3).nextBytes(data);
        assertThat(SyncIo.write(a.mddev(), 0, data)).isEqualTo(BlkStatus.OK);
        assertThat(ArrayManage.manage(a, "replace", m.get(0), m.get(2), Path.of("/"))).containsExactly(
                "mdadm: Marked " + m.get(0) + " (device 0 in /dev/md0) for replacement",
                "mdadm: Marked " + m.get(2) + " in /dev/md0 as replacement for device 0");
        await(a);
        assertThat(MdAttributes.read(a, "dev-m0/state")).isEqualTo("faulty,want_replacement");
        assertThat(MdAttributes.read(a, "dev-m2/state")).isEqualTo("in_sync");
        assertThat(MdAttributes.read(a, "dev-m2/slot")).isEqualTo("0");
        assertThat(MdAttributes.read(a, "degraded")).isEqualTo("0");
        assertThat(SyncIo.read(a.mddev(), 0, data.length / 512)).isEqualTo(data);
    }
}
