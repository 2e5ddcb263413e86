package jdm.logwrites;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The on-disk layout of a dm-log-writes log (drivers/md/dm-log-writes.c, Documentation/admin-guide/device-mapper/
 * log-writes.rst), little-endian throughout.
 *
 * <pre>
 * sector 0:          struct log_write_super { le64 magic; le64 version; le64 nr_entries; le32 sectorsize; }
 * then per record:   one log sector holding struct log_write_entry { le64 sector; le64 nr_sectors; le64 flags;
 *                    le64 data_len; }, a mark's text right after it in the same sector,
 *                    followed (writes only) by nr_sectors sectors of the written data.
 * </pre>
 * A "sector" here is the data device's logical block size ({@code sectorsize}, 512 unless the device says more):
 * the entry's {@code sector} and {@code nr_sectors} count in it and every record starts on such a boundary.
 * {@code nr_entries} is only as fresh as the last super the writer put down (the kernel rewrites it after each FUA
 * and each mark, including the end mark written when the device is removed).
 */
public final class LogFormat {
    public static final long MAGIC = 0x6a736677736872L;
    public static final long VERSION = 1;
    public static final int SUPER_BYTES = 28;
    public static final int ENTRY_BYTES = 32;

    public static final int FLUSH = 1;
    public static final int FUA = 2;
    public static final int DISCARD = 4;
    public static final int MARK = 8;
    public static final int METADATA = 16;

    /** The mark the kernel logs when a log-writes device is destroyed. */
    public static final String END_MARK = "dm-log-writes-end";

    private LogFormat() {
    }

    /** The longest mark text (in bytes) the kernel keeps: it cuts longer ones to this length. */
    public static int maxMarkBytes(int sectorSize) {
        return sectorSize - ENTRY_BYTES - 1;
    }

    /** The super block's fields as read, unchecked. */
    public record Super(long magic, long version, long nrEntries, int sectorSize) {
    }

    /** Writes a super into {@code sector} from its position (at least {@link #SUPER_BYTES} bytes). */
    public static void putSuper(ByteBuffer sector, long nrEntries, int sectorSize) {
        ByteBuffer b = sector.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC).putLong(VERSION).putLong(nrEntries).putInt(sectorSize);
    }

    public static Super getSuper(ByteBuffer sector) {
        ByteBuffer b = sector.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return new Super(b.getLong(), b.getLong(), b.getLong(), b.getInt());
    }

    /** Writes a log_write_entry into {@code sector} from its position (at least {@link #ENTRY_BYTES} bytes). */
    public static void putEntry(ByteBuffer sector, long dataSector, long nrSectors, long flags, long dataLen) {
        ByteBuffer b = sector.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(dataSector).putLong(nrSectors).putLong(flags).putLong(dataLen);
    }

    /** The flags as the words replay-log and the docs use: "FLUSH|FUA", "" for none. */
    public static String flagNames(long flags) {
        StringBuilder s = new StringBuilder();
        String[] names = {"FLUSH", "FUA", "DISCARD", "MARK", "METADATA"};
        for (int i = 0; i < names.length; i++) {
            if ((flags & (1L << i)) != 0) {
                s.append(s.isEmpty() ? "" : "|").append(names[i]);
            }
        }
        return s.toString();
    }
}
