package jdm.md;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import jdm.block.BlkStatus;
import jdm.block.dev.BackingFiles;
import jdm.md.personalities.BuiltinPersonalities;
import jdm.testing.SyncIo;
import jdm.testing.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Members fail while writers keep writing: one of raid1/5/10, two of raid6. The hot spares take over and recovery
 * rebuilds them under the load; afterwards every byte reads back as last written and a check finds no mismatch.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MdFailureUnderLoadTest {
    private static final int BLOCK = 64 << 10;

    @TempDir
    Path dir;
    MdArrays arrays;

    @BeforeEach
    void setUp() {
        arrays = new MdArrays(BuiltinPersonalities.registry(), line -> { });
        arrays.setMembers(new BackingFiles());
        // recovery under load runs at sync_speed_min (md's 1000 KiB/s would take 16 s per member here)
        arrays.settings().setSpeedLimitMin(100_000);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (MdArray a : arrays.list()) {
            a.stop();
        }
    }

    @ParameterizedTest(name = "raid{0}: {1} members + {2} spares, {2} fail under load")
    @CsvSource({"1, 3, 1", "5, 4, 1", "10, 4, 1", "6, 5, 2"})
    void failuresUnderLoadAreRebuiltOntoSparesAndTheDataVerifies(int level, int raid, int spares)
            throws Exception {
        List<String> m = new ArrayList<>();
        for (int i = 0; i < raid + spares; i++) {
            m.add(TestFiles.sized(dir, "m" + i, 16 << 20).toString());
        }
        MdArray a = ArrayCreate.create(arrays, new ArrayCreate.Spec("md0", level, -1, level == 1 ? 0 : 128, raid,
                spares, false, true, true, "h", "load", null, -1, m, Path.of("/"))).array();
        Mddev md = a.mddev();
        int blocks = (int) (md.sizeSectors() * 512 / BLOCK);
        byte[] model = new byte[blocks * BLOCK];
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            int me = w;
            writers.add(Thread.ofPlatform().start(() -> {
                Random r = new Random(level * 10L + me);
                byte[] buf = new byte[BLOCK];
                while (!stop.get()) {
                    int b = r.nextInt(blocks / 2) * 2 + me; // each writer its own blocks: the model stays exact
                    r.nextBytes(buf);
                    BlkStatus st = SyncIo.write(md, (long) b * BLOCK / 512, buf);
                    if (st != BlkStatus.OK) {
                        failure.compareAndSet(null, "write of block " + b + ": " + st);
                        return;
                    }
                    System.arraycopy(buf, 0, model, b * BLOCK, BLOCK);
                }
            }));
        }
        try {
            Thread.sleep(200);
            for (int f = 0; f < spares; f++) {
                MdAttributes.write(a, "dev-m" + (f + 1) + "/state", "faulty");
            }
            assertThat(a.awaitIdle(60_000)).isTrue();
            Thread.sleep(100); // a little more load on the rebuilt array
        } finally {
            stop.set(true);
            for (Thread t : writers) {
                t.join();
            }
        }
        assertThat(failure.get()).isNull();
        assertThat(MdAttributes.read(a, "degraded")).isEqualTo("0");
        for (int s = 0; s < spares; s++) {
            assertThat(MdAttributes.read(a, "dev-m" + (raid + s) + "/state")).isEqualTo("in_sync");
        }
        assertThat(SyncIo.read(md, 0, model.length / 512)).isEqualTo(model);
        MdAttributes.write(a, "sync_action", "check");
        assertThat(a.awaitIdle(60_000)).isTrue();
        assertThat(MdAttributes.read(a, "mismatch_cnt")).isEqualTo("0");
    }
}
