package jdm.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BufferPoolTest {
    private final BufferPool pool = new BufferPool();

    @Test
    void aBufferIsDirectAndLimitedToTheSizeAskedFor() {
        ByteBuffer b = pool.take(5000);
        assertThat(b.isDirect()).isTrue();
        assertThat(b.position()).isZero();
        assertThat(b.limit()).isEqualTo(5000);
        assertThat(b.capacity()).isEqualTo(8192);
        assertThat(pool.take(512).capacity()).isEqualTo(4096);
        assertThat(pool.take(32 << 20).capacity()).isEqualTo(32 << 20);
    }

    @Test
    void aReturnedBufferIsHandedOutAgainReset() {
        ByteBuffer b = pool.take(4096);
        b.position(100).limit(200);
        pool.give(b);
        ByteBuffer again = pool.take(3000);
        assertThat(again).isSameAs(b);
        assertThat(again.position()).isZero();
        assertThat(again.limit()).isEqualTo(3000);
    }

    @Test
    void eachBufferIsHandedToOneTakerAtATime() {
        List<ByteBuffer> taken = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            taken.add(pool.take(65536));
        }
        taken.forEach(pool::give);
        List<ByteBuffer> again = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ByteBuffer b = pool.take(65536);
            assertThat(again).noneMatch(x -> x == b);
            again.add(b);
        }
    }

    @Test
    void theBufferGivenBackLastIsTakenFirst() {
        ByteBuffer a = pool.take(4096);
        ByteBuffer b = pool.take(4096);
        pool.give(a);
        pool.give(b);
        assertThat(pool.take(4096)).isSameAs(b);
        assertThat(pool.take(4096)).isSameAs(a);
    }

    @Test
    void buffersBeyondTheRetentionBudgetAreDropped() {
        BufferPool small = new BufferPool(8192);
        ByteBuffer a = small.take(4096);
        ByteBuffer b = small.take(4096);
        ByteBuffer c = small.take(4096);
        small.give(a);
        small.give(b);
        small.give(c); // over budget: dropped
        List<ByteBuffer> again = List.of(small.take(4096), small.take(4096), small.take(4096));
        assertThat(again).filteredOn(x -> x == a || x == b).hasSize(2);
        assertThat(again).noneMatch(x -> x == c);
    }

    @Test
    void concurrentTakersNeverShareABuffer() throws Exception {
        // ByteBuffer.equals compares contents: track buffers by identity.
        Set<ByteBuffer> inUse = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 20_000; i++) {
                    ByteBuffer b = pool.take(4096 << (i % 3));
                    if (!inUse.add(b)) {
                        failure.set(new AssertionError("buffer handed out twice"));
                    }
                    inUse.remove(b);
                    pool.give(b);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failure.get()).isNull();
    }

    @Test
    void sizesOutsideTheClassesAreRefused() {
        assertThatThrownBy(() -> pool.take(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pool.take((32 << 20) + 1)).isInstanceOf(IllegalArgumentException.class);
        pool.give(ByteBuffer.allocateDirect(100)); // not a pool size: ignored
    }

    @Test
    void afterABurstThePoolShrinksBackToASmallWorkingSet() {
        List<ByteBuffer> burst = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            burst.add(pool.take(256 << 10)); // 64 MiB of 256 KiB requests in flight at once
        }
        burst.forEach(pool::give);
        assertThat(pool.retainedBytes()).isEqualTo(64L << 20);

        assertThat(pool.trim()).isZero(); // the burst's buffers were in use during this period: all stay
        assertThat(pool.retainedBytes()).isEqualTo(64L << 20);
        assertThat(pool.trim()).isEqualTo((64L << 20) - BufferPool.IDLE_KEEP_BYTES); // idle a whole period: gone
        assertThat(pool.retainedBytes()).isEqualTo(BufferPool.IDLE_KEEP_BYTES);
        ByteBuffer b = pool.take(256 << 10);
        assertThat(burst).anyMatch(x -> x == b); // the working set kept is the burst's last buffers, still pooled
    }

    @Test
    void aSteadyWorkloadKeepsTheBuffersItCyclesThrough() {
        List<ByteBuffer> inFlight = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            inFlight.add(pool.take(1 << 20)); // 64 MiB at a time, more than the idle working set
        }
        inFlight.forEach(pool::give);
        for (int period = 0; period < 3; period++) {
            List<ByteBuffer> again = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                again.add(pool.take(1 << 20));
            }
            assertThat(again).allMatch(x -> inFlight.stream().anyMatch(y -> y == x)); // no new allocation
            again.forEach(pool::give);
            assertThat(pool.trim()).isZero();
        }
        assertThat(pool.retainedBytes()).isEqualTo(64L << 20);
    }

    @Test
    void classesLargerThanTheWorkingSetAreEmptiedWhenIdle() {
        ByteBuffer big = pool.take(32 << 20);
        pool.give(big);
        pool.trim();
        assertThat(pool.trim()).isEqualTo(32L << 20);
        assertThat(pool.retainedBytes()).isZero();
    }
}
