package jdm.md.sb;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * struct mdp_superblock_1 (include/uapi/linux/raid/md_p.h), the md version-1 superblock: 256 bytes of little-endian
 * fields followed by one 16-bit role per device slot ({@code dev_roles[max_dev]}). Version 1.2 puts it at
 * {@link #SUPER_OFFSET_V12 8 sectors} (4 KiB) from the member's start. Decoding checks what the kernel's
 * super_1_load checks about the block itself (magic, major version, max_dev, unknown feature bits, non-zero padding,
 * sb_csum); {@link #checkLoadable} adds the checks that need to know where the block was read from.
 *
 * <p>Getters are named after md_p.h's fields in camelCase; setters return {@code this}. Unsigned 32-bit fields are
 * {@code int}s holding the raw bits (as the kernel's {@code __le32}); the signed ones ({@code level},
 * {@code bitmap_offset}, {@code delta_disks}, {@code new_offset}, {@code bblog_offset}) read back with their sign.
 * {@code ctime}/{@code utime} are raw: low 40 bits seconds, high 24 bits microseconds ({@link #time},
 * {@link #seconds}, {@link #micros}).
 */
public final class Superblock1 {
    public static final int MAGIC = 0xa92b4efc;
    public static final int MAJOR_VERSION = 1;
    /** Where v1.2 keeps the superblock, in sectors from the member's start. */
    public static final long SUPER_OFFSET_V12 = 8;
    /** Bytes before dev_roles (sizeof(struct mdp_superblock_1)). */
    public static final int HEADER_BYTES = 256;
    /** The kernel reads 4 KiB, so at most (4096 - 256) / 2 roles: super_1_load's max_dev bound. */
    public static final int MAX_SB_BYTES = 4096;
    public static final int MAX_DEV_LIMIT = (MAX_SB_BYTES - HEADER_BYTES) / 2;

    /** dev_roles values besides a slot number (MD_DISK_ROLE_*). */
    public static final int ROLE_SPARE = 0xffff, ROLE_FAULTY = 0xfffe, ROLE_JOURNAL = 0xfffd;
    /** MD_DISK_ROLE_MAX: roles up to this are slot numbers. */
    public static final int ROLE_MAX = 0xff00;

    /** feature_map bits, md_p.h's MD_FEATURE_*. */
    public static final int FEATURE_BITMAP_OFFSET = 1, FEATURE_RECOVERY_OFFSET = 2, FEATURE_RESHAPE_ACTIVE = 4,
            FEATURE_BAD_BLOCKS = 8, FEATURE_REPLACEMENT = 16, FEATURE_RESHAPE_BACKWARDS = 32,
            FEATURE_NEW_OFFSET = 64, FEATURE_RECOVERY_BITMAP = 128, FEATURE_CLUSTERED = 256,
            FEATURE_JOURNAL = 512, FEATURE_PPL = 1024, FEATURE_MULTIPLE_PPLS = 2048, FEATURE_RAID0_LAYOUT = 4096;
    /** MD_FEATURE_ALL: a superblock with any other bit set is refused. */
    public static final int FEATURE_ALL = FEATURE_BITMAP_OFFSET | FEATURE_RECOVERY_OFFSET | FEATURE_RESHAPE_ACTIVE
            | FEATURE_BAD_BLOCKS | FEATURE_REPLACEMENT | FEATURE_RESHAPE_BACKWARDS | FEATURE_NEW_OFFSET
            | FEATURE_RECOVERY_BITMAP | FEATURE_CLUSTERED | FEATURE_JOURNAL | FEATURE_PPL | FEATURE_MULTIPLE_PPLS
            | FEATURE_RAID0_LAYOUT;
    /** devflags bits (md_p.h WriteMostly1, FailFast1). */
    public static final int DEVFLAG_WRITE_MOSTLY = 1, DEVFLAG_FAILFAST = 2;
    /** MaxSector: resync_offset of a clean array, reshape_position when no reshape runs. */
    public static final long MAX_SECTOR = -1L;
    /** Levels that are not a RAID number (md_p.h / md_u.h LEVEL_*). */
    public static final int LEVEL_LINEAR = -1, LEVEL_MULTIPATH = -4, LEVEL_FAULTY = -5;

    private int magic = MAGIC;
    private int majorVersion = MAJOR_VERSION;
    private int featureMap;
    private int pad0;
    private final byte[] uuid = new byte[16];
    private final byte[] name = new byte[32];
    private long ctime;
    private int level;
    private int layout;
    private long size;
    private int chunkSize;
    private int raidDisks;
    private int bitmapOffset;
    private int newLevel;
    private long reshapePosition;
    private int deltaDisks;
    private int newLayout;
    private int newChunk;
    private int newOffset;
    private long dataOffset;
    private long dataSize;
    private long superOffset;
    private long recoveryOffset;
    private int devNumber;
    private int cntCorrectedRead;
    private final byte[] deviceUuid = new byte[16];
    private int devflags;
    private int bblogShift;
    private int bblogSize;
    private int bblogOffset;
    private long utime;
    private long events;
    private long resyncOffset;
    private int sbCsum;
    private int maxDev;
    private final byte[] pad3 = new byte[32];
    /** Every role slot the 4 KiB block can hold; those at and past max_dev are kept for a byte-exact encode. */
    private final char[] roles = new char[MAX_DEV_LIMIT];

    /** All zero but magic and major_version; every role slot spare (as mdadm's init_super1 fills dev_roles). */
    public Superblock1() {
        Arrays.fill(roles, (char) ROLE_SPARE);
    }

    /** A deep copy. */
    public Superblock1 copy() {
        int held = sbCsum;
        Superblock1 c = decodeUnchecked(encode(MAX_SB_BYTES));
        sbCsum = held;
        c.sbCsum = held;
        return c;
    }

    // ---- decode / encode ----

    /** Decodes the superblock at the buffer's position (not moved); see {@link #decode(ByteBuffer, String)}. */
    public static Superblock1 decode(ByteBuffer block) throws SuperblockException {
        return decode(block, "the block");
    }

    /**
     * Decodes the superblock at the buffer's position (the buffer's position is not moved) and checks it as the
     * kernel's super_1_load does: magic, major_version 1, max_dev at most 1920, no unknown feature bit, zero
     * padding, the block long enough for its roles, and sb_csum. {@code device} names the block in messages.
     */
    public static Superblock1 decode(ByteBuffer block, String device) throws SuperblockException {
        ByteBuffer b = block.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < HEADER_BYTES) {
            throw new SuperblockException("md: superblock on " + device + " is cut short: " + b.remaining()
                    + " bytes, the header alone is " + HEADER_BYTES);
        }
        if (b.getInt(0) != MAGIC) {
            throw new SuperblockException(String.format("md: no superblock on %s (magic %08x, expected %08x)",
                    device, b.getInt(0), MAGIC));
        }
        if (b.getInt(4) != MAJOR_VERSION) {
            throw new SuperblockException("md: superblock on " + device + " has major_version "
                    + Integer.toUnsignedString(b.getInt(4)) + ", only 1 is understood");
        }
        long maxDev = Integer.toUnsignedLong(b.getInt(220));
        if (maxDev > MAX_DEV_LIMIT) {
            throw new SuperblockException("md: superblock on " + device + " has max_dev " + maxDev + ", more than "
                    + MAX_DEV_LIMIT + " roles fit in 4 KiB");
        }
        if (b.remaining() < HEADER_BYTES + 2 * maxDev) {
            throw new SuperblockException("md: superblock on " + device + " is cut short: " + b.remaining()
                    + " bytes, its " + maxDev + " roles need " + (HEADER_BYTES + 2 * maxDev));
        }
        int unknown = b.getInt(8) & ~FEATURE_ALL;
        if (unknown != 0) {
            throw new SuperblockException(String.format("md: superblock on %s has unknown feature bits 0x%x",
                    device, unknown));
        }
        int csum = computeCsum(b, (int) maxDev);
        if (csum != b.getInt(216)) {
            throw new SuperblockException(String.format(
                    "md: invalid superblock checksum on %s (sb_csum %08x, the superblock sums to %08x)", device,
                    b.getInt(216), csum));
        }
        Superblock1 sb = decodeUnchecked(b);
        if (sb.pad0 != 0 || !Arrays.equals(sb.pad3, new byte[32])) {
            throw new SuperblockException("md: superblock on " + device
                    + " has non-zero padding (pad0 or pad3): a feature this version does not know");
        }
        return sb;
    }

    /**
     * Reads the fields at the buffer's position (not moved) with no check beyond the header's length, as mdadm's
     * load_super1 does before it prints a superblock (it checks magic and version itself and reports a wrong
     * checksum rather than refusing it). Role slots the buffer does not hold read as spare.
     */
    public static Superblock1 read(ByteBuffer block) {
        if (block.remaining() < HEADER_BYTES) {
            throw new IllegalArgumentException("a superblock needs " + HEADER_BYTES + " bytes, got "
                    + block.remaining());
        }
        return decodeUnchecked(block);
    }

    private static Superblock1 decodeUnchecked(ByteBuffer block) {
        ByteBuffer b = block.slice().order(ByteOrder.LITTLE_ENDIAN);
        Superblock1 sb = new Superblock1();
        sb.magic = b.getInt(0);
        sb.majorVersion = b.getInt(4);
        sb.featureMap = b.getInt(8);
        sb.pad0 = b.getInt(12);
        b.get(16, sb.uuid);
        b.get(32, sb.name);
        sb.ctime = b.getLong(64);
        sb.level = b.getInt(72);
        sb.layout = b.getInt(76);
        sb.size = b.getLong(80);
        sb.chunkSize = b.getInt(88);
        sb.raidDisks = b.getInt(92);
        sb.bitmapOffset = b.getInt(96);
        sb.newLevel = b.getInt(100);
        sb.reshapePosition = b.getLong(104);
        sb.deltaDisks = b.getInt(112);
        sb.newLayout = b.getInt(116);
        sb.newChunk = b.getInt(120);
        sb.newOffset = b.getInt(124);
        sb.dataOffset = b.getLong(128);
        sb.dataSize = b.getLong(136);
        sb.superOffset = b.getLong(144);
        sb.recoveryOffset = b.getLong(152);
        sb.devNumber = b.getInt(160);
        sb.cntCorrectedRead = b.getInt(164);
        b.get(168, sb.deviceUuid);
        sb.devflags = Byte.toUnsignedInt(b.get(184));
        sb.bblogShift = Byte.toUnsignedInt(b.get(185));
        sb.bblogSize = Short.toUnsignedInt(b.getShort(186));
        sb.bblogOffset = b.getInt(188);
        sb.utime = b.getLong(192);
        sb.events = b.getLong(200);
        sb.resyncOffset = b.getLong(208);
        sb.sbCsum = b.getInt(216);
        sb.maxDev = b.getInt(220);
        b.get(224, sb.pad3);
        int present = Math.min(MAX_DEV_LIMIT, (b.remaining() - HEADER_BYTES) / 2);
        for (int i = 0; i < present; i++) {
            sb.roles[i] = b.getChar(HEADER_BYTES + 2 * i);
        }
        return sb;
    }

    /**
     * The bytes the kernel writes at super_offset: the superblock with a fresh sb_csum, {@code 256 + 2 * max_dev}
     * bytes rounded up to the logical block size, 512 here (super_1_sync's rdev->sb_size, md_super_write). The
     * role slots past max_dev that the rounding takes in are written as held (0xffff unless decoded otherwise), as
     * the kernel writes its whole page. Also sets {@link #sbCsum()}.
     */
    public ByteBuffer encode() {
        return encode(512);
    }

    /** {@link #encode()} rounded up to this logical block size (a power of two, at most 4096). */
    public ByteBuffer encode(int logicalBlockBytes) {
        if (logicalBlockBytes < 512 || logicalBlockBytes > MAX_SB_BYTES || Integer.bitCount(logicalBlockBytes) != 1) {
            throw new IllegalArgumentException("logical block size must be a power of two in 512..4096: "
                    + logicalBlockBytes);
        }
        checkMaxDev(maxDev);
        int bytes = HEADER_BYTES + 2 * maxDev;
        bytes = (bytes + logicalBlockBytes - 1) & -logicalBlockBytes;
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, magic).putInt(4, majorVersion).putInt(8, featureMap).putInt(12, pad0);
        b.put(16, uuid).put(32, name);
        b.putLong(64, ctime).putInt(72, level).putInt(76, layout).putLong(80, size);
        b.putInt(88, chunkSize).putInt(92, raidDisks).putInt(96, bitmapOffset).putInt(100, newLevel);
        b.putLong(104, reshapePosition).putInt(112, deltaDisks).putInt(116, newLayout).putInt(120, newChunk);
        b.putInt(124, newOffset);
        b.putLong(128, dataOffset).putLong(136, dataSize).putLong(144, superOffset).putLong(152, recoveryOffset);
        b.putInt(160, devNumber).putInt(164, cntCorrectedRead).put(168, deviceUuid);
        b.put(184, (byte) devflags).put(185, (byte) bblogShift).putShort(186, (short) bblogSize);
        b.putInt(188, bblogOffset);
        b.putLong(192, utime).putLong(200, events).putLong(208, resyncOffset).putInt(216, 0).putInt(220, maxDev);
        b.put(224, pad3);
        for (int i = 0; i < (bytes - HEADER_BYTES) / 2; i++) {
            b.putChar(HEADER_BYTES + 2 * i, roles[i]);
        }
        sbCsum = computeCsum(b, maxDev);
        b.putInt(216, sbCsum);
        return b;
    }

    /** calc_sb_1_csum over this superblock as it would be encoded (the stored sb_csum counts as zero). */
    public int computeCsum() {
        int held = sbCsum;
        ByteBuffer b = encode(512);
        sbCsum = held;
        return b.getInt(216);
    }

    /**
     * calc_sb_1_csum (md.c / super1.c): the little-endian 32-bit words of the first 256 + 2 * max_dev bytes summed
     * into 64 bits with sb_csum taken as zero (a trailing 16-bit half word added alone), then the high 32 bits added
     * to the low 32.
     */
    static int computeCsum(ByteBuffer b, int maxDev) {
        int size = HEADER_BYTES + 2 * maxDev;
        long sum = 0;
        int i = 0;
        for (; size - i >= 4; i += 4) {
            if (i != 216) {
                sum += Integer.toUnsignedLong(b.getInt(i));
            }
        }
        if (size - i == 2) {
            sum += Short.toUnsignedInt(b.getShort(i));
        }
        return (int) ((sum & 0xffffffffL) + (sum >>> 32));
    }

    /**
     * super_1_load's checks that need the place the block came from: super_offset equals the sector it was read
     * at, and data_size is at least 10 sectors. {@code device} names the member in messages.
     */
    public void checkLoadable(long readAtSector, String device) throws SuperblockException {
        if (superOffset != readAtSector) {
            throw new SuperblockException("md: superblock on " + device + " says super_offset " + superOffset
                    + " but was read at sector " + readAtSector);
        }
        if (dataSize < 10) {
            throw new SuperblockException("md: data_size too small on " + device);
        }
    }

    /**
     * Where a version 1.{@code minor} superblock sits on a member of {@code deviceSectors} (super1.c load_super1 /
     * store_super1): 1.0 at least 8 KiB but under 12 KiB before the end, 4 KiB aligned; 1.1 at the start; 1.2 at
     * 4 KiB.
     */
    public static long superOffset(int minor, long deviceSectors) {
        return switch (minor) {
            case 0 -> (deviceSectors - 8 * 2) & ~(4 * 2 - 1L);
            case 1 -> 0;
            case 2 -> SUPER_OFFSET_V12;
            default -> throw new IllegalArgumentException("no metadata version 1." + minor);
        };
    }

    // ---- times ----

    /** A ctime/utime value: low 40 bits seconds since the epoch, high 24 bits microseconds. */
    public static long time(long seconds, int micros) {
        if (seconds < 0 || seconds > 0xff_ffff_ffffL || micros < 0 || micros > 999_999) {
            throw new IllegalArgumentException("time out of range: " + seconds + " s " + micros + " us");
        }
        return seconds | (long) micros << 40;
    }

    /** The seconds of a ctime/utime value. */
    public static long seconds(long time) {
        return time & 0xff_ffff_ffffL;
    }

    /** The microseconds of a ctime/utime value. */
    public static int micros(long time) {
        return (int) (time >>> 40);
    }

    public static Instant instant(long time) {
        return Instant.ofEpochSecond(seconds(time), micros(time) * 1000L);
    }

    // ---- uuids ----

    /** A uuid as mdadm prints it: four groups of 8 hex digits separated by ':'. */
    public static String formatUuid(byte[] uuid) {
        String hex = HexFormat.of().formatHex(uuid);
        return hex.substring(0, 8) + ":" + hex.substring(8, 16) + ":" + hex.substring(16, 24) + ":"
                + hex.substring(24, 32);
    }

    /**
     * Parses a uuid as mdadm's parse_uuid does: 32 hex digits, any of ':', '.', ' ', '-' between them; the bytes in
     * the order written (as super1 stores them).
     */
    public static byte[] parseUuid(String text) {
        StringBuilder hex = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (Character.digit(c, 16) >= 0) {
                hex.append(c);
            } else if (": .-".indexOf(c) < 0) {
                throw new IllegalArgumentException("invalid UUID: " + text);
            }
        }
        if (hex.length() != 32) {
            throw new IllegalArgumentException("invalid UUID: " + text);
        }
        return HexFormat.of().parseHex(hex);
    }

    // ---- roles ----

    /** dev_roles[devNumber]: a slot number, or ROLE_SPARE / ROLE_FAULTY / ROLE_JOURNAL. */
    public int role(int devNumber) {
        checkRoleIndex(devNumber);
        return roles[devNumber];
    }

    /** Sets dev_roles[devNumber]; devNumber must be below max_dev. */
    public Superblock1 setRole(int devNumber, int role) {
        checkRoleIndex(devNumber);
        if (role < 0 || role > 0xffff) {
            throw new IllegalArgumentException("role must be 0..0xffff: " + role);
        }
        roles[devNumber] = (char) role;
        return this;
    }

    /** This member's own role (role_from_sb): spare when dev_number is past max_dev. */
    public int ownRole() {
        return Integer.compareUnsigned(devNumber, maxDev) < 0 ? roles[devNumber] : ROLE_SPARE;
    }

    private void checkRoleIndex(int devNumber) {
        if (devNumber < 0 || devNumber >= maxDev) {
            throw new IndexOutOfBoundsException("device number " + devNumber + " outside dev_roles[" + maxDev + "]");
        }
    }

    private static void checkMaxDev(int maxDev) {
        if (maxDev < 0 || maxDev > MAX_DEV_LIMIT) {
            throw new IllegalArgumentException("max_dev must be 0.." + MAX_DEV_LIMIT + ": " + maxDev);
        }
    }

    // ---- fields ----

    public int magic() {
        return magic;
    }

    public Superblock1 setMagic(int v) {
        magic = v;
        return this;
    }

    public int majorVersion() {
        return majorVersion;
    }

    public Superblock1 setMajorVersion(int v) {
        majorVersion = v;
        return this;
    }

    public int featureMap() {
        return featureMap;
    }

    public Superblock1 setFeatureMap(int v) {
        featureMap = v;
        return this;
    }

    public boolean hasFeature(int bit) {
        return (featureMap & bit) != 0;
    }

    public int pad0() {
        return pad0;
    }

    public Superblock1 setPad0(int v) {
        pad0 = v;
        return this;
    }

    /** set_uuid, a copy. */
    public byte[] uuid() {
        return uuid.clone();
    }

    public Superblock1 setUuid(byte[] v) {
        copy16(v, uuid, "set_uuid");
        return this;
    }

    /** set_name up to its first NUL (it need not have one: all 32 bytes may be the name). */
    public String name() {
        int n = 0;
        while (n < name.length && name[n] != 0) {
            n++;
        }
        return new String(name, 0, n, StandardCharsets.UTF_8);
    }

    /** set_name's 32 raw bytes, a copy. */
    public byte[] nameBytes() {
        return name.clone();
    }

    /** Sets set_name: at most 32 bytes of UTF-8, the rest NUL. */
    public Superblock1 setName(String v) {
        byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > name.length) {
            throw new IllegalArgumentException("set_name holds 32 bytes, '" + v + "' has " + bytes.length);
        }
        Arrays.fill(name, (byte) 0);
        System.arraycopy(bytes, 0, name, 0, bytes.length);
        return this;
    }

    /** ctime, raw (see {@link #time}). */
    public long ctime() {
        return ctime;
    }

    public Superblock1 setCtime(long v) {
        ctime = v;
        return this;
    }

    /** -1 linear, 0, 1, 4, 5, 6, 10 (-4 multipath, -5 faulty). */
    public int level() {
        return level;
    }

    public Superblock1 setLevel(int v) {
        level = v;
        return this;
    }

    public int layout() {
        return layout;
    }

    public Superblock1 setLayout(int v) {
        layout = v;
        return this;
    }

    /** size: sectors of each member used by the array (0 for raid0 and linear as mdadm creates them). */
    public long size() {
        return size;
    }

    public Superblock1 setSize(long sectors) {
        size = sectors;
        return this;
    }

    /** chunksize in sectors (0 for raid1). */
    public int chunkSize() {
        return chunkSize;
    }

    public Superblock1 setChunkSize(int sectors) {
        chunkSize = sectors;
        return this;
    }

    public int raidDisks() {
        return raidDisks;
    }

    public Superblock1 setRaidDisks(int v) {
        raidDisks = v;
        return this;
    }

    /** bitmap_offset: signed sectors from the superblock's start (meaningful with FEATURE_BITMAP_OFFSET). */
    public int bitmapOffset() {
        return bitmapOffset;
    }

    public Superblock1 setBitmapOffset(int sectors) {
        bitmapOffset = sectors;
        return this;
    }

    /** The PPL view of the bitmap_offset word: ppl.offset, signed sectors from the superblock. */
    public int pplOffset() {
        return (short) bitmapOffset;
    }

    /** The PPL view of the bitmap_offset word: ppl.size in sectors. */
    public int pplSize() {
        return bitmapOffset >>> 16;
    }

    public int newLevel() {
        return newLevel;
    }

    public Superblock1 setNewLevel(int v) {
        newLevel = v;
        return this;
    }

    /** reshape_position: next array sector the reshape handles (with FEATURE_RESHAPE_ACTIVE). */
    public long reshapePosition() {
        return reshapePosition;
    }

    public Superblock1 setReshapePosition(long sector) {
        reshapePosition = sector;
        return this;
    }

    /** delta_disks, signed. */
    public int deltaDisks() {
        return deltaDisks;
    }

    public Superblock1 setDeltaDisks(int v) {
        deltaDisks = v;
        return this;
    }

    public int newLayout() {
        return newLayout;
    }

    public Superblock1 setNewLayout(int v) {
        newLayout = v;
        return this;
    }

    /** new_chunk in sectors. */
    public int newChunk() {
        return newChunk;
    }

    public Superblock1 setNewChunk(int sectors) {
        newChunk = sectors;
        return this;
    }

    /** new_offset: signed sectors added to data_offset in the new layout (with FEATURE_NEW_OFFSET). */
    public int newOffset() {
        return newOffset;
    }

    public Superblock1 setNewOffset(int sectors) {
        newOffset = sectors;
        return this;
    }

    /** data_offset: the sector of the member where data starts. */
    public long dataOffset() {
        return dataOffset;
    }

    public Superblock1 setDataOffset(long sector) {
        dataOffset = sector;
        return this;
    }

    /** data_size: sectors from data_offset usable for data ("Avail Dev Size"). */
    public long dataSize() {
        return dataSize;
    }

    public Superblock1 setDataSize(long sectors) {
        dataSize = sectors;
        return this;
    }

    /** super_offset: the sector of the member holding this superblock (8 for v1.2). */
    public long superOffset() {
        return superOffset;
    }

    public Superblock1 setSuperOffset(long sector) {
        superOffset = sector;
        return this;
    }

    /** recovery_offset: sectors from data_offset already recovered (with FEATURE_RECOVERY_OFFSET). */
    public long recoveryOffset() {
        return recoveryOffset;
    }

    public Superblock1 setRecoveryOffset(long sectors) {
        recoveryOffset = sectors;
        return this;
    }

    /** journal_tail: the same word as recovery_offset, on a journal device. */
    public long journalTail() {
        return recoveryOffset;
    }

    /** dev_number: this member's permanent index into dev_roles (not its role). */
    public int devNumber() {
        return devNumber;
    }

    public Superblock1 setDevNumber(int v) {
        devNumber = v;
        return this;
    }

    public int cntCorrectedRead() {
        return cntCorrectedRead;
    }

    public Superblock1 setCntCorrectedRead(int v) {
        cntCorrectedRead = v;
        return this;
    }

    /** device_uuid, a copy. */
    public byte[] deviceUuid() {
        return deviceUuid.clone();
    }

    public Superblock1 setDeviceUuid(byte[] v) {
        copy16(v, deviceUuid, "device_uuid");
        return this;
    }

    /** devflags (DEVFLAG_WRITE_MOSTLY, DEVFLAG_FAILFAST), 8 bits. */
    public int devflags() {
        return devflags;
    }

    public Superblock1 setDevflags(int v) {
        devflags = checkUnsigned(v, 0xff, "devflags");
        return this;
    }

    /** bblog_shift: log2 of the bad-block log's block size in sectors, 8 bits. */
    public int bblogShift() {
        return bblogShift;
    }

    public Superblock1 setBblogShift(int v) {
        bblogShift = checkUnsigned(v, 0xff, "bblog_shift");
        return this;
    }

    /** bblog_size: sectors reserved for the bad-block log, 16 bits. */
    public int bblogSize() {
        return bblogSize;
    }

    public Superblock1 setBblogSize(int sectors) {
        bblogSize = checkUnsigned(sectors, 0xffff, "bblog_size");
        return this;
    }

    /** bblog_offset: signed sectors from the superblock to the bad-block log. */
    public int bblogOffset() {
        return bblogOffset;
    }

    public Superblock1 setBblogOffset(int sectors) {
        bblogOffset = sectors;
        return this;
    }

    /** utime, raw (see {@link #time}). */
    public long utime() {
        return utime;
    }

    public Superblock1 setUtime(long v) {
        utime = v;
        return this;
    }

    public long events() {
        return events;
    }

    public Superblock1 setEvents(long v) {
        events = v;
        return this;
    }

    /** resync_offset: data before this sector (from data_offset) is in sync; {@link #MAX_SECTOR} = clean. */
    public long resyncOffset() {
        return resyncOffset;
    }

    public Superblock1 setResyncOffset(long sector) {
        resyncOffset = sector;
        return this;
    }

    /** sb_csum as decoded or last encoded. */
    public int sbCsum() {
        return sbCsum;
    }

    /** Sets sb_csum; {@link #encode()} overwrites it with the computed one. */
    public Superblock1 setSbCsum(int v) {
        sbCsum = v;
        return this;
    }

    /** max_dev: how many dev_roles count (and are checksummed). */
    public int maxDev() {
        return maxDev;
    }

    public Superblock1 setMaxDev(int v) {
        checkMaxDev(v);
        maxDev = v;
        return this;
    }

    /** pad3 (32 bytes, zero when valid), a copy. */
    public byte[] pad3() {
        return pad3.clone();
    }

    private static void copy16(byte[] from, byte[] to, String what) {
        if (from.length != 16) {
            throw new IllegalArgumentException(what + " is 16 bytes, got " + from.length);
        }
        System.arraycopy(from, 0, to, 0, 16);
    }

    private static int checkUnsigned(int v, int max, String what) {
        if (v < 0 || v > max) {
            throw new IllegalArgumentException(what + " must be 0.." + max + ": " + v);
        }
        return v;
    }

    @Override
    public String toString() {
        return String.format("Superblock1[%s name=%s level=%d layout=%d chunk=%d disks=%d size=%d dev=%d role=%s"
                + " events=%d data=%d+%d features=0x%x]", formatUuid(uuid), name(), level, layout, chunkSize,
                raidDisks, size, devNumber, maxDev > 0 ? Integer.toString(ownRole()) : "-", events, dataOffset,
                dataSize, featureMap);
    }
}
