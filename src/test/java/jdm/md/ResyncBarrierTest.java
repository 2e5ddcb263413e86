package jdm.md;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ResyncBarrierTest {
    private static final long UNIT = 1L << ResyncBarrier.UNIT_SHIFT;

    @Test
    void ioInARaisedWindowIsHeldAndRunWhenItIsLowered() throws InterruptedException {
        ResyncBarrier b = new ResyncBarrier();
        List<String> ran = new ArrayList<>();
        b.raise(0, 128);
        assertThat(b.enter(64, 8, () -> ran.add("held"))).isFalse();
        assertThat(b.enter(UNIT, 8, () -> ran.add("other unit"))).as("another 64 MiB unit goes on").isTrue();
        assertThat(ran).isEmpty();
        b.lower(0, 128);
        assertThat(ran).containsExactly("held");
        assertThat(b.enter(64, 8, () -> ran.add("again"))).isTrue();
        assertThat(b.pending()).isEqualTo(2);
    }

    @Test
    void raiseWaitsForTheIoInFlightInItsWindow() throws InterruptedException {
        ResyncBarrier b = new ResyncBarrier();
        assertThat(b.enter(UNIT - 4, 8, () -> { })).isTrue(); // spans two units
        CountDownLatch raised = new CountDownLatch(1);
        Thread sync = Thread.ofPlatform().start(() -> {
            try {
                b.raise(UNIT, 128);
                raised.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(raised.await(200, TimeUnit.MILLISECONDS)).isFalse();
        b.exit(UNIT - 4, 8);
        assertThat(raised.await(5, TimeUnit.SECONDS)).isTrue();
        sync.join();
        b.lower(UNIT, 128);
        assertThat(b.pending()).isZero();
    }

    @Test
    void anInterruptedRaiseTakesItsBarrierDown() throws InterruptedException {
        ResyncBarrier b = new ResyncBarrier();
        assertThat(b.enter(0, 8, () -> { })).isTrue();
        Thread.currentThread().interrupt();
        try {
            b.raise(0, Long.MAX_VALUE);
        } catch (InterruptedException expected) {
            // the barrier is down again
        }
        assertThat(b.enter(10 * UNIT, 8, () -> { })).isTrue();
    }
}
