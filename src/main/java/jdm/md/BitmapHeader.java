package jdm.md;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 256-byte bitmap superblock at the front of an internal bitmap (md-bitmap.h's {@code bitmap_super_t}, "bitm",
 * little-endian): which array it belongs to, its event counters, the sync range and chunk size it covers, the
 * daemon's flush period. The bits (one per chunk, set_bit_le order) follow it at byte 256.
 *
 * <p>Only what the in-memory bitmap needs; the full on-disk codec of jdm.md.sb (BitmapSuper) replaces it when that
 * lands.
 */
record BitmapHeader(int version, byte[] uuid, long events, long eventsCleared, long syncSectors, int state,
        int chunkBytes, int daemonSleepSeconds, int writeBehind, int sectorsReserved, int nodes) {
    static final int SIZE = 256;
    static final int MAGIC = 0x6d746962;
    /** BITMAP_MAJOR_HI: bits in little-endian order. */
    static final int VERSION = 4;
    /** BITMAP_MAJOR_HOSTENDIAN: host-order bits (little-endian on every host jdm runs on). */
    static final int VERSION_HOSTENDIAN = 3;
    /** sb->state bit BITMAP_STALE: the bitmap is out of date, everything needs a resync. */
    static final int STATE_STALE = 1 << 1;

    BitmapHeader {
        uuid = uuid.clone();
        if (uuid.length != 16) {
            throw new IllegalArgumentException("uuid of " + uuid.length + " bytes");
        }
    }

    @Override
    public byte[] uuid() {
        return uuid.clone();
    }

    BitmapHeader withEvents(long events, long eventsCleared, int state) {
        return new BitmapHeader(version, uuid, events, eventsCleared, syncSectors, state, chunkBytes,
                daemonSleepSeconds, writeBehind, sectorsReserved, nodes);
    }

    /** Writes the 256 bytes at the buffer's start (cluster name and padding zero). */
    void encode(byte[] into) {
        ByteBuffer b = ByteBuffer.wrap(into, 0, SIZE).order(ByteOrder.LITTLE_ENDIAN);
        java.util.Arrays.fill(into, 0, SIZE, (byte) 0);
        b.putInt(0, MAGIC);
        b.putInt(4, version);
        b.put(8, uuid);
        b.putLong(24, events);
        b.putLong(32, eventsCleared);
        b.putLong(40, syncSectors);
        b.putInt(48, state);
        b.putInt(52, chunkBytes);
        b.putInt(56, daemonSleepSeconds);
        b.putInt(60, writeBehind);
        b.putInt(64, sectorsReserved);
        b.putInt(68, nodes);
    }

    /** Reads and checks a header as md_bitmap_read_sb does; the message says what is wrong. */
    static BitmapHeader decode(byte[] from) throws MdException {
        ByteBuffer b = ByteBuffer.wrap(from, 0, SIZE).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        int version = b.getInt(4);
        if (magic != MAGIC) {
            throw MdException.invalid("invalid bitmap magic 0x" + Integer.toHexString(magic));
        }
        if (version != VERSION && version != VERSION_HOSTENDIAN) {
            throw MdException.invalid("unsupported bitmap version " + version);
        }
        int chunk = b.getInt(52);
        int daemonSleep = b.getInt(56);
        if (chunk < 512 || Integer.bitCount(chunk) != 1) {
            throw MdException.invalid(chunk < 512 ? "bitmap chunksize too small" : "bitmap chunksize not a power of 2");
        }
        if (daemonSleep < 1) {
            throw MdException.invalid("daemon sleep period out of range");
        }
        byte[] uuid = new byte[16];
        b.get(8, uuid);
        return new BitmapHeader(version, uuid, b.getLong(24), b.getLong(32), b.getLong(40), b.getInt(48), chunk,
                daemonSleep, b.getInt(60), b.getInt(64), b.getInt(68));
    }
}
