package jdm.dm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jdm.block.BlockDevice;
import jdm.block.DataRegion;
import jdm.block.dev.MemoryDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads by reference (BlockDevice.readRegion): a range inside one linear or striped target over a file is that
 * file's bytes at the translated position; anything else (across targets, across a chunk, a zero target, a
 * suspended device) has none; a region counts as I/O in flight, so suspend waits for its close; a RAM disk's
 * region is its pages' bytes.
 */
@Timeout(60)
class DataRegionTest {
    @TempDir
    Path dir;

    /** The region's bytes, read from the file or taken from the buffers. */
    static byte[] bytes(DataRegion r) throws Exception {
        ByteBuffer out = ByteBuffer.allocate((int) r.length());
        if (r.file() != null) {
            while (out.hasRemaining() && r.file().read(out, r.position() + out.position()) > 0) {
                // until full
            }
        } else {
            for (ByteBuffer b : r.buffers()) {
                out.put(b.duplicate());
            }
        }
        return out.array();
    }

    Path randomFile(String name, int bytes, long seed) throws Exception {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        return Files.write(dir.resolve(name), b);
    }

    @Test
    void linearAndStripedGiveTheFilesBytesAtTheMappedPosition() throws Exception {
        Path a = randomFile("a.img", 1 << 20, 1);
        Path b = randomFile("b.img", 1 << 20, 2);
        MappedDevice md = Fixtures.namespace().createWithTable("vol", null, false,
                "0 1024 linear " + a + " 512\n1024 1024 striped 2 16 " + a + " 0 " + b + " 0\n2048 64 zero", dir);
        try (DataRegion r = md.readRegion(100, 64)) {
            assertThat(r.file()).isNotNull();
            assertThat(r.position()).isEqualTo((512 + 100) * 512L);
            assertThat(r.length()).isEqualTo(64 * 512L);
            assertThat(bytes(r)).isEqualTo(Fixtures.read(md, 100, 64));
        }
        // striped, chunk 16 sectors: relative sector 16..31 is chunk 1, on b at its sector 0
        try (DataRegion r = md.readRegion(1024 + 16, 16)) {
            assertThat(r.position()).isZero();
            assertThat(bytes(r)).isEqualTo(Fixtures.read(md, 1024 + 16, 16)).isEqualTo(
                    java.util.Arrays.copyOf(Files.readAllBytes(b), 16 * 512));
        }
        assertThat(md.readRegion(1024 + 8, 16)).as("across a chunk").isNull();
        assertThat(md.readRegion(1000, 64)).as("across two targets").isNull();
        assertThat(md.readRegion(2048, 8)).as("zero").isNull();
    }

    @Test
    void anOpenRegionHoldsSuspendAndASuspendedDeviceGivesNone() throws Exception {
        Path a = randomFile("a.img", 1 << 20, 3);
        MappedDevice md = Fixtures.namespace().createWithTable("vol", null, false, "0 2048 linear " + a + " 0", dir);
        DataRegion r = md.readRegion(0, 8);
        CompletableFuture<Void> suspend = CompletableFuture.runAsync(() -> {
            try {
                md.suspend(false);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            suspend.get(300, TimeUnit.MILLISECONDS);
            throw new AssertionError("suspend finished while a region was open");
        } catch (TimeoutException expected) {
            // still waiting for the region, as for a bio in flight
        }
        r.close();
        r.close(); // a second close releases nothing more
        suspend.get(10, TimeUnit.SECONDS);
        assertThat(md.readRegion(0, 8)).isNull();
        md.resume();
        try (DataRegion again = md.readRegion(0, 8)) {
            assertThat(again).isNotNull();
        }
        md.suspend(false); // the closes above left nothing in flight
        md.resume();
    }

    @Test
    void suspendWaitsForARegionNeverClosedOnlySoLong() throws Exception {
        Path a = randomFile("a.img", 1 << 20, 5);
        MappedDevice md = Fixtures.namespace().createWithTable("vol", null, false, "0 2048 linear " + a + " 0", dir);
        DataRegion stuck = md.readRegion(0, 8); // a client that never reads its reply
        long t0 = System.nanoTime();
        md.suspend(false);
        long waited = System.nanoTime() - t0;
        assertThat(waited).isGreaterThanOrEqualTo(MappedDevice.REGION_WAIT_NANOS - 50_000_000L);
        assertThat(md.suspended()).isTrue();
        md.resume();
        stuck.close();
    }

    @Test
    void aRamDiskRegionIsItsPagesWithUnwrittenOnesAsZeros() throws Exception {
        BlockDevice ram = new MemoryDevice("ram0", 4096);
        byte[] data = new byte[100 << 10];
        new Random(4).nextBytes(data);
        Fixtures.write(ram, 8, data); // from byte 4096: across pages 0, 1 (64 KiB pages)
        try (DataRegion r = ram.readRegion(0, 1024)) { // 512 KiB: pages 0..7, 2..7 never written
            assertThat(r.buffers()).hasSize(8);
            assertThat(r.buffers()[0].isReadOnly()).isTrue();
            byte[] want = new byte[512 << 10];
            System.arraycopy(data, 0, want, 4096, data.length);
            assertThat(bytes(r)).isEqualTo(want).isEqualTo(Fixtures.read(ram, 0, 1024));
        }
        try (DataRegion r = ram.readRegion(20, 16)) { // inside page 0
            assertThat(r.buffers()).hasSize(1);
            assertThat(bytes(r)).isEqualTo(Fixtures.read(ram, 20, 16));
        }
    }
}
