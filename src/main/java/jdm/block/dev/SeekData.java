package jdm.block.dev;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * lseek(2) with SEEK_DATA and SEEK_HOLE through FFM, to find a sparse file's holes (FileChannel cannot). Uses a
 * descriptor of its own, opened read-only on the file: lseek moves that descriptor's offset, which no one uses, so
 * concurrent queries need no lock (each gets its own answer as the return value).
 */
final class SeekData implements AutoCloseable {
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int ENXIO = 6;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle LSEEK = downcall("lseek",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment fn = LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError(name));
        return LINKER.downcallHandle(fn, fd, options);
    }

    /** lseek's answer when there is no data from the offset to the end of the file. */
    static final long NO_MORE_DATA = -1;

    private final int fd;

    private SeekData(int fd) {
        this.fd = fd;
    }

    /** Opens a descriptor on path, or returns null when it cannot be opened (callers then report all data). */
    static SeekData open(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(path.toString()), O_RDONLY | O_CLOEXEC, 0);
            return fd < 0 ? null : new SeekData(fd);
        } catch (Throwable t) {
            return null;
        }
    }

    /** The first data byte at or after pos, {@link #NO_MORE_DATA} if none; pos itself when the call fails. */
    long nextData(long pos) {
        return seek(pos, SEEK_DATA);
    }

    /** The first hole byte at or after pos (end of file counts as a hole); the file's end when the call fails. */
    long nextHole(long pos, long end) {
        long r = seek(pos, SEEK_HOLE);
        return r == NO_MORE_DATA ? end : r;
    }

    private long seek(long pos, int whence) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            long r = (long) LSEEK.invokeExact(state, fd, pos, whence);
            if (r >= 0) {
                return r;
            }
            // ENXIO: nothing of the asked kind after pos. Any other failure: claim data, which is always safe.
            return (int) ERRNO.get(state, 0L) == ENXIO ? NO_MORE_DATA : (whence == SEEK_DATA ? pos : NO_MORE_DATA);
        } catch (Throwable t) {
            return whence == SEEK_DATA ? pos : NO_MORE_DATA;
        }
    }

    @Override
    public void close() {
        try {
            int rc = (int) CLOSE.invokeExact(fd);
            assert rc == 0;
        } catch (Throwable ignored) {
            // the descriptor is gone either way
        }
    }
}
