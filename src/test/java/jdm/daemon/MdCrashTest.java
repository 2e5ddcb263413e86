package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jdm.control.MdClient;
import jdm.md.sb.Superblock1;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's crash acceptance at process level: the daemon runs as its own process (bin/jdm daemon, the real
 * launcher, when target/jdm.jar is up to date with the sources; else the same main class from the test class path)
 * and is killed with SIGKILL in the middle of a resync, of a recovery onto a spare, and after writes to an array
 * with an internal bitmap. A new daemon assembles the members with {@code jdm mdadm --assemble} and
 * <ul>
 * <li>the resync continues from the resync_offset checkpointed in the superblocks (position at restart > 0, at
 * or just past the checkpoint), finishes, and the data written (and flushed) before the kill reads back;</li>
 * <li>the recovery continues from the spare's recovery_offset the same way;</li>
 * <li>with the bitmap, the resync covers only the dirty chunks: a torn write in a dirty chunk is repaired, a
 * difference planted in a clean chunk is left alone, and the daemon writes about dirty-chunks x chunk bytes.</li>
 * </ul>
 * The measured positions and amounts are printed.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MdCrashTest {
    static final Pattern COMPLETED = Pattern.compile("(\\d+) / (\\d+)");

    @TempDir
    Path dir;
    Process daemon;
    MdClient md;

    @BeforeEach
    void need() {
        Tools.need("nbdcopy");
    }

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    // ---- the daemon process and the launcher ----

    /** bin/jdm when its jar is fresh (the launcher would otherwise rebuild it, too slow inside a test run). */
    static List<String> launcher(boolean daemon) throws IOException {
        Path top = Path.of(System.getProperty("user.dir"));
        Path jar = top.resolve("target/jdm.jar");
        if (Files.isRegularFile(jar) && Files.isExecutable(top.resolve("bin/jdm"))) {
            FileTime built = Files.getLastModifiedTime(jar);
            try (Stream<Path> sources = Stream.concat(Files.walk(top.resolve("src/main")),
                    Stream.of(top.resolve("pom.xml")))) {
                if (sources.noneMatch(p -> newer(p, built))) {
                    return List.of(top.resolve("bin/jdm").toString());
                }
            }
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xlog:disable"));
        if (daemon) {
            cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "jdm.Main"));
        return cmd;
    }

    private static boolean newer(Path p, FileTime than) {
        try {
            return Files.getLastModifiedTime(p).compareTo(than) > 0;
        } catch (IOException e) {
            return true;
        }
    }

    void startDaemon() throws Exception {
        Files.deleteIfExists(dir.resolve("nbd.sock")); // a SIGKILLed daemon leaves its socket files behind
        Files.deleteIfExists(dir.resolve("ctl.sock"));
        List<String> cmd = new ArrayList<>(launcher(true));
        cmd.addAll(List.of("daemon", "--socket", dir.resolve("nbd.sock").toString(), "--control",
                dir.resolve("ctl.sock").toString()));
        daemon = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("daemon.log").toFile())).start();
        for (int i = 0; i < 1500 && !(Files.exists(dir.resolve("nbd.sock")) && Files.exists(dir.resolve("ctl.sock")));
             i++) {
            assertThat(daemon.isAlive()).as("daemon exited: %s", Files.readString(dir.resolve("daemon.log")))
                    .isTrue();
            Thread.sleep(20);
        }
        md = new MdClient(dir.resolve("ctl.sock"));
    }

    String log() throws IOException {
        return Files.readString(dir.resolve("daemon.log"));
    }

    void kill() throws Exception {
        daemon.destroyForcibly();   // SIGKILL
        assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
        daemon = null;
    }

    /** {@code jdm mdadm ARGS} against the daemon, in the test directory; returns its stderr+stdout. */
    String mdadm(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(launcher(false));
        cmd.add("mdadm");
        cmd.add("--control=" + dir.resolve("ctl.sock"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("jdm mdadm %s: %s", List.of(args), out).isZero();
        return out;
    }

    String uri() {
        return "nbd+unix:///md0?socket=" + dir.resolve("nbd.sock");
    }

    void members(int n, long bytes) throws Exception {
        for (int i = 0; i < n; i++) {
            DaemonEndToEndTest.sized(dir.resolve("m" + i), bytes);
        }
    }

    Superblock1 superblock(String member) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(member).toFile(), "r")) {
            byte[] b = new byte[4096];
            f.seek(4096);
            f.readFully(b);
            return Superblock1.decode(ByteBuffer.wrap(b));
        }
    }

    /** sync_completed as {position, total}, or null for "none". */
    long[] completed() throws Exception {
        Matcher m = COMPLETED.matcher(md.readAttr("md0", "sync_completed"));
        return m.matches() ? new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : null;
    }

    /** Waits until the running sync reached fraction of its range; returns the last sync_completed seen. */
    long[] awaitProgress(double fraction) throws Exception {
        for (int i = 0; i < 1200; i++) {
            long[] c = completed();
            if (c != null && c[0] >= fraction * c[1]) {
                return c;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no progress: " + md.list());
    }

    /** The first sync_completed position after the assemble: where the continued pass starts. */
    long[] firstPosition() throws Exception {
        for (int i = 0; i < 400; i++) {
            long[] c = completed();
            if (c != null) {
                return c;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no sync after assemble: " + md.list());
    }

    void awaitIdle() throws Exception {
        for (int i = 0; i < 1800; i++) {
            if (md.readAttr("md0", "sync_action").equals("idle") && md.readAttr("md0", "degraded").equals("0")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("md0 did not finish: " + md.list());
    }

    void checkClean() throws Exception {
        md.writeAttr("md0", "sync_action", "check");
        awaitIdle();
        assertThat(md.readAttr("md0", "mismatch_cnt")).isEqualTo("0");
    }

    void readBackEquals(Path data) throws Exception {
        Path back = dir.resolve("back");
        Files.deleteIfExists(back);
        Tools.run("nbdcopy", uri(), back.toString());
        byte[] want = Files.readAllBytes(data);
        assertThat(Arrays.equals(Arrays.copyOf(Files.readAllBytes(back), want.length), want))
                .as("data written before the kill reads back").isTrue();
    }

    static Map<String, Object> args(Object... kv) {
        Map<String, Object> m = MdDaemonEndToEndTest.args(kv);
        m.values().removeIf(java.util.Objects::isNull);
        return m;
    }

    void create(int level, int raidDevices, boolean assumeClean, String bitmap, String... devices) throws Exception {
        md.call("md_create", args("name", "md0", "level", (long) level, "chunk_kib", level == 1 ? null : 64L,
                "raid_devices", (long) raidDevices, "assume_clean", assumeClean, "run", true, "homehost", "h", "bitmap", bitmap,
                "devices", List.of(devices), "cwd", dir.toString()));
    }

    // ---- the tests ----

    @Test
    void aResyncKilledMidwayContinuesFromItsCheckpoint() throws Exception {
        members(4, 32L << 20);
        startDaemon();
        md.writeAttr("", "speed_limit_max", "4000");
        // raid6 (mdadm creates a raid5 degraded and recovers its last member instead: that is the next test's case)
        create(6, 4, false, "none", "m0", "m1", "m2", "m3");
        assertThat(md.readAttr("md0", "sync_action")).isEqualTo("resync");
        Path data = DaemonEndToEndTest.randomFile(dir.resolve("data"), 8 << 20, 12);
        Tools.run("nbdcopy", "--flush", data.toString(), uri());
        long[] seen = awaitProgress(0.4);
        kill();

        long checkpoint = superblock("m0").resyncOffset();
        for (String m : List.of("m1", "m2", "m3")) {
            assertThat(superblock(m).resyncOffset()).isEqualTo(checkpoint);
        }
        startDaemon();
        md.writeAttr("", "speed_limit_max", "1000");   // slow, so the first position seen is close to the start
        assertThat(mdadm("--assemble", "/dev/md0", "m0", "m1", "m2", "m3"))
                .isEqualTo("mdadm: /dev/md0 has been started with 4 drives.\n");
        long[] resumed = firstPosition();
        assertThat(md.readAttr("md0", "sync_action")).as("%s%n%s", md.list(), log()).isEqualTo("resync");
        System.out.printf("resync of raid6 4 x 32 MiB (%d sectors per member): last seen before kill -9 %d, "
                        + "checkpoint (resync_offset) %d, first position after assemble %d%n", resumed[1], seen[0],
                checkpoint, resumed[0]);
        assertThat(checkpoint).isPositive().isLessThanOrEqualTo(seen[0] + resumed[1] / 8);
        assertThat(resumed[0]).isGreaterThanOrEqualTo(checkpoint).isLessThan(checkpoint + resumed[1] / 4);
        md.writeAttr("", "speed_limit_max", "200000");
        awaitIdle();
        assertThat(superblock("m0").resyncOffset()).isEqualTo(Superblock1.MAX_SECTOR);
        readBackEquals(data);
        checkClean();
    }

    @Test
    void aRecoveryKilledMidwayContinuesFromTheSparesRecoveryOffset() throws Exception {
        members(5, 32L << 20);
        startDaemon();
        create(5, 4, true, "none", "m0", "m1", "m2", "m3");
        Path data = DaemonEndToEndTest.randomFile(dir.resolve("data"), 16 << 20, 13);
        Tools.run("nbdcopy", "--flush", data.toString(), uri());
        md.writeAttr("", "speed_limit_max", "4000");
        mdadm("/dev/md0", "--fail", "m1");
        mdadm("/dev/md0", "--add", "m4");
        long[] seen = awaitProgress(0.4);
        assertThat(md.readAttr("md0", "sync_action")).as("%s%n%s", md.list(), log()).isEqualTo("recover");
        kill();

        long checkpoint = superblock("m4").recoveryOffset();
        startDaemon();
        md.writeAttr("", "speed_limit_max", "1000");   // slow, so the first position seen is close to the start
        assertThat(mdadm("--assemble", "/dev/md0", "m0", "m2", "m3", "m4"))
                .isEqualTo("mdadm: /dev/md0 has been started with 3 drives (out of 4) and 1 rebuilding.\n");
        long[] resumed = firstPosition();
        assertThat(md.readAttr("md0", "sync_action")).isEqualTo("recover");
        System.out.printf("recovery of raid5 4 x 32 MiB onto a spare (%d sectors): last seen before kill -9 %d, "
                        + "checkpoint (spare's recovery_offset) %d, first position after assemble %d%n", resumed[1],
                seen[0], checkpoint, resumed[0]);
        assertThat(checkpoint).isPositive().isLessThanOrEqualTo(seen[0] + resumed[1] / 8);
        assertThat(resumed[0]).isGreaterThanOrEqualTo(checkpoint).isLessThan(checkpoint + resumed[1] / 4);
        md.writeAttr("", "speed_limit_max", "200000");
        awaitIdle();
        readBackEquals(data);
        checkClean();
        assertThat(md.detail("md0").get("state")).isEqualTo("clean");
    }

    @Test
    void withABitmapTheResyncAfterAKillCoversOnlyTheDirtyChunks() throws Exception {
        long memberBytes = 1L << 30;   // sparse; mdadm's bitmap chunk is 64 MiB: 16 chunks
        members(2, memberBytes);
        startDaemon();
        create(1, 2, true, "internal", "m0", "m1");
        Matcher cm = Pattern.compile("(\\d+)KB chunk").matcher(md.list().toString());
        assertThat(cm.find()).as("bitmap line in %s", md.list()).isTrue();
        long chunk = Long.parseLong(cm.group(1)) << 10;
        long arrayBytes = Long.parseLong(md.readAttr("md0", "component_size")) * 1024;
        // mdadm --create writes the bitmap with every bit set; the bitmap daemon clears them (daemon_sleep) since
        // the array is clean: wait for that, so that what the kill leaves set is what the writes below dirtied
        Superblock1 sb = superblock("m0");
        int chunks = (int) ((arrayBytes + chunk - 1) / chunk);
        for (int i = 0; i < 600 && dirtyBits(sb, chunks) > 0; i++) {
            Thread.sleep(100);
        }
        assertThat(dirtyBits(sb, chunks)).as("bits left set on disk 60 s after the create").isZero();
        // three writes, each inside one bitmap chunk, flushed; then the kill, before the bitmap daemon clears them
        long[] dirty = {chunk + 4096, 10 * chunk + 8192, (arrayBytes / chunk - 2) * chunk};
        StringBuilder py = new StringBuilder();
        for (int i = 0; i < dirty.length; i++) {
            py.append("h.pwrite(bytes([").append(0x41 + i).append("]) * 65536, ").append(dirty[i]).append(")\n");
        }
        py.append("h.flush()\n");
        Tools.run(Tools.nbdsh("-u", uri(), "-c", py.toString()));
        kill();

        long dataOffset = sb.dataOffset() * 512;
        int dirtyBits = dirtyBits(sb, chunks);
        // a torn write: m1 missed the last part of the first write (dirty chunk); and a difference in a clean
        // chunk the resync must not look at
        long clean = 5 * chunk + 4096;
        plant("m1", dataOffset + dirty[0] + 32768, 4096, (byte) 0x5a);
        plant("m1", dataOffset + clean, 4096, (byte) 0x6b);

        startDaemon();
        long before = wchar();
        mdadm("--assemble", "/dev/md0", "m0", "m1");
        awaitIdle();
        long written = wchar() - before;
        System.out.printf("bitmap resync after kill -9 (raid1 2 x 1 GiB): chunk %d KiB, array %d KiB, %d of %d "
                        + "bits dirty on disk -> %d KiB to resync (%.2f%% of the array); the daemon wrote %d KiB "
                        + "during assemble + resync (%.2f%% of the array)%n", chunk >> 10, arrayBytes >> 10,
                dirtyBits, chunks, dirtyBits * chunk >> 10, 100.0 * dirtyBits * chunk / arrayBytes, written >> 10,
                100.0 * written / arrayBytes);
        assertThat(dirtyBits).isEqualTo(dirty.length);
        assertThat(read("m1", dataOffset + dirty[0], 65536)).isEqualTo(read("m0", dataOffset + dirty[0], 65536));
        assertThat(read("m1", dataOffset + clean, 4096)).containsOnly((byte) 0x6b);
        assertThat(read("m0", dataOffset + clean, 4096)).containsOnly((byte) 0);
        assertThat(written).isLessThan(dirty.length * chunk + (1 << 20)).isGreaterThanOrEqualTo(dirty.length * chunk);
        for (int i = 0; i < dirty.length; i++) {
            assertThat(read("m0", dataOffset + dirty[i], 65536)).containsOnly((byte) (0x41 + i));
        }
    }

    /** Bits set in m0's on-disk bitmap (after its 256-byte "bitm" header). */
    int dirtyBits(Superblock1 sb, int chunks) throws IOException {
        int n = 0;
        for (byte b : read("m0", 4096 + sb.bitmapOffset() * 512L + 256, (chunks + 7) / 8)) {
            n += Integer.bitCount(b & 0xff);
        }
        return n;
    }

    void plant(String member, long at, int n, byte value) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(member).toFile(), "rw")) {
            byte[] b = new byte[n];
            Arrays.fill(b, value);
            f.seek(at);
            f.write(b);
        }
    }

    byte[] read(String member, long at, int n) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(member).toFile(), "r")) {
            byte[] b = new byte[n];
            f.seek(at);
            f.readFully(b);
            return b;
        }
    }

    /** Bytes the daemon process wrote through write system calls so far (/proc/PID/io wchar). */
    long wchar() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + daemon.pid() + "/io"))) {
            if (line.startsWith("wchar:")) {
                return Long.parseLong(line.substring(6).strip());
            }
        }
        throw new IOException("no wchar in /proc/" + daemon.pid() + "/io");
    }
}
