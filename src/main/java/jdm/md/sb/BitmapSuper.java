package jdm.md.sb;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * bitmap_super_t (drivers/md/md-bitmap.h, mdadm's bitmap.h): the 256-byte little-endian header of a write-intent
 * bitmap, magic "bitm" (0x6d746962), followed by one bit per chunk of {@code chunksize} bytes over
 * {@code sync_size} sectors. An internal bitmap of a v1.2 array sits {@code bitmap_offset} sectors from the md
 * superblock (8 when mdadm creates it: right after the superblock's 4 KiB). Decoding checks what the kernel's
 * md_bitmap_read_sb checks, in its words ("invalid bitmap file superblock: ..."). How mdadm sizes it on create is
 * {@link #forCreate}; the bytes it writes are {@link #encodeArea()}.
 */
public final class BitmapSuper {
    public static final int MAGIC = 0x6d746962;
    public static final int BYTES = 256;
    /** BITMAP_MAJOR_LO, BITMAP_MAJOR_HI (what mdadm writes), BITMAP_MAJOR_CLUSTERED. */
    public static final int VERSION_LO = 3, VERSION_HI = 4, VERSION_CLUSTERED = 5;
    /** state bits (enum bitmap_state). */
    public static final int STATE_ACTIVE = 1, STATE_STALE = 2;
    /** mdadm's DEFAULT_BITMAP_DELAY, seconds. */
    public static final int DEFAULT_DAEMON_SLEEP = 5;
    /** mdadm's default chunk for an internal bitmap when none is asked for (add_internal_bitmap1), bytes. */
    public static final int DEFAULT_CHUNK_BYTES = 64 << 20;
    /** The kernel's COUNTER_MAX: the write-behind limit. */
    public static final int WRITE_BEHIND_MAX = 16383;

    private int magic = MAGIC;
    private int version = VERSION_HI;
    private final byte[] uuid = new byte[16];
    private long events;
    private long eventsCleared;
    private long syncSize;
    private int state;
    private int chunksize;
    private int daemonSleep;
    private int writeBehind;
    private int sectorsReserved;
    private int nodes;
    private final byte[] clusterName = new byte[64];
    private final byte[] pad = new byte[BYTES - 136];

    public BitmapSuper() {
    }

    /**
     * The bitmap superblock mdadm 4.2's add_internal_bitmap1 makes on create, for a v1.2 array: magic, version 4,
     * the array uuid, chunksize (bytes) as given or chosen, daemon_sleep 5 s, sync_size = {@code syncSectors}
     * (the component size in sectors; for raid10 the array size), everything else zero.
     *
     * <p>The chunk: the bitmap must fit in {@code room} = choose_bm_space(component size) sectors (4 KiB on small
     * members, 64 KiB over 8 GiB, 128 KiB over 200 GiB; 128 KiB at most when no chunk was asked for) less its
     * 256-byte header; the smallest power of two of at least 4 KiB whose bits fit is the minimum; with no chunk
     * asked for ({@code requestedChunkBytes} 0) mdadm takes that minimum but at least 64 MiB.
     *
     * @throws IllegalArgumentException with mdadm's "Given bitmap chunk size not supported." when the requested
     *     chunk is below the minimum, there is no room, or the chunk would not fit bitmap_super_t's 32 bits
     */
    public static BitmapSuper forCreate(byte[] arrayUuid, long componentSectors, long syncSectors,
            long requestedChunkBytes) {
        long room = MdadmCreate.chooseBitmapSpace(componentSectors); // room + bbl_size - bbl_size (8 each)
        if (requestedChunkBytes == 0 && room > 128 * 2) {
            room = 128 * 2;
        }
        if (room <= 1) {
            throw new IllegalArgumentException("Given bitmap chunk size not supported.");
        }
        long maxBits = (room * 512 - BYTES) * 8;
        long minChunk = 4096;
        long bits = syncSectors * 512 / minChunk + 1;
        while (bits > maxBits) {
            minChunk *= 2;
            bits = (bits + 1) / 2;
        }
        long chunk;
        if (requestedChunkBytes == 0) {
            chunk = Math.max(minChunk, DEFAULT_CHUNK_BYTES);
            if (chunk > Integer.MAX_VALUE) { // mdadm would truncate it to 32 bits
                throw new IllegalArgumentException("Given bitmap chunk size not supported.");
            }
        } else if (requestedChunkBytes < minChunk || Long.bitCount(requestedChunkBytes) != 1
                || requestedChunkBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Given bitmap chunk size not supported.");
        } else {
            chunk = requestedChunkBytes;
        }
        BitmapSuper b = new BitmapSuper();
        b.setUuid(arrayUuid).setChunksize((int) chunk).setDaemonSleep(DEFAULT_DAEMON_SLEEP).setSyncSize(syncSectors);
        return b;
    }

    /** bitmap_bits: how many chunks (bits) cover syncSectors with this chunk size in bytes. */
    public static long bits(long syncSectors, long chunkBytes) {
        if (chunkBytes <= 0) {
            return 0;
        }
        return (syncSectors * 512 + chunkBytes - 1) / chunkBytes;
    }

    /** This bitmap's number of bits. */
    public long bits() {
        return bits(syncSize, Integer.toUnsignedLong(chunksize));
    }

    /** calc_bitmap_size: header plus bits, in bytes, rounded up to {@code boundary}. */
    public long areaBytes(int boundary) {
        long bytes = (bits() + 7) / 8 + BYTES;
        return (bytes + boundary - 1) / boundary * boundary;
    }

    /** Sectors the bitmap takes (header and bits, rounded to 4 KiB as mdadm reserves it). */
    public long areaSectors() {
        return areaBytes(4096) / 512;
    }

    /**
     * What mdadm's write_bitmap1 writes at the bitmap offset on create: this header, then every bit set (0xff to
     * the end of the 4 KiB-rounded area), so that the first assembly resyncs everything the bitmap covers.
     */
    public ByteBuffer encodeArea() {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(areaBytes(4096)));
        Arrays.fill(b.array(), (byte) 0xff);
        b.put(0, encode(), 0, BYTES);
        return b;
    }

    // ---- decode / encode ----

    public static BitmapSuper decode(ByteBuffer block) throws SuperblockException {
        return decode(block, "md");
    }

    /**
     * Decodes the 256 bytes at the buffer's position (not moved) and checks them as md_bitmap_read_sb does: magic,
     * version 3..5, chunksize a power of two of at least 512, daemon_sleep 1 s or more, write_behind at most 16383.
     * Messages read "{@code array}: invalid bitmap file superblock: REASON" as the kernel's.
     */
    public static BitmapSuper decode(ByteBuffer block, String array) throws SuperblockException {
        ByteBuffer b = block.slice().order(ByteOrder.LITTLE_ENDIAN);
        String prefix = array + ": invalid bitmap file superblock: ";
        if (b.remaining() < BYTES) {
            throw new SuperblockException(prefix + "cut short, " + b.remaining() + " of " + BYTES + " bytes");
        }
        BitmapSuper s = read(b);
        if (s.magic != MAGIC) {
            throw new SuperblockException(prefix + String.format("bad magic (%08x, expected %08x)", s.magic, MAGIC));
        }
        if (s.version < VERSION_LO || s.version > VERSION_CLUSTERED) {
            throw new SuperblockException(prefix + "unrecognized superblock version (" + s.version + ")");
        }
        long chunk = Integer.toUnsignedLong(s.chunksize);
        if (chunk < 512) {
            throw new SuperblockException(prefix + "bitmap chunksize too small");
        }
        if (Long.bitCount(chunk) != 1) {
            throw new SuperblockException(prefix + "bitmap chunksize not a power of 2");
        }
        if (s.daemonSleep < 1) {
            throw new SuperblockException(prefix + "daemon sleep period out of range");
        }
        if (Integer.compareUnsigned(s.writeBehind, WRITE_BEHIND_MAX) > 0) {
            throw new SuperblockException(prefix + "write-behind limit out of range (0 - 16383)");
        }
        return s;
    }

    /** Reads the 256 bytes at the buffer's position (not moved) with no checks, as mdadm reads them. */
    public static BitmapSuper read(ByteBuffer block) {
        ByteBuffer b = block.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < BYTES) {
            throw new IllegalArgumentException("a bitmap superblock needs " + BYTES + " bytes, got " + b.remaining());
        }
        BitmapSuper s = new BitmapSuper();
        s.magic = b.getInt(0);
        s.version = b.getInt(4);
        b.get(8, s.uuid);
        s.events = b.getLong(24);
        s.eventsCleared = b.getLong(32);
        s.syncSize = b.getLong(40);
        s.state = b.getInt(48);
        s.chunksize = b.getInt(52);
        s.daemonSleep = b.getInt(56);
        s.writeBehind = b.getInt(60);
        s.sectorsReserved = b.getInt(64);
        s.nodes = b.getInt(68);
        b.get(72, s.clusterName);
        b.get(136, s.pad);
        return s;
    }

    /** The 256 bytes, little-endian. */
    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, magic).putInt(4, version).put(8, uuid).putLong(24, events).putLong(32, eventsCleared);
        b.putLong(40, syncSize).putInt(48, state).putInt(52, chunksize).putInt(56, daemonSleep);
        b.putInt(60, writeBehind).putInt(64, sectorsReserved).putInt(68, nodes).put(72, clusterName).put(136, pad);
        return b;
    }

    // ---- fields ----

    public int magic() {
        return magic;
    }

    public BitmapSuper setMagic(int v) {
        magic = v;
        return this;
    }

    public int version() {
        return version;
    }

    public BitmapSuper setVersion(int v) {
        version = v;
        return this;
    }

    /** uuid (the array's set_uuid), a copy. */
    public byte[] uuid() {
        return uuid.clone();
    }

    public BitmapSuper setUuid(byte[] v) {
        if (v.length != 16) {
            throw new IllegalArgumentException("uuid is 16 bytes, got " + v.length);
        }
        System.arraycopy(v, 0, uuid, 0, 16);
        return this;
    }

    public long events() {
        return events;
    }

    public BitmapSuper setEvents(long v) {
        events = v;
        return this;
    }

    public long eventsCleared() {
        return eventsCleared;
    }

    public BitmapSuper setEventsCleared(long v) {
        eventsCleared = v;
        return this;
    }

    /** sync_size: sectors the bitmap covers. */
    public long syncSize() {
        return syncSize;
    }

    public BitmapSuper setSyncSize(long sectors) {
        syncSize = sectors;
        return this;
    }

    public int state() {
        return state;
    }

    public BitmapSuper setState(int v) {
        state = v;
        return this;
    }

    /** chunksize in bytes. */
    public int chunksize() {
        return chunksize;
    }

    public BitmapSuper setChunksize(int bytes) {
        chunksize = bytes;
        return this;
    }

    /** daemon_sleep in seconds. */
    public int daemonSleep() {
        return daemonSleep;
    }

    public BitmapSuper setDaemonSleep(int seconds) {
        daemonSleep = seconds;
        return this;
    }

    public int writeBehind() {
        return writeBehind;
    }

    public BitmapSuper setWriteBehind(int v) {
        writeBehind = v;
        return this;
    }

    public int sectorsReserved() {
        return sectorsReserved;
    }

    public BitmapSuper setSectorsReserved(int sectors) {
        sectorsReserved = sectors;
        return this;
    }

    public int nodes() {
        return nodes;
    }

    public BitmapSuper setNodes(int v) {
        nodes = v;
        return this;
    }

    /** cluster_name up to its first NUL. */
    public String clusterName() {
        int n = 0;
        while (n < clusterName.length && clusterName[n] != 0) {
            n++;
        }
        return new String(clusterName, 0, n, StandardCharsets.UTF_8);
    }

    /** Sets cluster_name: at most 63 bytes (mdadm keeps the last byte NUL). */
    public BitmapSuper setClusterName(String v) {
        byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 63) {
            throw new IllegalArgumentException("cluster_name holds 63 bytes, '" + v + "' has " + bytes.length);
        }
        Arrays.fill(clusterName, (byte) 0);
        System.arraycopy(bytes, 0, clusterName, 0, bytes.length);
        return this;
    }
}
