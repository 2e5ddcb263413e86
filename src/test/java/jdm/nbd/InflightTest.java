package jdm.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The in-flight gate under races: a reader on a virtual thread (as in a connection) acquires and waits while other
 * threads release at random moments. A lost wake-up shows as a reader that stops making progress; the watchdog
 * then fails the test, naming where it stuck, instead of hanging.
 */
@Timeout(120)
class InflightTest {
    /** No progress for this long means the reader is asleep with nothing left to wake it. */
    private static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final ExecutorService completers = Executors.newFixedThreadPool(2);

    @org.junit.jupiter.api.AfterEach
    void stop() throws InterruptedException {
        completers.shutdownNow();
        assertThat(completers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    /** Busy-waits a random few hundred nanoseconds, so releases land anywhere in the reader's check-then-park. */
    private static void jitter(SplittableRandom rnd) {
        long until = System.nanoTime() + rnd.nextInt(2000);
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    @Test
    void awaitIdleSeesTheLastReleaseWhereverItLands() throws Exception {
        Inflight gate = new Inflight(256, 128L << 20);
        int iterations = 30_000;
        AtomicInteger done = new AtomicInteger();
        runReader(done, iterations, () -> {
            SplittableRandom rnd = new SplittableRandom(1);
            for (int i = 0; i < iterations; i++) {
                int k = 1 + rnd.nextInt(3);
                for (int j = 0; j < k; j++) {
                    gate.acquire(512);
                    long seed = rnd.nextLong();
                    completers.execute(() -> {
                        jitter(new SplittableRandom(seed));
                        gate.release(512);
                    });
                }
                if (rnd.nextBoolean()) {
                    jitter(rnd);
                }
                gate.awaitIdle();
                assertThat(gate.requests()).isZero();
                done.incrementAndGet();
            }
        }, () -> "awaitIdle with " + gate.requests() + " in flight");
        assertThat(gate.bytes()).isZero();
    }

    @RepeatedTest(3)
    void acquireAtTheLimitWakesForEveryReleaseAndNeverOverruns() throws Exception {
        int maxRequests = 4;
        long maxBytes = 16 << 10;
        Inflight gate = new Inflight(maxRequests, maxBytes);
        int iterations = 50_000;
        AtomicInteger done = new AtomicInteger();
        AtomicReference<String> overrun = new AtomicReference<>();
        Pipe pipe = Pipe.open();
        try (Pipe.SinkChannel sink = pipe.sink(); Pipe.SourceChannel source = pipe.source()) {
            runReader(done, iterations, () -> {
                SplittableRandom rnd = new SplittableRandom(2);
                ByteBuffer one = ByteBuffer.allocate(1);
                for (int i = 0; i < iterations; i++) {
                    long n = rnd.nextInt(4) == 0 ? 0 : 512L * (1 + rnd.nextInt(16)); // 0 like a reader's reply
                    gate.acquire(n);
                    int r = gate.requests();
                    long b = gate.bytes();
                    if (r > maxRequests || (r > 1 && b > maxBytes)) {
                        overrun.compareAndSet(null, r + " requests, " + b + " bytes at " + i);
                    }
                    boolean viaPipe = i % 8 == 0;
                    long seed = rnd.nextLong();
                    completers.execute(() -> {
                        jitter(new SplittableRandom(seed));
                        gate.release(n);
                        if (viaPipe) {
                            try {
                                sink.write(ByteBuffer.wrap(new byte[1]));
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        }
                    });
                    if (viaPipe) {
                        // Blocking I/O on a virtual thread parks and unparks it too: permits it consumes or
                        // leaves behind must not cost the gate a wake-up.
                        one.clear();
                        while (one.hasRemaining()) {
                            source.read(one);
                        }
                    }
                    done.incrementAndGet();
                }
                gate.awaitIdle();
            }, () -> "acquire with " + gate.requests() + " requests, " + gate.bytes() + " bytes in flight");
        }
        assertThat(overrun.get()).isNull();
        assertThat(gate.requests()).isZero();
        assertThat(gate.bytes()).isZero();
    }

    @Test
    void overTheServerTotalAConnectionGoesOnWithOneRequestInFlight() throws Exception {
        java.util.concurrent.atomic.AtomicLong server = new java.util.concurrent.atomic.AtomicLong();
        Inflight a = new Inflight(256, 128 << 20, server, 1 << 20);
        Inflight b = new Inflight(256, 128 << 20, server, 1 << 20);
        a.acquire(512 << 10);
        a.charge(512 << 10);
        a.acquire(512 << 10);
        a.charge(512 << 10);
        b.acquire(4096); // nothing of its own in flight: let through, whatever the total
        b.charge(4096);
        Thread second = Thread.ofVirtual().start(() -> {
            b.acquire(4096);
            b.charge(4096);
        });
        assertThat(second.join(java.time.Duration.ofMillis(200))).as("waits: the server is over its total").isFalse();
        b.release(4096); // its own release wakes it; a's requests may stay
        assertThat(second.join(java.time.Duration.ofSeconds(10))).isTrue();
        assertThat(server.get()).isEqualTo((1 << 20) + 4096);
        b.release(4096);
        a.release(512 << 10);
        a.release(512 << 10);
        assertThat(server.get()).isZero();
    }

    @Test
    void connectionsSharingAServerTotalAllKeepGoing() throws Exception {
        java.util.concurrent.atomic.AtomicLong server = new java.util.concurrent.atomic.AtomicLong();
        long max = 64 << 10;
        int iterations = 20_000;
        Inflight other = new Inflight(8, 1 << 20, server, max);
        AtomicReference<Throwable> otherFailed = new AtomicReference<>();
        Thread otherReader = Thread.ofVirtual().start(() -> {
            try {
                drive(other, new SplittableRandom(4), iterations, new AtomicInteger());
            } catch (Throwable t) {
                otherFailed.set(t);
            }
        });
        Inflight gate = new Inflight(8, 1 << 20, server, max);
        AtomicInteger done = new AtomicInteger();
        runReader(done, iterations, () -> {
            drive(gate, new SplittableRandom(3), iterations, done);
        }, () -> "acquire with " + gate.requests() + " in flight, server total " + server.get());
        assertThat(otherReader.join(java.time.Duration.ofSeconds(60))).as("the other reader finished").isTrue();
        assertThat(otherFailed.get()).isNull();
        assertThat(server.get()).isZero();
    }

    /** Acquires and charges like a connection's reader; completers release at random moments. */
    private void drive(Inflight gate, SplittableRandom rnd, int iterations, AtomicInteger progress) {
        for (int i = 0; i < iterations; i++) {
            long n = 512L * (1 + rnd.nextInt(64));
            gate.acquire(n);
            gate.charge(n);
            long seed = rnd.nextLong();
            completers.execute(() -> {
                jitter(new SplittableRandom(seed));
                gate.release(n);
            });
            progress.incrementAndGet();
        }
        gate.awaitIdle();
    }

    @Test
    void oneRequestIsLetThroughWhateverItsSize() {
        Inflight gate = new Inflight(4, 1024);
        gate.acquire(1 << 20);
        assertThat(gate.requests()).isEqualTo(1);
        gate.release(1 << 20);
        gate.awaitIdle();
    }

    /** Runs body on a virtual thread; fails if it stops progressing (a lost wake-up) or throws. */
    private static void runReader(AtomicInteger progress, int total, ThrowingRunnable body,
            java.util.function.Supplier<String> where) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = Thread.ofVirtual().name("inflight-reader").start(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        int last = -1;
        long lastChange = System.nanoTime();
        while (!reader.join(java.time.Duration.ofMillis(50))) {
            int now = progress.get();
            if (now != last) {
                last = now;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > STUCK_NANOS) {
                fail("reader stuck at iteration " + now + " of " + total + ": " + where.get()
                        + " (a lost wake-up)");
            }
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertThat(progress.get()).isEqualTo(total);
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
