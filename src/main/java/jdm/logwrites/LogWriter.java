package jdm.logwrites;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Lays records out in a log as dm-log-writes' log thread does (log_writes_kthread, log_one_block, log_super): each
 * record at the next free log sector (the first one right after the super), its data right behind its entry, the
 * super rewritten after every FUA and every mark. When a record would reach the end of the log device the writer
 * stops logging for good ("Ran out of space on the logdev"), as the kernel does. One log thread calls it; the
 * counters may be read from any thread.
 */
public final class LogWriter {
    /** Where the bytes go: a file, or the log device through bios. */
    @FunctionalInterface
    public interface Sink {
        /** Writes all of {@code data}'s remaining bytes at {@code byteOffset} of the log device. */
        void write(long byteOffset, ByteBuffer data) throws IOException;
    }

    private final Sink sink;
    private final int sectorSize;
    private final long endSector;
    private final ByteBuffer meta;
    private volatile long loggedEntries;
    /** The next free log position in 512-byte sectors, as the kernel's next_sector. */
    private volatile long nextSector;
    private volatile boolean enabled = true;

    /**
     * @param sectorSize the data device's logical block size (the log's sectorsize)
     * @param logSectors the log device's size in 512-byte sectors
     */
    public LogWriter(Sink sink, int sectorSize, long logSectors) {
        this.sink = sink;
        this.sectorSize = sectorSize;
        this.endSector = logSectors;
        this.meta = ByteBuffer.allocate(sectorSize);
        this.nextSector = sectorSize >> 9;
    }

    public long loggedEntries() {
        return loggedEntries;
    }

    /** The kernel's next_sector (512-byte units): status prints it minus one as the highest allocated sector. */
    public long nextSector() {
        return nextSector;
    }

    /** False once the log ran out of space or a log write failed; nothing is logged after that. */
    public boolean enabled() {
        return enabled;
    }

    /** Stops logging for good (a failed log write does this in the kernel). */
    public void disable() {
        enabled = false;
    }

    /**
     * Logs one record: a write (data non-null, {@code nrSectors * sectorSize} bytes), a discard, a flush (0 sectors)
     * or a mark (use {@link #mark}). Returns false when logging is (or now becomes) disabled.
     *
     * @param sector    data device sector in sectorsize units
     * @param nrSectors length in sectorsize units
     */
    public boolean append(long sector, long nrSectors, int flags, ByteBuffer data) throws IOException {
        return append(sector, nrSectors, flags, data, null);
    }

    /** Logs a mark; its text is cut to {@link LogFormat#maxMarkBytes} bytes as the kernel's kstrndup does. */
    public boolean mark(String label) throws IOException {
        byte[] text = label.getBytes(StandardCharsets.UTF_8);
        int max = LogFormat.maxMarkBytes(sectorSize);
        if (text.length > max) {
            byte[] cut = new byte[max];
            System.arraycopy(text, 0, cut, 0, max);
            text = cut;
        }
        return append(0, 0, LogFormat.MARK, null, text);
    }

    private boolean append(long sector, long nrSectors, int flags, ByteBuffer data, byte[] markText)
            throws IOException {
        if (!enabled) {
            return false;
        }
        long at = nextSector;
        long perSector = sectorSize >> 9;
        if ((flags & LogFormat.DISCARD) == 0) {
            nextSector += nrSectors * perSector;
        }
        nextSector += perSector;
        if (endSector != 0 && nextSector >= endSector) {
            enabled = false; // the kernel: DMERR("Ran out of space on the logdev")
            return false;
        }
        loggedEntries++;
        long dataLen = markText != null ? markText.length : 0;
        Arrays.fill(meta.clear().array(), (byte) 0);
        LogFormat.putEntry(meta, sector, nrSectors, flags, dataLen);
        if (markText != null) {
            meta.put(LogFormat.ENTRY_BYTES, markText);
        }
        sink.write(at << 9, meta);
        if (data != null && data.hasRemaining()) {
            sink.write((at + perSector) << 9, data.duplicate());
        }
        if ((flags & (LogFormat.FUA | LogFormat.MARK)) != 0) {
            writeSuper();
        }
        return true;
    }

    /** Writes the super with the entries logged so far. */
    public void writeSuper() throws IOException {
        Arrays.fill(meta.clear().array(), (byte) 0);
        LogFormat.putSuper(meta, loggedEntries, sectorSize);
        sink.write(0, meta);
    }
}
