package jdm.block.dev;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * fallocate(2) through FFM, for hole punching (discard) and zeroing ranges of backing files: the JDK's FileChannel
 * has neither. The descriptor is a second one opened on the same file, since FileChannel does not expose its own;
 * writes by reference splice into it too ({@link FileDevice#writeRegion}).
 */
final class Fallocate implements AutoCloseable {
    static final int KEEP_SIZE = 0x01;
    static final int PUNCH_HOLE = 0x02;
    static final int ZERO_RANGE = 0x10;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int EINTR = 4;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
    private static final MethodHandle FALLOCATE = downcall("fallocate",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment fn = LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError(name));
        return LINKER.downcallHandle(fn, fd, options);
    }

    private final int fd;

    private Fallocate(int fd) {
        this.fd = fd;
    }

    /** Opens a descriptor for fallocate on path, or returns null where the file cannot be opened read-write. */
    static Fallocate open(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path.toString()), O_RDWR | O_CLOEXEC, 0);
            return fd < 0 ? null : new Fallocate(fd);
        } catch (Throwable t) {
            return null;
        }
    }

    /** The read-write descriptor, open until {@link #close}. */
    int fd() {
        return fd;
    }

    /**
     * Runs fallocate(mode, offset, length). Returns 0, or the errno when the file system does not support the mode
     * (EOPNOTSUPP and the like), so callers can fall back; throws for real I/O errors.
     */
    int apply(int mode, long offset, long length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            while (true) {
                int rc = (int) FALLOCATE.invokeExact(state, fd, mode, offset, length);
                if (rc == 0) {
                    return 0;
                }
                int errno = (int) ERRNO.get(state, 0L);
                switch (errno) {
                    case EINTR -> { }
                    case 95, 38, 22 -> { return errno; } // EOPNOTSUPP, ENOSYS, EINVAL: mode not supported here
                    default -> throw new ErrnoException(errno, "fallocate");
                }
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("fallocate: " + t, t);
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
