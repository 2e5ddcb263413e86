package jdm.block.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteBehindTest {
    private static final int BULK = WriteBehind.MIN_WRITE;
    private static final int PER_KICK = (int) (WriteBehind.KICK_BYTES / BULK);

    /** The kicks asked for, as [offset, length] pairs. */
    private final List<long[]> kicks = new ArrayList<>();
    /** Kicks handed to the kicker and not yet run: the test runs them when it wants. */
    private final Queue<Runnable> queued = new ArrayDeque<>();
    private final AtomicBoolean released = new AtomicBoolean();

    private WriteBehind recording() {
        return new WriteBehind((off, len) -> kicks.add(new long[] {off, len}), queued::add, () -> released.set(true));
    }

    @Test
    void smallWritesNeverKick() {
        WriteBehind wb = recording();
        for (int i = 0; i < 10 * PER_KICK * 16; i++) {
            wb.wrote((long) i * 4096, 4096);
        }
        assertThat(queued).isEmpty();
        assertThat(kicks).isEmpty();
    }

    @Test
    void bulkWritesKickTheRangeTheyCoveredOncePerKickBytes() {
        WriteBehind wb = recording();
        long base = 100L << 20;
        for (int i = 0; i < PER_KICK - 1; i++) {
            wb.wrote(base + (long) i * BULK, BULK);
        }
        assertThat(queued).as("one write short of a kick").isEmpty();
        wb.wrote(base - BULK, BULK); // out of order: the range still starts at the lowest write
        assertThat(queued).hasSize(1);
        queued.poll().run();
        assertThat(kicks).hasSize(1);
        assertThat(kicks.get(0)).containsExactly(base - BULK, (long) PER_KICK * BULK);
        for (int i = 0; i < PER_KICK; i++) { // the next range starts afresh
            wb.wrote((long) i * BULK, BULK);
        }
        queued.poll().run();
        assertThat(kicks).hasSize(2);
        assertThat(kicks.get(1)).containsExactly(0L, (long) PER_KICK * BULK);
    }

    @Test
    void writesDuringAKickAreTakenByIt() throws Exception {
        CountDownLatch inKick = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<long[]> seen = new ArrayList<>();
        WriteBehind wb = new WriteBehind((off, len) -> {
            synchronized (seen) {
                seen.add(new long[] {off, len});
            }
            inKick.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, r -> Thread.ofPlatform().start(r), () -> { });
        for (int i = 0; i < PER_KICK; i++) {
            wb.wrote((long) i * BULK, BULK);
        }
        assertThat(inKick.await(10, TimeUnit.SECONDS)).isTrue();
        long second = 1L << 30;
        for (int i = 0; i < PER_KICK; i++) { // piles up while the first kick is under way: no second thread
            wb.wrote(second + (long) i * BULK, BULK);
        }
        release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) { // the running kick loops and takes the second range itself
            synchronized (seen) {
                if (seen.size() >= 2) {
                    break;
                }
            }
            Thread.sleep(1);
        }
        wb.close();
        synchronized (seen) {
            assertThat(seen).hasSize(2);
            assertThat(seen.get(0)).containsExactly(0L, (long) PER_KICK * BULK);
            assertThat(seen.get(1)).containsExactly(second, (long) PER_KICK * BULK);
        }
    }

    @Test
    void closeWaitsForAQueuedKickThenReleasesAndKicksNoMore() throws Exception {
        WriteBehind wb = recording();
        for (int i = 0; i < PER_KICK; i++) {
            wb.wrote((long) i * BULK, BULK);
        }
        assertThat(queued).hasSize(1);
        Thread closer = Thread.ofPlatform().start(wb::close);
        closer.join(200);
        assertThat(closer.isAlive()).as("close waits for the kick it handed out").isTrue();
        assertThat(released).isFalse();
        queued.poll().run(); // the kick runs after close began: it sees closed and starts nothing
        closer.join(10_000);
        assertThat(closer.isAlive()).isFalse();
        assertThat(released).isTrue();
        assertThat(kicks).isEmpty();
        for (int i = 0; i < 2 * PER_KICK; i++) {
            wb.wrote((long) i * BULK, BULK);
        }
        assertThat(queued).isEmpty();
    }

    @Test
    void aRealFileGetsItsWritebackStarted(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("f.img");
        byte[] chunk = new byte[BULK];
        java.util.Arrays.fill(chunk, (byte) 0x5a);
        WriteBehind wb;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            wb = WriteBehind.open(file);
            assertThat(wb).isNotNull();
            for (int i = 0; i < 2 * PER_KICK; i++) {
                ch.write(ByteBuffer.wrap(chunk), (long) i * BULK);
                wb.wrote((long) i * BULK, BULK);
            }
        }
        wb.close(); // waits for the kicks under way, then closes its descriptor
        assertThat(Files.size(file)).isEqualTo(2L * PER_KICK * BULK);
        assertThat(Files.readAllBytes(file)).containsOnly((byte) 0x5a);
    }
}
