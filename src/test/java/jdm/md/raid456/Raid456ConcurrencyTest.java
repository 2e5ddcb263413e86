package jdm.md.raid456;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.md.SyncAction;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Several threads write and read at random over the same stripes at once (each owns interleaved 4 KiB blocks, so
 * every stripe is shared and every byte has one writer), with member completions arriving late on another thread;
 * each thread's reads verify its own data, and at the end the whole array reads back and check finds the parity
 * consistent. Also many bios in flight from one submitter, completed in any order.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Raid456ConcurrencyTest {
    private static final int CHUNK = 16;
    private static final long MEMBER = 64L * CHUNK;
    private static final int THREADS = 4;

    @ParameterizedTest(name = "raid{0}, {1} members")
    @CsvSource({"5, 4", "6, 6", "4, 5"})
    void overlappingStripesFromManyThreadsStayConsistent(int level, int n) throws Exception {
        try (TestArray a = TestArray.create(level, level == 4 ? 5 : 2, CHUNK, n, MEMBER)) {
            for (int i = 0; i < n; i += 2) {
                a.faulty[i].delayCompletions(Duration.ofNanos(200_000));
            }
            int size = (int) a.md.sizeSectors();
            int blocks = size / 8;
            byte[] model = new byte[size * 512];
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int me = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    Random rnd = new Random(me * 7919L + level);
                    try {
                        start.await();
                        for (int op = 0; op < 150; op++) {
                            int block = rnd.nextInt(blocks / THREADS) * THREADS + me;   // my blocks only
                            if (rnd.nextInt(3) > 0) {
                                int first = rnd.nextInt(8);
                                int len = 1 + rnd.nextInt(8 - first);   // sector granular inside the block
                                byte[] d = new byte[len * 512];
                                rnd.nextBytes(d);
                                long sector = block * 8L + first;
                                assertThat(SyncIo.write(a.md, sector, d)).isEqualTo(BlkStatus.OK);
                                System.arraycopy(d, 0, model, (int) sector * 512, d.length);   // my bytes only
                            } else {
                                byte[] got = SyncIo.read(a.md, block * 8L, 8);
                                byte[] want = new byte[4096];
                                System.arraycopy(model, block * 4096, want, 0, 4096);
                                assertThat(got).as("thread %d block %d", me, block).isEqualTo(want);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertThat(SyncIo.read(a.md, 0, size)).isEqualTo(model);
            assertThat(Raid456SyncTest.pass(a, SyncAction.CHECK, 128)).as("mismatch_cnt").isZero();
        }
    }

    @ParameterizedTest(name = "raid{0}")
    @CsvSource({"5, 5", "6, 6"})
    void manyBiosInFlightFromOneSubmitter(int level, int n) throws Exception {
        try (TestArray a = TestArray.create(level, 2, CHUNK, n, MEMBER)) {
            for (int i = 0; i < n; i++) {
                a.faulty[i].delayCompletions(Duration.ofNanos(100_000L * (i + 1)));
            }
            int size = (int) a.md.sizeSectors();
            byte[] model = new byte[size * 512];
            new Random(11).nextBytes(model);
            // every 8-sector block as its own bio, all submitted before any completes: partial and full stripes
            CountDownLatch done = new CountDownLatch(size / 8);
            AtomicReference<BlkStatus> bad = new AtomicReference<>();
            for (int s = 0; s < size; s += 8) {
                new Bio(Op.WRITE, 0, a.md, s, 8, ByteBuffer.wrap(model, s * 512, 4096), b -> {
                    if (b.status() != BlkStatus.OK) {
                        bad.set(b.status());
                    }
                    done.countDown();
                }).submit();
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(bad.get()).isNull();
            assertThat(SyncIo.read(a.md, 0, size)).isEqualTo(model);
            assertThat(Raid456SyncTest.pass(a, SyncAction.CHECK, 128)).isZero();
        }
    }

    @org.junit.jupiter.api.Test
    void quiesceHoldsNewIoAndWaitsForWhatIsInFlight() throws Exception {
        try (TestArray a = TestArray.create(5, 2, CHUNK, 4, MEMBER)) {
            a.faulty[0].delayCompletions(Duration.ofMillis(200));
            byte[] d = new byte[(int) a.md.sizeSectors() * 512];
            new Random(13).nextBytes(d);
            CountDownLatch first = new CountDownLatch(1);
            new Bio(Op.WRITE, 0, a.md, 0, d.length / 512, ByteBuffer.wrap(d), b -> first.countDown()).submit();
            a.md.personality().quiesce(true);
            assertThat(first.getCount()).as("quiesce returned only after the write in flight ended").isZero();
            CountDownLatch second = new CountDownLatch(1);
            new Bio(Op.READ, 0, a.md, 0, 8, ByteBuffer.allocate(4096), b -> second.countDown()).submit();
            assertThat(second.await(300, TimeUnit.MILLISECONDS)).as("held while quiesced").isFalse();
            a.md.personality().quiesce(false);
            assertThat(second.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(SyncIo.read(a.md, 0, d.length / 512)).isEqualTo(d);
        }
    }
}
