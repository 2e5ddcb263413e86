package jdm.block.dev;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.DataRegion;
import jdm.block.Errno;
import jdm.block.ExtentSink;

/**
 * A backing file as a block device, like the kernel's loop driver: positional FileChannel I/O (no shared position,
 * no lock), FLUSH and FUA as fdatasync, DISCARD as a punched hole, WRITE_ZEROES as a punched hole or, with NOUNMAP,
 * a zeroed range; where the file system lacks those, zeros are written. Small reads and writes of pages the page
 * cache holds are memory copies through a mapping of the file ({@link FileMapping}). Bios complete in the
 * submitting thread. The size is the file's at open, rounded down to whole sectors.
 */
public final class FileDevice implements BlockDevice {
    private static final int ZERO_CHUNK = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ZERO_CHUNK).asReadOnlyBuffer();

    private final Path path;
    private final FileChannel channel;
    private final Fallocate fallocate;
    private final long sizeSectors;
    private final boolean readOnly;
    private final SeekData seekData;
    /** Null when read-only or when no descriptor opens for it. */
    private final WriteBehind writeBehind;
    /** Null where the file cannot be mapped: every request is a system call then. */
    private final FileMapping mapping;

    private FileDevice(Path path, FileChannel channel, Fallocate fallocate, long sizeSectors, boolean readOnly) {
        this.seekData = SeekData.open(path);
        this.writeBehind = readOnly ? null : WriteBehind.open(path);
        this.path = path;
        this.channel = channel;
        this.fallocate = fallocate;
        this.sizeSectors = sizeSectors;
        this.readOnly = readOnly;
        this.mapping = FileMapping.open(channel, sizeSectors << Bio.SECTOR_SHIFT, readOnly);
    }

    /** Opens an existing file; read-only opens it for reading only and fails every write with EPERM. */
    public static FileDevice open(Path path, boolean readOnly) throws IOException {
        FileChannel ch = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long size = ch.size() >>> Bio.SECTOR_SHIFT;
            return new FileDevice(path, ch, readOnly ? null : Fallocate.open(path), size, readOnly);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The file's mapping for small copies, or null (for tests). */
    FileMapping mapping() {
        return mapping;
    }

    @Override
    public String name() {
        return path.toString();
    }

    @Override
    public long sizeSectors() {
        return sizeSectors;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public void submitBio(Bio bio) {
        BlkStatus s;
        try {
            s = execute(bio, true);
        } catch (IOException e) {
            s = statusOf(e);
        } catch (InternalError e) {
            // A copy through the mapping faulted and the JVM said so late: compiled code raises the InternalError
            // inside FileMapping's copy, the interpreter at a later return, outside its catch. Reads and writes
            // are idempotent: the same I/O again by system call, which reports the real error.
            s = executeBySystemCall(bio);
        }
        bio.endio(s);
    }

    /** Every range is one stretch of the file: reads may go from its page cache to a socket by reference. */
    @Override
    public DataRegion readRegion(long sector, int sectors) {
        return DataRegion.ofFile(channel, sector << Bio.SECTOR_SHIFT, (long) sectors << Bio.SECTOR_SHIFT);
    }

    /**
     * A large write's range, for a server that moves the payload from its socket into the file itself (splice(2)
     * through a pipe: the bytes go from the socket's buffers into the page cache, where read and pwrite copy them
     * twice). Its close does what a WRITE bio's end does here (the write-behind's count, the mapping's bookkeeping).
     * Null when read-only or without the second descriptor.
     */
    @Override
    public DataRegion writeRegion(long sector, int sectors) {
        if (readOnly || fallocate == null) {
            return null;
        }
        long pos = sector << Bio.SECTOR_SHIFT;
        long len = (long) sectors << Bio.SECTOR_SHIFT;
        return DataRegion.ofFile(channel, fallocate.fd(), pos, len).heldBy(() -> {
            if (mapping != null) {
                mapping.resident(pos, len);
            }
            if (writeBehind != null) {
                writeBehind.wrote(pos, (int) len);
            }
        });
    }

    /**
     * The status a failed file operation ends a bio with, decided here only: by the errno when we have it (our own
     * system calls), else by the exception's type, else by the errno whose strerror the JDK made the message
     * (FileChannel reports ENOSPC, EIO, EDQUOT... that way). ENOSPC and EDQUOT become NOSPC, EIO stays IOERR.
     */
    static BlkStatus statusOf(IOException e) {
        int errno;
        if (e instanceof ErrnoException ee) {
            errno = ee.errno();
        } else if (e instanceof ClosedChannelException) {
            return BlkStatus.OFFLINE;
        } else if (e instanceof AccessDeniedException) {
            return BlkStatus.PERM;
        } else {
            errno = Errno.ofStrerror(e.getMessage());
        }
        return switch (errno) {
            case Errno.EDQUOT, Errno.EFBIG -> BlkStatus.NOSPC;
            case -1 -> BlkStatus.IOERR;
            default -> BlkStatus.ofErrno(errno);
        };
    }

    private BlkStatus executeBySystemCall(Bio bio) {
        try {
            return execute(bio, false);
        } catch (IOException e) {
            return statusOf(e);
        }
    }

    /** Does the bio's I/O; byCopy: small I/O of cached pages may go through the mapping. */
    private BlkStatus execute(Bio bio, boolean byCopy) throws IOException {
        if (bio.op().isWrite() && readOnly) {
            return BlkStatus.PERM;
        }
        long pos = bio.sector() << Bio.SECTOR_SHIFT;
        long len = (long) bio.sectors() << Bio.SECTOR_SHIFT;
        switch (bio.op()) {
            case READ -> read(bio.data().duplicate(), pos, byCopy);
            case WRITE -> {
                write(bio.data().duplicate(), pos, byCopy);
                if (writeBehind != null) {
                    writeBehind.wrote(pos, (int) len);
                }
            }
            case FLUSH -> channel.force(false);
            case DISCARD -> {
                // Discard is advisory: where holes cannot be punched the old data simply stays.
                if (fallocate != null) {
                    dropped(pos, len);
                    fallocate.apply(Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, pos, len);
                }
            }
            case WRITE_ZEROES -> {
                if (!writeZeroes(pos, len, (bio.flags() & Bio.NOUNMAP) != 0, (bio.flags() & Bio.NOFALLBACK) != 0)) {
                    return BlkStatus.NOTSUPP;
                }
            }
        }
        if (bio.fua() && bio.op().isWrite()) {
            channel.force(false);
        }
        return BlkStatus.OK;
    }

    private void read(ByteBuffer buf, long pos, boolean byCopy) throws IOException {
        if (mapping != null) {
            if (byCopy && mapping.read(buf, pos)) {
                return;
            }
            mapping.resident(pos, readFile(buf, pos));
        } else {
            readFile(buf, pos);
        }
    }

    /** Reads buf's remaining bytes by system call; returns how many came from the file (the rest read as zeros). */
    private long readFile(ByteBuffer buf, long pos) throws IOException {
        long start = pos;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, pos);
            if (n < 0) { // past the end of a file that shrank under us: reads as zeros, like a hole
                while (buf.hasRemaining()) {
                    buf.put((byte) 0);
                }
                break;
            }
            pos += n;
        }
        return pos - start;
    }

    private void write(ByteBuffer buf, long pos, boolean byCopy) throws IOException {
        if (byCopy && mapping != null && mapping.write(buf, pos)) {
            return;
        }
        long start = pos;
        while (buf.hasRemaining()) {
            pos += channel.write(buf, pos);
        }
        if (mapping != null) {
            mapping.resident(start, pos - start);
        }
    }

    /** A hole is about to be punched in [pos, pos + len): its pages go back to system calls (see FileMapping). */
    private void dropped(long pos, long len) {
        if (mapping != null) {
            mapping.dropped(pos, len);
        }
    }

    /** Zeroes by fallocate, else by writing zeros unless noFallback; false if that left the range as it was. */
    private boolean writeZeroes(long pos, long len, boolean noUnmap, boolean noFallback) throws IOException {
        if (fallocate != null) {
            int mode = (noUnmap ? Fallocate.ZERO_RANGE : Fallocate.PUNCH_HOLE) | Fallocate.KEEP_SIZE;
            dropped(pos, len);
            if (fallocate.apply(mode, pos, len) == 0) {
                return true;
            }
        }
        if (noFallback) {
            return false;
        }
        for (long done = 0; done < len; ) {
            int n = (int) Math.min(ZERO_CHUNK, len - done);
            write(ZEROS.duplicate().limit(n), pos + done, false);
            done += n;
        }
        return true;
    }

    /** Holes from SEEK_DATA/SEEK_HOLE (reading as zeros); data boundaries widen to whole sectors. */
    @Override
    public boolean extents(long sector, long sectors, ExtentSink sink) {
        long end = sector + sectors;
        if (seekData == null) {
            return BlockDevice.super.extents(sector, sectors, sink);
        }
        long fileEnd = sizeSectors << Bio.SECTOR_SHIFT;
        long s = sector;
        while (s < end) {
            long data = seekData.nextData(s << Bio.SECTOR_SHIFT);
            long dataSector = data == SeekData.NO_MORE_DATA ? end : Math.min(end, data >>> Bio.SECTOR_SHIFT);
            if (dataSector > s) {
                if (!sink.extent(dataSector - s, ExtentSink.HOLE | ExtentSink.ZERO)) {
                    return false;
                }
                s = dataSector;
                continue;
            }
            long hole = seekData.nextHole(s << Bio.SECTOR_SHIFT, fileEnd);
            long holeSector = Math.min(end, Math.max(s + 1, (hole + Bio.SECTOR_SIZE - 1) >>> Bio.SECTOR_SHIFT));
            if (!sink.extent(holeSector - s, 0)) {
                return false;
            }
            s = holeSector;
        }
        return true;
    }

    @Override
    public void close() {
        if (mapping != null) {
            mapping.close();
        }
        if (seekData != null) {
            seekData.close();
        }
        if (writeBehind != null) {
            writeBehind.close();
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a file we only read or wrote through positional calls loses nothing
        }
        if (fallocate != null) {
            fallocate.close();
        }
    }

    @Override
    public String toString() {
        return "FileDevice[" + path + ", " + sizeSectors + " sectors" + (readOnly ? ", ro" : "") + "]";
    }
}
