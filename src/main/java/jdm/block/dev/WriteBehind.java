package jdm.block.dev;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts the disk writing a file's dirty pages while a bulk write goes on (sync_file_range(2) with
 * SYNC_FILE_RANGE_WRITE: submit, do not wait), so that the FLUSH at the end finds little left to write. The kernel
 * itself starts background writeback only past dirty_background_ratio (gigabytes on a large machine) or after 30 s,
 * so a copy of a few GiB otherwise leaves the disk idle while the data arrives and then writes it all inside the
 * client's FLUSH: copy time plus disk time, where overlapping them costs about the longer of the two. Only large
 * writes count (streaming copies), so random small writes keep the page cache's usual coalescing. Durability does
 * not depend on this: FLUSH and FUA still fdatasync.
 */
final class WriteBehind implements AutoCloseable {
    /** Writes at least this large are a bulk transfer's. */
    static final int MIN_WRITE = 64 << 10;
    /** Bulk bytes written between two kicks: large enough that the disk gets long runs to write. */
    static final long KICK_BYTES = 8L << 20;
    private static final int SYNC_FILE_RANGE_WRITE = 2;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SYNC_FILE_RANGE = downcall("sync_file_range",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private static MethodHandle downcall(String name, FunctionDescriptor fd) {
        return downcall(name, fd, new Linker.Option[0]);
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment fn = LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError(name));
        return LINKER.downcallHandle(fn, fd, options);
    }

    private final int fd;
    private final AtomicLong pending = new AtomicLong();
    private final AtomicBoolean kicking = new AtomicBoolean();

    private WriteBehind(int fd) {
        this.fd = fd;
    }

    /** A descriptor of its own on path (writeback is per file, any descriptor starts it), or null if none opens. */
    static WriteBehind open(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(path.toString()), O_RDONLY | O_CLOEXEC, 0);
            return fd < 0 ? null : new WriteBehind(fd);
        } catch (Throwable t) {
            return null;
        }
    }

    /**
     * Notes a completed write of n bytes; every {@link #KICK_BYTES} of bulk writes, starts writeback of the whole
     * file's dirty pages (those already being written are skipped, nothing waits). One thread kicks at a time.
     */
    void wrote(int n) {
        if (n < MIN_WRITE || pending.addAndGet(n) < KICK_BYTES || !kicking.compareAndSet(false, true)) {
            return;
        }
        try {
            pending.set(0);
            int rc = (int) SYNC_FILE_RANGE.invokeExact(fd, 0L, 0L, SYNC_FILE_RANGE_WRITE);
            assert rc == 0 || rc == -1; // a failure only means no head start: FLUSH reports real errors
        } catch (Throwable ignored) {
            // as above
        } finally {
            kicking.set(false);
        }
    }

    @Override
    public void close() {
        try {
            int rc = (int) CLOSE.invokeExact(fd);
            assert rc == 0;
        } catch (Throwable ignored) {
            // nothing to recover: the descriptor is gone either way
        }
    }
}
