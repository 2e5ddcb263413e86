package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import jdm.control.ControlClient;
import jdm.control.DeviceTable;
import jdm.crash.BlockPattern;
import jdm.crash.BlockWorkload;
import jdm.crash.NbdClient;
import jdm.crash.WriteLedger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon killed with SIGKILL in the middle of a multi-connection write workload, again and again: each time it
 * is restarted on the same --state directory, the same tables must come back, and every write it acknowledged
 * with FUA or before a completed FLUSH must read back, with no block holding bytes that were never written to it.
 *
 * <p>The devices are file-backed: FileDevice writes are positional writes into the kernel's page cache, so killing
 * the process (unlike cutting the power) loses nothing the kernel already has. What this checks is therefore that
 * the daemon acknowledges only what it has handed to the kernel (never a write still queued in the process: so
 * here even writes acknowledged without FUA or FLUSH must read back, a stricter check than a power cut allows), that
 * a FLUSH/FUA reply never overtakes its data, and that the state restore brings back the right tables over the
 * right files at the right offsets. Power-cut durability is what the crash harness (jdm crashtest) checks, by
 * replaying a log-writes log to every flush/FUA point.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class DaemonKillLoopTest {
    static final int KILLS = 20;
    static final int BLOCKS = 1024; // 4 MiB per export

    @TempDir
    Path dir;
    Process daemon;

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    Process startDaemon() throws Exception {
        Files.deleteIfExists(dir.resolve("nbd.sock")); // a SIGKILLed daemon leaves its socket files behind
        Files.deleteIfExists(dir.resolve("ctl.sock"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), "jdm.Main", "daemon",
                "--socket", dir.resolve("nbd.sock").toString(), "--control", dir.resolve("ctl.sock").toString(),
                "--state", dir.resolve("state").toString())
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("daemon.log").toFile())).start();
        for (int i = 0; i < 600 && !(Files.exists(dir.resolve("nbd.sock")) && Files.exists(dir.resolve("ctl.sock")));
             i++) {
            assertThat(p.isAlive()).as("daemon exited: %s", Files.readString(dir.resolve("daemon.log"))).isTrue();
            Thread.sleep(20);
        }
        return p;
    }

    void sized(String name, long bytes) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(name).toFile(), "rw")) {
            f.setLength(bytes);
        }
    }

    record Export(String name, WriteLedger ledger) {
    }

    @Test
    void acknowledgedWritesSurviveTwentyKillsOfTheDaemonUnderAMultiConnectionWorkload() throws Exception {
        sized("a.img", 4 << 20);
        sized("b.img", 4 << 20);
        sized("c.img", 8 << 20);
        daemon = startDaemon();
        ControlClient ctl = new ControlClient(dir.resolve("ctl.sock"));
        // A linear volume on top of a striped one, and a linear one straight on a file at an offset.
        ctl.create("base", null, false, "0 16384 striped 2 64 a.img 0 b.img 0", dir);
        ctl.create("top", null, false, "0 8192 linear base 4096", dir);
        ctl.create("lin", null, false, "0 8192 linear c.img 2048", dir);
        List<DeviceTable> tables = ctl.table(null, null);
        List<Export> exports = List.of(new Export("top", new WriteLedger(BLOCKS)),
                new Export("lin", new WriteLedger(BLOCKS)));
        AtomicLong seqs = new AtomicLong();
        Random rnd = new Random(11);
        long acked = 0;
        int durableChecked = 0;
        for (int kill = 1; kill <= KILLS; kill++) {
            AtomicBoolean go = new AtomicBoolean(true);
            List<Thread> runs = new ArrayList<>();
            List<BlockWorkload> workloads = new ArrayList<>();
            for (Export e : exports) {
                List<NbdClient> clients = new ArrayList<>();
                for (int c = 0; c < 3; c++) {
                    clients.add(NbdClient.connect(dir.resolve("nbd.sock"), e.name()));
                }
                BlockWorkload w = new BlockWorkload(e.ledger(), new BlockWorkload.Options(3, 8, 0.2, 12), seqs);
                workloads.add(w);
                long seed = rnd.nextLong();
                runs.add(Thread.ofPlatform().start(() -> {
                    try {
                        w.run(clients, seed, go::get);
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    } finally {
                        clients.forEach(NbdClient::close);
                    }
                }));
            }
            Thread.sleep(150 + rnd.nextInt(500)); // a random moment in the middle of the workload
            daemon.destroyForcibly(); // SIGKILL
            assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
            go.set(false);
            for (Thread t : runs) {
                t.join(30_000);
                assertThat(t.isAlive()).as("the workload stops when its connections break").isFalse();
            }
            for (BlockWorkload w : workloads) {
                acked += w.acknowledged();
            }

            daemon = startDaemon();
            assertThat(ctl.table(null, null)).as("tables after kill %d", kill).isEqualTo(tables);
            for (Export e : exports) {
                try (NbdClient c = NbdClient.connect(dir.resolve("nbd.sock"), e.name())) {
                    assertThat(BlockWorkload.verify(c, e.ledger(), true)).as("%s after kill %d", e.name(), kill)
                            .isEmpty();
                    durableChecked += settle(c, e.ledger());
                }
            }
        }
        System.out.printf("daemon kill loop: %d kills, %d writes acknowledged, %d written blocks read back after restarts, 0 lost%n",
                KILLS, acked, durableChecked);
        assertThat(acked).as("the workload ran").isGreaterThan(KILLS * 10L);
    }

    /** Makes what the blocks now hold the ledger's durable state (after a FLUSH); returns how many were non-zero. */
    static int settle(NbdClient c, WriteLedger ledger) throws Exception {
        assertThat(c.flush().join()).isZero();
        byte[] data = c.read(0, ledger.blocks() * BlockPattern.BLOCK_BYTES);
        int written = 0;
        for (int b = 0; b < ledger.blocks(); b++) {
            long seq = BlockPattern.decode(b, data, b * BlockPattern.BLOCK_BYTES);
            ledger.settle(b, seq);
            written += seq > 0 ? 1 : 0;
        }
        return written;
    }
}
