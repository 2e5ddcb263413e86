package jdm.block.dev;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Starts the disk writing a file's dirty pages while a bulk write goes on (sync_file_range(2) with
 * SYNC_FILE_RANGE_WRITE: submit, do not wait), so that the FLUSH at the end finds little left to write. The kernel
 * itself starts background writeback only past dirty_background_ratio (gigabytes on a large machine) or after 30 s,
 * so a copy of a few GiB otherwise leaves the disk idle while the data arrives and then writes it all inside the
 * client's FLUSH: copy time plus disk time, where overlapping them costs about the longer of the two. Only large
 * writes count (streaming copies), so random small writes keep the page cache's usual coalescing. Durability does
 * not depend on this: FLUSH and FUA still fdatasync.
 *
 * <p>Every {@link #KICK_BYTES} of bulk writes, the range they covered is handed to one shared write-behind thread,
 * which submits its writeback: submission can block while the disk's queue is full, and a request that happened to
 * cross the line should not wait for that (measured, 1 GiB nbdcopy --flush over two connections: kicks of the
 * written range every 2 MiB off the request path took ~1.05-1.1 s where whole-file kicks every 8 MiB on the
 * request path took ~1.25 s, and no write-behind ~1.7 s).
 */
final class WriteBehind implements AutoCloseable {
    /** Writes at least this large are a bulk transfer's. */
    static final int MIN_WRITE = 64 << 10;
    /** Bulk bytes written between two kicks: small enough that the disk starts at once and never runs dry. */
    static final long KICK_BYTES = 2L << 20;
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
    /** The one thread that submits writeback for every file (kicks are a head start: they may wait their turn). */
    private static final ExecutorService KICKER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "jdm-write-behind");
        t.setDaemon(true);
        return t;
    });

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment fn = LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError(name));
        return LINKER.downcallHandle(fn, fd, options);
    }

    /** What a kick does: starts writeback of a byte range of the file (sync_file_range, or a test's recorder). */
    interface Writeback {
        void start(long offset, long length);
    }

    private final Writeback writeback;
    private final Executor kicker;
    private final Runnable release;
    /** The range the bulk writes since the last kick covered, [lo, hi), and their bytes. Guarded by this. */
    private long lo = Long.MAX_VALUE;
    private long hi;
    private long pending;
    /** A kick is queued or running. Guarded by this. */
    private boolean kicking;
    private boolean closed;

    /** Kicks go to writeback on the kicker's thread; release runs once at close, after the last kick. */
    WriteBehind(Writeback writeback, Executor kicker, Runnable release) {
        this.writeback = writeback;
        this.kicker = kicker;
        this.release = release;
    }

    /** A descriptor of its own on path (writeback is per file, any descriptor starts it), or null if none opens. */
    static WriteBehind open(Path path) {
        return open(path, KICKER);
    }

    /** As {@link #open(Path)}, with kicks run by the given executor (a test's, to run them at once). */
    static WriteBehind open(Path path, Executor kicker) {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = (int) OPEN.invokeExact(arena.allocateFrom(path.toString()), O_RDONLY | O_CLOEXEC, 0);
        } catch (Throwable t) {
            return null;
        }
        return fd < 0 ? null : new WriteBehind((off, len) -> syncFileRange(fd, off, len), kicker, () -> close(fd));
    }

    /**
     * Notes a completed write of n bytes at file position pos; once the bulk writes since the last kick reach
     * {@link #KICK_BYTES}, hands the range they covered to the kicker (unless a kick is still under way: the next
     * one then takes the range along).
     */
    void wrote(long pos, int n) {
        if (n < MIN_WRITE) {
            return;
        }
        synchronized (this) {
            lo = Math.min(lo, pos);
            hi = Math.max(hi, pos + n);
            pending += n;
            if (pending < KICK_BYTES || kicking || closed) {
                return;
            }
            kicking = true;
        }
        try {
            kicker.execute(this::kick);
        } catch (RuntimeException e) { // no thread to kick on (shutting down): no head start, nothing lost
            synchronized (this) {
                kicking = false;
                notifyAll();
            }
        }
    }

    /** On the kicker: starts writeback of the pending range, again while enough piled up meanwhile. */
    private void kick() {
        while (true) {
            long from;
            long to;
            synchronized (this) {
                if (closed || pending < KICK_BYTES) {
                    kicking = false;
                    notifyAll();
                    return;
                }
                from = lo;
                to = hi;
                lo = Long.MAX_VALUE;
                hi = 0;
                pending = 0;
            }
            try {
                writeback.start(from, to - from);
            } catch (RuntimeException e) {
                // only a head start lost: FLUSH reports real errors
            }
        }
    }

    private static void syncFileRange(int fd, long offset, long length) {
        try {
            int rc = (int) SYNC_FILE_RANGE.invokeExact(fd, offset, length, SYNC_FILE_RANGE_WRITE);
            assert rc == 0 || rc == -1; // a failure only means no head start: FLUSH reports real errors
        } catch (Throwable ignored) {
            // as above
        }
    }

    private static void close(int fd) {
        try {
            int rc = (int) CLOSE.invokeExact(fd);
            assert rc == 0;
        } catch (Throwable ignored) {
            // nothing to recover: the descriptor is gone either way
        }
    }

    /** Stops kicking: waits for a kick under way (it may be using the descriptor), then releases. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            boolean interrupted = false;
            while (kicking) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        release.run();
    }
}
