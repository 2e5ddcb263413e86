package jdm.logwrites;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Reads a dm-log-writes log (a file or a block device holding one): checks its super, then yields its
 * {@code nr_entries} records in order (what xfstests' replay-log walks). Opening fails with an {@link IOException}
 * that names what is wrong with the super (magic, version, sectorsize). Not thread-safe.
 */
public final class LogReader implements Closeable, Iterable<LogEntry> {
    private final Path path;
    private final FileChannel log;
    private final LogFormat.Super sup;

    private LogReader(Path path, FileChannel log, LogFormat.Super sup) {
        this.path = path;
        this.log = log;
        this.sup = sup;
    }

    public static LogReader open(Path logFile) throws IOException {
        FileChannel ch = FileChannel.open(logFile, StandardOpenOption.READ);
        try {
            ByteBuffer b = ByteBuffer.allocate(LogFormat.SUPER_BYTES);
            readFully(ch, b, 0, logFile);
            LogFormat.Super s = LogFormat.getSuper(b.flip());
            check(s, logFile);
            return new LogReader(logFile, ch, s);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void check(LogFormat.Super s, Path p) throws IOException {
        if (s.magic() != LogFormat.MAGIC) {
            throw new IOException(p + ": not a dm-log-writes log: super magic is 0x" + Long.toHexString(s.magic())
                    + ", expected 0x" + Long.toHexString(LogFormat.MAGIC));
        }
        if (s.version() != LogFormat.VERSION) {
            throw new IOException(p + ": unsupported dm-log-writes log version " + Long.toUnsignedString(
                    s.version()) + ", expected " + LogFormat.VERSION);
        }
        int ss = s.sectorSize();
        if (ss < 512 || Integer.bitCount(ss) != 1 || ss > 65536) {
            throw new IOException(p + ": bad sectorsize " + Integer.toUnsignedString(ss)
                    + " in the log super (a power of two from 512 to 65536)");
        }
        if (s.nrEntries() < 0) {
            throw new IOException(p + ": bad nr_entries " + Long.toUnsignedString(s.nrEntries())
                    + " in the log super");
        }
    }

    /** The number of records the super announces. */
    public long entries() {
        return sup.nrEntries();
    }

    public int sectorSize() {
        return sup.sectorSize();
    }

    public LogFormat.Super superBlock() {
        return sup;
    }

    /** The records in order, read lazily; each call starts again at the first. */
    @Override
    public Iterator<LogEntry> iterator() {
        return new Iterator<>() {
            private long index;
            private long offset = sup.sectorSize();
            private final ByteBuffer sector = ByteBuffer.allocate(sup.sectorSize()).order(ByteOrder.LITTLE_ENDIAN);

            @Override
            public boolean hasNext() {
                return index < sup.nrEntries();
            }

            @Override
            public LogEntry next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                try {
                    LogEntry e = readEntry(index, offset, sector);
                    index++;
                    offset = e.nextOffset();
                    return e;
                } catch (IOException ex) {
                    throw new LogException(ex);
                }
            }
        };
    }

    private LogEntry readEntry(long index, long offset, ByteBuffer sector) throws IOException {
        sector.clear();
        readFully(log, sector, offset, path);
        sector.flip();
        long dataSector = sector.getLong();
        long nrSectors = sector.getLong();
        long flags = sector.getLong();
        long dataLen = sector.getLong();
        if (nrSectors < 0 || dataSector < 0 || flags < 0 || flags > 31) {
            throw new IOException(path + ": entry " + index + " at byte " + offset + " is corrupt: sector "
                    + Long.toUnsignedString(dataSector) + ", nr_sectors " + Long.toUnsignedString(nrSectors)
                    + ", flags " + Long.toUnsignedString(flags));
        }
        String mark = null;
        if ((flags & LogFormat.MARK) != 0) {
            int len = (int) Math.min(Math.max(dataLen, 0), sup.sectorSize() - LogFormat.ENTRY_BYTES);
            byte[] text = new byte[len];
            sector.get(LogFormat.ENTRY_BYTES, text);
            mark = new String(text, StandardCharsets.UTF_8);
        }
        return new LogEntry(index, dataSector, nrSectors, (int) flags, mark, offset + sup.sectorSize(),
                sup.sectorSize());
    }

    /**
     * Reads a write record's data into {@code into} (from its position; it must have room for
     * {@link LogEntry#byteLength()} bytes), which it advances.
     */
    public void readData(LogEntry e, ByteBuffer into) throws IOException {
        if (!e.hasData()) {
            throw new IllegalArgumentException("entry " + e.index() + " carries no data");
        }
        ByteBuffer part = into.slice(into.position(), Math.toIntExact(e.byteLength()));
        readFully(log, part, e.dataOffset(), path);
        into.position(into.position() + part.capacity());
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long offset, Path p) throws IOException {
        long pos = offset;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) {
                throw new EOFException(p + ": log ends at byte " + pos + " (wanted " + b.remaining()
                        + " more bytes from " + offset + ")");
            }
            pos += n;
        }
    }

    @Override
    public void close() throws IOException {
        log.close();
    }

    /** An {@link IOException} met while iterating, unchecked because {@link Iterator#next()} cannot throw it. */
    public static final class LogException extends RuntimeException {
        LogException(IOException cause) {
            super(cause.getMessage(), cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }
}
