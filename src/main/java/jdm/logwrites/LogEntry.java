package jdm.logwrites;

/**
 * One record of a log, in log order.
 *
 * @param index      its number, from 0 (replay-log's entry number)
 * @param sector     the data device sector it wrote or discarded, in the log's sectorsize units
 * @param nrSectors  how many of them (0 for a flush or a mark)
 * @param flags      {@link LogFormat#FLUSH}, {@link LogFormat#FUA}, {@link LogFormat#DISCARD}, {@link LogFormat#MARK},
 *                   {@link LogFormat#METADATA}
 * @param label      the mark's text, or null when it is not a mark (named so because {@link #mark()} says whether
 *                   the record is a mark)
 * @param dataOffset byte offset in the log where the written data starts (right after the entry's sector); data of
 *                   {@code nrSectors * sectorSize} bytes is there only for writes (not discards, flushes or marks)
 * @param sectorSize the log's sectorsize in bytes
 */
public record LogEntry(long index, long sector, long nrSectors, int flags, String label, long dataOffset,
        int sectorSize) {
    public boolean flush() {
        return (flags & LogFormat.FLUSH) != 0;
    }

    public boolean fua() {
        return (flags & LogFormat.FUA) != 0;
    }

    public boolean discard() {
        return (flags & LogFormat.DISCARD) != 0;
    }

    public boolean mark() {
        return (flags & LogFormat.MARK) != 0;
    }

    public boolean metadata() {
        return (flags & LogFormat.METADATA) != 0;
    }

    /** True when the record carries data to write (a write, as opposed to a discard, flush or mark). */
    public boolean hasData() {
        return !discard() && !mark() && nrSectors > 0;
    }

    /** The data device byte offset the record applies to. */
    public long byteOffset() {
        return sector * sectorSize;
    }

    /** The bytes the record covers on the data device. */
    public long byteLength() {
        return nrSectors * sectorSize;
    }

    /** Where the next record starts in the log, in bytes. */
    public long nextOffset() {
        return dataOffset + (hasData() ? byteLength() : 0);
    }

    /** One line as {@code replay-log -v} prints an entry: number, sector, length, flags. */
    public String describe() {
        return "replaying " + index + "@" + (dataOffset / sectorSize - 1) + ": sector " + sector + ", size "
                + byteLength() + ", flags " + flags + "(" + LogFormat.flagNames(flags) + ")"
                + (label != null ? ", mark " + label : "");
    }
}
