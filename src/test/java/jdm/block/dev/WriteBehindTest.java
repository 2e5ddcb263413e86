package jdm.block.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
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

    /**
     * Through the real system call: a file written in bulk with write-behind has (almost) no dirty pages left when
     * the last write returns, where the same writes without it leave them all dirty (the kernel's own writeback
     * waits 30 s). Dirty pages counted with cachestat(2) (Linux 6.5+); skipped where it or dirty accounting is missing.
     */
    @Test
    void aRealFileGetsItsWritebackStarted(@TempDir Path dir) throws Throwable {
        assumeTrue(!"tmpfs".equals(Files.getFileStore(dir).type()), "tmpfs pages have no writeback");
        int pages = 2 * PER_KICK * BULK / 4096;
        Path plain = dir.resolve("plain.img");
        writeBulk(plain, null);
        long dirtyWithout = dirtyPages(plain);
        assumeTrue(dirtyWithout >= pages * 3L / 4, "dirty pages are counted and not yet written back");

        Path behind = Files.createFile(dir.resolve("behind.img"));
        WriteBehind wb = WriteBehind.open(behind, Runnable::run); // kicks at once, on the writing thread
        assertThat(wb).isNotNull();
        writeBulk(behind, wb);
        long dirtyWith = dirtyPages(behind);
        wb.close();
        assertThat(dirtyWith).as("dirty pages left with write-behind, of %d (%d without)", pages, dirtyWithout)
                .isLessThan(pages / 4);
        assertThat(Files.readAllBytes(behind)).containsOnly((byte) 0x5a);
    }

    /** 2 x KICK_BYTES of bulk writes to file (created if missing), each reported to wb (if any) after it completed. */
    private static void writeBulk(Path file, WriteBehind wb) throws Exception {
        byte[] chunk = new byte[BULK];
        java.util.Arrays.fill(chunk, (byte) 0x5a);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 2 * PER_KICK; i++) {
                ch.write(ByteBuffer.wrap(chunk), (long) i * BULK);
                if (wb != null) {
                    wb.wrote((long) i * BULK, BULK);
                }
            }
        }
    }

    /** The file's pages the page cache holds dirty (cachestat(2): syscall 451 on x86_64); skips the test if none. */
    private static long dirtyPages(Path file) throws Throwable {
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "cachestat's number is x86_64's");
        Linker linker = Linker.nativeLinker();
        MethodHandle syscall = linker.downcallHandle(linker.defaultLookup().find("syscall").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                Linker.Option.firstVariadicArg(1));
        MethodHandle open = linker.downcallHandle(linker.defaultLookup().find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle close = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) open.invokeExact(arena.allocateFrom(file.toString()), 0); // O_RDONLY
            assertThat(fd).isNotNegative();
            MemorySegment range = arena.allocate(16); // struct cachestat_range { off, len }: len 0 = to the end
            MemorySegment stat = arena.allocate(40);  // struct cachestat { nr_cache, nr_dirty, ... }
            long rc = (long) syscall.invokeExact(451L, fd, range, stat, 0);
            int closed = (int) close.invokeExact(fd);
            assumeTrue(rc == 0, "cachestat(2) is available");
            return stat.get(ValueLayout.JAVA_LONG, 8);
        }
    }
}
