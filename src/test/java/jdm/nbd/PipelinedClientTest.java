package jdm.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import jdm.block.Bio;
import jdm.block.BlockDevice;
import jdm.block.dev.FileDevice;
import jdm.testing.DeviceChecks;
import jdm.testing.MemoryDisk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deep pipelines through a real client: libnbd (nbdsh's python module) keeps up to 512 mixed reads, writes and
 * flushes in flight on one connection, twice the server's in-flight limit, so the reader waits at its gate over and
 * over; every read is checked byte for byte against the client's model of the disk, and the whole disk at the end.
 * The workload is src/test/resources/jdm/nbd/pipelined_workload.py. A lost wake-up at the gate hangs the client.
 */
@Timeout(180)
class PipelinedClientTest {
    private static final int SIZE = 64 << 20;
    private static final int OPS = 4000;
    private static final int MAX_IN_FLIGHT = 512;

    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;
    private final ScheduledExecutorService delays = Executors.newScheduledThreadPool(2);

    @AfterEach
    void stop() {
        delays.shutdownNow();
    }

    /** Ends each bio on another thread after a random delay of up to half a millisecond: out of order, piling up. */
    private BlockDevice delayed(BlockDevice backing) {
        return new BlockDevice() {
            @Override
            public String name() {
                return "delayed";
            }

            @Override
            public long sizeSectors() {
                return backing.sizeSectors();
            }

            @Override
            public void submitBio(Bio bio) {
                delays.schedule(() -> {
                    bio.remap(backing, bio.sector());
                    backing.submitBio(bio);
                }, ThreadLocalRandom.current().nextInt(500), TimeUnit.MICROSECONDS);
            }
        };
    }

    @Test
    void deepPipelinesOnADelayingDeviceKeepEveryByte() throws Exception {
        for (int seed = 1; seed <= 3; seed++) {
            MapExports exports = MapExports.of("d", checks.wrap(delayed(new MemoryDisk("m", SIZE >> 9))));
            // The last run also keeps the server-wide total small, so that gate is what holds the reader back.
            runWorkload(exports, seed, seed == 3 ? 8L << 20 : NbdServer.DEFAULT_MAX_INFLIGHT_BYTES);
        }
    }

    @Test
    void deepPipelinesOnAFileWithRealFlushesKeepEveryByte() throws Exception {
        Path backing = dir.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(SIZE);
        }
        try (FileDevice file = FileDevice.open(backing, false)) {
            runWorkload(MapExports.of("d", checks.wrap(file)), 4, NbdServer.DEFAULT_MAX_INFLIGHT_BYTES);
        }
    }

    private void runWorkload(MapExports exports, long seed, long maxInflightBytes) throws Exception {
        Path sock = dir.resolve("nbd-" + seed + ".sock");
        Path script = Path.of(PipelinedClientTest.class.getResource("pipelined_workload.py").toURI());
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "no /usr/bin/python3");
        Process check = new ProcessBuilder("/usr/bin/python3", "-c", "import nbd").start();
        assumeTrue(check.waitFor() == 0, "python3 has no libnbd module (python3-libnbd)");
        NbdServer server = new NbdServer(exports).maxInflightBytes(maxInflightBytes).listenUnix(sock);
        try (server) {
            server.start();
            Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), "nbd+unix:///d?socket=" + sock,
                    Long.toString(seed), Integer.toString(OPS), Integer.toString(MAX_IN_FLIGHT))
                    .redirectErrorStream(true).start();
            String out;
            try {
                boolean finished = p.waitFor(60, TimeUnit.SECONDS);
                if (!finished) {
                    p.destroyForcibly().waitFor();
                }
                out = new String(p.getInputStream().readAllBytes()).trim();
                assertThat(finished).as("the workload hung (seed %d): %s", seed, out).isTrue();
            } finally {
                p.destroyForcibly();
            }
            assertThat(p.exitValue()).as("seed %d: %s", seed, out).isZero();
            assertThat(out).startsWith("ok " + OPS + " requests");
            assertThat(out).endsWith("peak in flight " + MAX_IN_FLIGHT);
        }
        // Closed: every connection has sent its last reply and released what it held.
        assertThat(server.inflightBytes()).as("payload bytes still counted in flight").isZero();
        assertThat(exports.openCount("d")).isZero();
    }
}
