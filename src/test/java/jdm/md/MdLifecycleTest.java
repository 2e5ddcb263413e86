package jdm.md;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
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

/** The array lifecycle over backing files: create, write, stop, assemble, stale members, degraded starts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MdLifecycleTest {
    static final long MEMBER_BYTES = 16L << 20;
    static final Path MDADM = Path.of("/usr/sbin/mdadm");

    @TempDir
    Path dir;
    MdArrays arrays;
    final List<String> log = new ArrayList<>();

    @BeforeEach
    void setUp() {
        arrays = new MdArrays(BuiltinPersonalities.registry(), line -> {
            synchronized (log) {
                log.add(line);
            }
        });
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
            out.add(TestFiles.sized(dir, "m" + i, MEMBER_BYTES).toString());
        }
        return out;
    }

    static ArrayCreate.Spec spec(String name, int level, int n, boolean assumeClean, List<String> devices) {
        return new ArrayCreate.Spec(name, level, -1, level == 1 ? 0 : 128, n, -1, false, assumeClean, true,
                "testhost", "t", null, -1, devices, Path.of("/"));
    }

    @Test
    void createWriteStopAssembleReadsTheSameBytes() throws Exception {
        List<String> m = files(3);
        var o = ArrayCreate.create(arrays, spec("md0", 5, 3, true, m));
        assertThat(o.started()).isTrue();
        assertThat(o.messages()).containsExactly("mdadm: array /dev/md0 started.");
        MdArray a = o.array();
        assertThat(a.name()).isEqualTo("md0");
        assertThat(arrays.find("/dev/md0")).isSameAs(a);
        assertThat(arrays.find("9:0")).isSameAs(a);
        byte[] data = new byte[1 << 20];
        new Random(5).nextBytes(data);
        assertThat(SyncIo.write(a.mddev(), 2048, data)).isEqualTo(BlkStatus.OK);
        assertThat(MdAttributes.read(a, "array_state")).isIn("active", "clean");
        a.stop();
        assertThat(arrays.find("md0")).isNull();
        for (String f : m) {
            Superblock1 sb = readSb(f);
            assertThat(sb.resyncOffset()).as("clean after stop").isEqualTo(Superblock1.MAX_SECTOR);
        }

        var back = ArrayAssemble.assemble(arrays, "md0", m, Path.of("/"), null, false, false, false);
        assertThat(back.started()).isTrue();
        assertThat(back.messages()).containsExactly("mdadm: /dev/md0 has been started with 3 drives.");
        assertThat(SyncIo.read(back.array().mddev(), 2048, data.length / 512)).isEqualTo(data);
    }

    @Test
    void safeModeMarksActiveBeforeTheFirstWriteAndCleanAfterTheDelay() throws Exception {
        List<String> m = files(2);
        MdArray a = ArrayCreate.create(arrays, spec("md1", 1, 2, true, m)).array();
        assertThat(MdAttributes.read(a, "array_state")).isEqualTo("clean");
        long events = readSb(m.get(0)).events();
        assertThat(SyncIo.write(a.mddev(), 0, new byte[4096])).isEqualTo(BlkStatus.OK);
        // written before the write went on: the superblocks say active (resync_offset 0)
        Superblock1 sb = readSb(m.get(0));
        assertThat(sb.resyncOffset()).isZero();
        assertThat(sb.events()).isGreaterThan(events);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!MdAttributes.read(a, "array_state").equals("clean") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(MdAttributes.read(a, "array_state")).isEqualTo("clean");
        assertThat(readSb(m.get(1)).resyncOffset()).isEqualTo(Superblock1.MAX_SECTOR);
    }

    @Test
    void theStaleMemberByEventsJoinsAsASpareAndIsRecovered() throws Exception {
        List<String> m = files(3);
        MdArray a = ArrayCreate.create(arrays, spec("md0", 1, 3, true, m)).array();
        a.stop();
        // m2 keeps its superblock while the others move on
        byte[] stale = Files.readAllBytes(Path.of(m.get(2)));
        a = ArrayAssemble.assemble(arrays, "md0", m, Path.of("/"), null, false, false, false).array();
        byte[] data = new byte[64 << 10];
        new Random(1).nextBytes(data);
        assertThat(SyncIo.write(a.mddev(), 0, data)).isEqualTo(BlkStatus.OK);
        a.stop();
        Files.write(Path.of(m.get(2)), stale);

        var refused = ArrayAssemble.assemble(arrays, "md0", m, Path.of("/"), null, false, false, false);
        assertThat(refused.messages()).containsExactly("mdadm: /dev/md0 assembled from 2 drives and 1 spare - need"
                + " all 3 to start it (use --run to insist).");
        refused.array().stop();
        var o = ArrayAssemble.assemble(arrays, "md0", m, Path.of("/"), null, true, false, false);
        assertThat(o.messages()).containsExactly(
                "mdadm: /dev/md0 has been started with 2 drives (out of 3) and 1 spare.");
        a = o.array();
        assertThat(a.awaitIdle(30_000)).isTrue();
        assertThat(a.mddev().personality().degraded()).isZero();
        MdMember m2 = a.member(m.get(2));
        assertThat(MdAttributes.read(a, m2.sysfsName() + "/state")).isEqualTo("in_sync");
        // the recovered member holds the data written while it was away
        a.stop();
        long off = readSb(m.get(2)).dataOffset();
        try (RandomAccessFile f = new RandomAccessFile(m.get(2), "r")) {
            byte[] got = new byte[data.length];
            f.seek(off * 512);
            f.readFully(got);
            assertThat(got).isEqualTo(data);
        }
    }

    @Test
    void aMemberOneEventBehindIsCurrentAsAfterACrashInsideTheSuperblockUpdate() throws Exception {
        List<String> m = files(4);
        ArrayCreate.create(arrays, spec("md0", 5, 4, true, m)).array().stop();
        // the crash wrote the new superblock to m0 only: m1..m3 are one event behind
        long events = readSb(m.get(0)).events();
        for (String f : m.subList(1, 4)) {
            Superblock1 sb = readSb(f).setEvents(events - 1);
            try (RandomAccessFile raf = new RandomAccessFile(f, "rw")) {
                raf.getChannel().write(sb.encode(), 4096);
            }
        }
        var o = ArrayAssemble.assemble(arrays, "md0", m, Path.of("/"), null, false, false, false);
        assertThat(o.messages()).containsExactly("mdadm: /dev/md0 has been started with 4 drives.");
        assertThat(o.array().mddev().personality().degraded()).isZero();
        o.array().stop();
        // two events behind is stale: m1 joins as a spare
        Superblock1 sb = readSb(m.get(1)).setEvents(readSb(m.get(0)).events() - 2);
        try (RandomAccessFile raf = new RandomAccessFile(m.get(1), "rw")) {
            raf.getChannel().write(sb.encode(), 4096);
        }
        var degraded = ArrayAssemble.assemble(arrays, "md0", m, Path.of("/"), null, false, false, false);
        assertThat(degraded.messages()).containsExactly("mdadm: /dev/md0 assembled from 3 drives and 1 spare - need"
                + " all 4 to start it (use --run to insist).");
        degraded.array().stop();
    }

    @Test
    void aDegradedArrayStartsOnlyWithRun() throws Exception {
        List<String> m = files(3);
        ArrayCreate.create(arrays, spec("md0", 5, 3, true, m)).array().stop();
        List<String> two = m.subList(0, 2);
        var o = ArrayAssemble.assemble(arrays, "md0", two, Path.of("/"), null, false, false, false);
        assertThat(o.started()).isFalse();
        assertThat(o.messages()).containsExactly(
                "mdadm: /dev/md0 assembled from 2 drives - need all 3 to start it (use --run to insist).");
        assertThat(MdAttributes.read(o.array(), "array_state")).isEqualTo("inactive");
        o.array().stop();
        var run = ArrayAssemble.assemble(arrays, "md0", two, Path.of("/"), null, true, false, false);
        assertThat(run.started()).isTrue();
        assertThat(run.messages()).containsExactly("mdadm: /dev/md0 has been started with 2 drives (out of 3).");
        assertThat(MdAttributes.read(run.array(), "degraded")).isEqualTo("1");
        run.array().stop();
        var one = ArrayAssemble.assemble(arrays, "md0", m.subList(0, 1), Path.of("/"), null, true, false, false);
        assertThat(one.started()).isFalse();
        assertThat(one.messages()).containsExactly(
                "mdadm: /dev/md0 assembled from 1 drive - not enough to start the array.");
    }

    @Test
    void assembleRefusesAForeignMemberAndAMemberWithoutSuperblock() throws Exception {
        List<String> m = files(3);
        ArrayCreate.create(arrays, spec("md0", 1, 2, true, m.subList(0, 2))).array().stop();
        String blank = m.get(2);
        assertThatThrownBy(() -> ArrayAssemble.assemble(arrays, "md0", List.of(m.get(0), blank), Path.of("/"),
                null, false, false, false))
                .isInstanceOf(MdException.class)
                .hasMessage("mdadm: no recogniseable superblock on " + blank + "\nmdadm: " + blank
                        + " has no superblock - assembly aborted");
        assertThat(arrays.list()).isEmpty();
    }

    @Test
    void stopIsRefusedWhileTheArrayIsOpen() throws Exception {
        MdArray a = ArrayCreate.create(arrays, spec("/dev/md/data", 0, 2, true, files(2))).array();
        assertThat(a.name()).isEqualTo("md127");
        assertThat(arrays.find("/dev/md/data")).isSameAs(a);
        var held = arrays.acquire("md127", Path.of("/"), false);
        assertThatThrownBy(a::stop).isInstanceOf(MdException.class)
                .hasMessage("mdadm: Cannot get exclusive access to /dev/md127:Perhaps a running process, mounted"
                        + " filesystem or active volume group?")
                .extracting(e -> ((MdException) e).errno()).isEqualTo(Errno.EBUSY);
        held.close();
        a.stop();
    }

    @Test
    void examineAcceptsTheSuperblocksAfterStop() throws Exception {
        assumeTrue(Files.isExecutable(MDADM), "mdadm not installed");
        List<String> m = files(3);
        MdArray a = ArrayCreate.create(arrays, spec("md0", 5, 3, true, m)).array();
        assertThat(SyncIo.write(a.mddev(), 0, new byte[1 << 20])).isEqualTo(BlkStatus.OK);
        a.stop();
        for (String f : m) {
            Process p = new ProcessBuilder(MDADM.toString(), "--examine", f).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(out).contains("Raid Level : raid5", "State : clean", "Layout : left-symmetric",
                    "Chunk Size : 64K", "Array State : AAA", "Checksum :", "- correct");
        }
    }

    static Superblock1 readSb(String file) throws Exception {
        byte[] b = new byte[4096];
        try (RandomAccessFile f = new RandomAccessFile(file, "r")) {
            f.seek(4096);
            f.readFully(b);
        }
        return Superblock1.decode(java.nio.ByteBuffer.wrap(b));
    }
}
