package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import jdm.control.MdClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 12's load acceptance: a real NBD client (libnbd's python binding, src/test/resources/md/nbd-random-io.py)
 * writes random data at random places of an md array served by the daemon and checks its reads against its own
 * copy, while members fail (one of raid1, raid5, raid10; two of raid6) and spares are added and rebuilt. After the
 * recovery the whole export equals, by sha256, what the client wrote (read back by nbdcopy), the array is clean with
 * every member in sync, and a {@code check} pass counts mismatch_cnt 0.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MdUnderLoadTest {
    static final long MEMBER_BYTES = 24L << 20;

    @TempDir
    Path dir;
    Daemon daemon;
    Path sock;
    MdClient md;
    Process client;

    @BeforeEach
    void start() throws Exception {
        sock = dir.resolve("nbd.sock");
        daemon = Daemon.start(new Daemon.Listen(sock, null, 0, dir.resolve("ctl.sock")));
        md = new MdClient(dir.resolve("ctl.sock"));
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        daemon.close();
    }

    static Map<String, Object> args(Object... kv) {
        return MdDaemonEndToEndTest.args(kv);
    }

    @ParameterizedTest(name = "raid{0} of {1}, {2} failed during the load")
    @CsvSource({"1, 2, 1", "5, 4, 1", "10, 4, 1", "6, 5, 2"})
    void randomWritesThroughNbdSurviveFailuresAndRebuildsByteForByte(int level, int members, int failures)
            throws Exception {
        Tools.need("nbdcopy");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "no /usr/bin/python3");
        assumeTrue(new ProcessBuilder("/usr/bin/python3", "-c", "import nbd").start().waitFor() == 0,
                "python3 has no nbd module (python3-libnbd)");
        List<String> devices = new ArrayList<>();
        for (int i = 0; i < members + failures; i++) {
            DaemonEndToEndTest.sized(dir.resolve("m" + i), MEMBER_BYTES);
            if (i < members) {
                devices.add("m" + i);
            }
        }
        md.call("md_create", args("name", "md0", "level", (long) level, "raid_devices", (long) members,
                "assume_clean", true, "run", true, "homehost", "h", "bitmap", "none", "devices", devices,
                "cwd", dir.toString()));
        // Normal I/O wins over recovery beyond sync_speed_min; raise it so the rebuild ends while the load runs.
        md.writeAttr("md0", "sync_speed_min", "100000");

        Path stop = dir.resolve("stop");
        Path shadow = dir.resolve("shadow");
        Path script = Path.of(getClass().getResource("/md/nbd-random-io.py").toURI());
        client = new ProcessBuilder("/usr/bin/python3", script.toString(), "nbd+unix:///md0?socket=" + sock,
                Long.toString(level * 1000L + members), shadow.toString(), stop.toString())
                .redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        AtomicLong writes = new AtomicLong();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(client.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                    if (line.startsWith("writes=")) {
                        writes.set(Long.parseLong(line.substring(7)));
                    }
                }
            } catch (Exception e) {
                lines.add("reader: " + e);
            }
        });
        awaitWrites(writes, 64, lines);

        for (int f = 0; f < failures; f++) {
            assertThat(md.call("md_manage", args("name", "md0", "action", "fail", "device", "m" + (f + 1),
                    "cwd", dir.toString())).get("messages")).isEqualTo(List.of("mdadm: set m" + (f + 1)
                    + " faulty in /dev/md0"));
        }
        assertThat(md.readAttr("md0", "degraded")).isEqualTo(Integer.toString(failures));
        long atFailure = writes.get();
        awaitWrites(writes, atFailure + 64, lines);   // degraded writes and reads
        for (int f = 0; f < failures; f++) {
            String spare = "m" + (members + f);
            assertThat(md.call("md_manage", args("name", "md0", "action", "add", "device", spare,
                    "cwd", dir.toString())).get("messages")).isEqualTo(List.of("mdadm: added " + spare));
        }
        long atAdd = writes.get();
        awaitIdleAndWhole(lines);
        long atRebuilt = writes.get();
        awaitWrites(writes, atRebuilt + 32, lines);

        Files.createFile(stop);
        reader.join(120_000);
        assertThat(client.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(client.exitValue()).as("client output %s", lines).isZero();
        assertThat(lines).contains("verify ok");

        Path back = dir.resolve("back");
        Tools.run("nbdcopy", "nbd+unix:///md0?socket=" + sock, back.toString());
        assertThat(DaemonEndToEndTest.sha256(back)).isEqualTo(DaemonEndToEndTest.sha256(shadow));

        Map<String, Object> detail = md.detail("md0");
        for (int i = 0; i < 100 && !"clean".equals(detail.get("state")); i++) {
            Thread.sleep(50);   // "active" until safe_mode_delay (200 ms) passed without writes
            detail = md.detail("md0");
        }
        assertThat(detail.get("state")).isEqualTo("clean");
        assertThat(detail.get("active_devices")).isEqualTo((long) members);
        assertThat(detail.get("failed_devices")).isEqualTo((long) failures);
        md.writeAttr("md0", "sync_action", "check");
        awaitIdleAndWhole(lines);
        assertThat(md.readAttr("md0", "mismatch_cnt")).isEqualTo("0");
        System.out.printf("raid%d of %d x %d MiB: %d writes (%s) with %d failed, %d writes degraded before the add,"
                        + " %d during the rebuild, %s%n", level, members, MEMBER_BYTES >> 20, writes.get(),
                lines.stream().filter(l -> l.startsWith("done")).findFirst().orElse("?"), failures,
                atAdd - atFailure, atRebuilt - atAdd, "sha256 equal, check mismatch_cnt 0");
        md.call("md_stop", args("name", "md0"));
    }

    /** Waits until the client has made at least n writes (it prints its count every 32). */
    void awaitWrites(AtomicLong writes, long n, List<String> lines) throws InterruptedException {
        for (int i = 0; i < 1200 && writes.get() < n; i++) {
            assertThat(client.isAlive()).as("client ended: %s", lines).isTrue();
            Thread.sleep(50);
        }
        assertThat(writes.get()).as("client writes, output %s", lines).isGreaterThanOrEqualTo(n);
    }

    /** Waits for sync_action idle with no member left to rebuild, the client still running. */
    void awaitIdleAndWhole(List<String> lines) throws Exception {
        for (int i = 0; i < 1800; i++) {
            if (md.readAttr("md0", "sync_action").equals("idle") && md.readAttr("md0", "degraded").equals("0")) {
                return;
            }
            assertThat(client.isAlive() || lines.contains("verify ok")).as("client ended: %s", lines).isTrue();
            Thread.sleep(100);
        }
        throw new AssertionError("md0 did not finish: " + md.list());
    }
}
