package jdm.block;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Where a device range's bytes are, for I/O by reference instead of through a buffer of its own. For reads
 * ({@link BlockDevice#readRegion}):
 * a range of one file (a server sends it from the page cache with sendfile: no copy in the server at all into a
 * Unix socket on Linux 6.5+, which takes page references), or memory the device holds (sent with one gathering
 * write). Every device the range passed through holds it as I/O in flight (a mapped device's suspend waits for
 * it) until {@link #close}. The bytes are read when they are sent: like any read racing a write to the same range,
 * a reply may carry either version. For writes ({@link BlockDevice#writeRegion}): the memory the bytes go to, or the
 * stretch of a file they go to (with a descriptor the caller may splice(2) into), filled by the caller (from the
 * socket) before it closes the region.
 */
public final class DataRegion implements AutoCloseable {
    private final FileChannel file;
    private final int fd;
    private final long position;
    private final ByteBuffer[] buffers;
    private final long length;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DataRegion(FileChannel file, int fd, long position, ByteBuffer[] buffers, long length, Runnable release) {
        this.file = file;
        this.fd = fd;
        this.position = position;
        this.buffers = buffers;
        this.length = length;
        this.release = release;
    }

    /** length bytes of the file from position. */
    public static DataRegion ofFile(FileChannel file, long position, long length) {
        return ofFile(file, -1, position, length);
    }

    /** length bytes of the file from position, which fd (a descriptor of the same file, or -1) also reaches. */
    public static DataRegion ofFile(FileChannel file, int fd, long position, long length) {
        return new DataRegion(file, fd, position, null, length, null);
    }

    /** The buffers' remaining bytes, in order: read once by a reader, filled once by a writer. */
    public static DataRegion ofMemory(ByteBuffer... buffers) {
        long length = 0;
        for (ByteBuffer b : buffers) {
            length += b.remaining();
        }
        return new DataRegion(null, -1, 0, buffers, length, null);
    }

    /** The file, or null for memory. */
    public FileChannel file() {
        return file;
    }

    /** A descriptor of the file (for system calls the channel lacks, such as splice), or -1. */
    public int fd() {
        return fd;
    }

    /** Byte position in the file. */
    public long position() {
        return position;
    }

    /** The memory, or null for a file. */
    public ByteBuffer[] buffers() {
        return buffers;
    }

    public long length() {
        return length;
    }

    /** The same region held by one more device: closing it closes this one, then runs release. */
    public DataRegion heldBy(Runnable release) {
        return new DataRegion(file, fd, position, buffers, length, () -> {
            close();
            release.run();
        });
    }

    /** Releases the region (once; later calls do nothing). */
    @Override
    public void close() {
        if (release != null && closed.compareAndSet(false, true)) {
            release.run();
        }
    }
}
