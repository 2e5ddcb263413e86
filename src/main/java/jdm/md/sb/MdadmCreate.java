package jdm.md.sb;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * What mdadm 4.2 (Debian 12) {@code --create --metadata=1.2} chooses and writes on each member, before the kernel
 * runs the array: Create.c (defaults, sizes, which slot becomes a recovering spare), super1.c validate_geometry1
 * (the data offset), init_super1 / add_to_super1 / write_init_super1 (the superblock fields, the bad-block log) and
 * add_internal_bitmap1 (the bitmap). Pure: device sizes in, superblocks out.
 *
 * <p>What the kernel changes when it runs the array (md.c super_1_sync): events (mdadm writes 0; after an
 * {@code --assume-clean} create, some writes and a stop, Linux 6.1 leaves 2 on raid1/4/5/6/10 and never rewrites a
 * raid0's superblock), utime, and the roles as members fail, recover or take over. Everything else stays as
 * mdadm wrote it (seen on the oracle: byte for byte but for those fields, device uuid and sb_csum).
 */
public final class MdadmCreate {
    /** Request.layout: no --layout given (mdadm's default for the level). */
    public static final int LAYOUT_DEFAULT = -1;
    /** deviceSectors entry for a "missing" member. */
    public static final long MISSING = -1;
    /** mdadm's DEFAULT_CHUNK: 512 KiB. */
    public static final int DEFAULT_CHUNK_SECTORS = 1024;
    /** RAID0_ORIG_LAYOUT, mdadm's default raid0 layout. */
    public static final int RAID0_ORIG_LAYOUT = 1;
    /** raid5/6 ALGORITHM_LEFT_SYMMETRIC, raid10 near=2. */
    public static final int RAID5_DEFAULT_LAYOUT = 2, RAID10_DEFAULT_LAYOUT = 0x102;
    /** Create.c: arrays with members over 100 GiB get an internal bitmap unless --bitmap says otherwise. */
    public static final long AUTO_BITMAP_KIB = 100L * 1024 * 1024;
    /** MAX_DEVS of super1.c. */
    public static final int MAX_DEVS = Superblock1.MAX_DEV_LIMIT;

    private static final RandomGenerator RANDOM = new SecureRandom();

    private MdadmCreate() {
    }

    /**
     * The request, as mdadm's options give it: level (0, 1, 4, 5, 6, 10, -1 linear), layout number
     * ({@link #LAYOUT_DEFAULT} for the level's default), chunk in sectors (0 = default per level as mdadm: 512 KiB
     * for raid0/4/5/6/10, none for raid1/linear), raid_disks (members past it are spares), --bitmap=internal or
     * none, homehost (null: none), name, array uuid (null = random), assumeClean.
     */
    public record Request(int level, int layout, int chunkSectors, int raidDisks, boolean internalBitmap,
            String homehost, String name, byte[] uuid, boolean assumeClean) {
        public Request {
            if (uuid != null && uuid.length != 16) {
                throw new IllegalArgumentException("array uuid is 16 bytes, got " + uuid.length);
            }
            uuid = uuid == null ? null : uuid.clone();
        }

        @Override
        public byte[] uuid() {
            return uuid == null ? null : uuid.clone();
        }
    }

    /**
     * Everything a create decides: the effective layout and chunk (sectors, 0 for none), the data offset, the
     * component size (sb->size, sectors; 0 for raid0/linear), whether the array starts clean, the bitmap header
     * (null without one) and per listed device its superblock (null for a missing one), in the order given.
     */
    public record Plan(int layout, int chunkSectors, long dataOffset, long componentSectors, boolean clean,
            BitmapSuper bitmap, List<Superblock1> superblocks) {
    }

    /** The superblock mdadm writes on each listed device; all share set uuid, name, ctime, sizes. */
    public static List<Superblock1> superblocks(Request r, long[] deviceSectors, long nowSeconds) {
        return plan(r, deviceSectors, nowSeconds, 0, RANDOM).superblocks();
    }

    /**
     * The whole create, as mdadm 4.2 does it. {@code bitmapChunkBytes} is --bitmap-chunk (0 = mdadm's choice);
     * {@code random} makes the device uuids (and the array uuid when the request has none). Device sizes are in
     * sectors; {@link #MISSING} stands for "missing". The members are taken as free of md superblocks (mdadm keeps
     * a device uuid, events and dev_number it finds on a member of the same array; that case is not modelled).
     *
     * @throws IllegalArgumentException with mdadm's message for a request it refuses
     */
    public static Plan plan(Request r, long[] deviceSectors, long nowSeconds, long bitmapChunkBytes,
            RandomGenerator random) {
        int level = r.level();
        int raidDisks = r.raidDisks();
        int listed = deviceSectors.length;
        checkLevel(r, listed);
        int layout = r.layout() == LAYOUT_DEFAULT ? defaultLayout(level) : r.layout();
        if (level == 10 && (layout & 255) * ((layout >> 8) & 255) > raidDisks) {
            throw new IllegalArgumentException("that layout requires at least "
                    + (layout & 255) * ((layout >> 8) & 255) + " devices");
        }
        int chunkKib = chunkKib(level, r.chunkSectors());
        Scan scan = Scan.of(deviceSectors, raidDisks, chunkKib);
        long sizeKib = 0; // raid0 and linear leave the size to the kernel
        if (level > 0 || level == Superblock1.LEVEL_MULTIPATH || level == Superblock1.LEVEL_FAULTY) {
            // raid1 rounds to 64 KiB: "if this is ever reshaped to RAID5, we will need a chunksize"
            sizeKib = level == 1 ? scan.minKib() & ~63L : scan.minKib();
        }
        int insertPoint = insertPoint(r, scan, listed);
        if (level <= 0 && scan.firstMissing() < listed * 2) {
            throw new IllegalArgumentException("This level does not support missing devices");
        }
        boolean clean = ((level == 4 || level == 5) && (insertPoint < raidDisks || scan.firstMissing() < raidDisks))
                || (level == 6 && (insertPoint < raidDisks || scan.secondMissing() < raidDisks)) || level <= 0
                || r.assumeClean();
        int spares = scan.working() - (scan.active() - (insertPoint < listed ? 1 : 0));
        if (raidDisks + spares > MAX_DEVS) {
            throw new IllegalArgumentException("too many devices requested: " + raidDisks + "+" + spares + " > "
                    + MAX_DEVS);
        }
        byte[] uuid = r.uuid();
        if (uuid == null) {
            uuid = new byte[16];
            random.nextBytes(uuid);
        }
        Superblock1 proto = new Superblock1();
        proto.setFeatureMap(0).setUuid(uuid).setName(setName(r.homehost(), r.name()));
        long time = Superblock1.time(nowSeconds, 0);
        proto.setCtime(time).setUtime(time).setLevel(level).setLayout(layout).setSize(sizeKib * 2);
        proto.setChunkSize(chunkKib * 2).setRaidDisks(raidDisks).setDataOffset(scan.dataOffset());
        proto.setResyncOffset(clean ? Superblock1.MAX_SECTOR : 0);
        int sbBytes = (Superblock1.HEADER_BYTES + 2 * (raidDisks + spares) + 511) & ~511; // init_super1's max_dev
        proto.setMaxDev((sbBytes - Superblock1.HEADER_BYTES) / 2);
        BitmapSuper bitmap = null;
        if (r.internalBitmap()) { // add_internal_bitmap1; raid10's bitmap covers the array, the others a member
            long syncSectors = level == 10
                    ? sizeKib * raidDisks / (((layout >> 8) & 255) * (layout & 255)) * 2
                    : sizeKib * 2;
            bitmap = BitmapSuper.forCreate(uuid, proto.size(), syncSectors, bitmapChunkBytes);
            proto.setBitmapOffset((int) Superblock1.SUPER_OFFSET_V12);
            proto.setFeatureMap(proto.featureMap() | Superblock1.FEATURE_BITMAP_OFFSET);
        }
        boolean raid0NeedsLayout = level == 0 && layout != 0 && raid0SizesDiffer(deviceSectors, chunkKib * 2);
        List<Superblock1> out = writeInit(proto, number(proto, deviceSectors, insertPoint, raidDisks), deviceSectors,
                bitmap, raid0NeedsLayout, random);
        return new Plan(layout, chunkKib * 2, scan.dataOffset(), sizeKib * 2, clean, bitmap, out);
    }

    /** What Create.c learns from validate_geometry1 over the listed devices. */
    private record Scan(long dataOffset, long minKib, int firstMissing, int secondMissing, int active,
            int working) {
        /** The first present member's size picks the data offset for all; sizes in KiB rounded to the chunk. */
        static Scan of(long[] deviceSectors, int raidDisks, int chunkKib) {
            int listed = deviceSectors.length;
            long dataOffset = -1;
            long minKib = Long.MAX_VALUE;
            int firstMissing = listed * 2;
            int secondMissing = listed * 2;
            int active = 0;
            int working = 0;
            for (int d = 0; d < listed; d++) {
                long sectors = deviceSectors[d];
                if (sectors == MISSING) {
                    secondMissing = firstMissing < d && secondMissing > d ? d : secondMissing;
                    firstMissing = Math.min(firstMissing, d);
                    continue;
                }
                if (sectors < 0) {
                    throw new IllegalArgumentException("device " + d + " has a negative size: " + sectors);
                }
                working++;
                active += d < raidDisks ? 1 : 0;
                dataOffset = dataOffset < 0 ? MdadmCreate.dataOffset(sectors, chunkKib * 2) : dataOffset;
                if (sectors < dataOffset) {
                    throw new IllegalArgumentException("device " + d + " is too small (" + sectors / 2
                            + "K) for required metadata!");
                }
                long freeKib = (sectors - dataOffset) / 2;
                freeKib = chunkKib != 0 ? freeKib & ~(long) (chunkKib - 1) : freeKib;
                if (freeKib == 0) {
                    throw new IllegalArgumentException("no free space left on device " + d);
                }
                minKib = Math.min(minKib, freeKib);
            }
            if (working == 0) {
                throw new IllegalArgumentException("Subdevs can't be all missing");
            }
            return new Scan(dataOffset, minKib, firstMissing, secondMissing, active, working);
        }
    }

    /**
     * Create.c's insert point: raid4/5 without --assume-clean start with the last active slot as a spare that is
     * then recovered (faster than a re-parity); raid6 created with exactly one missing member does likewise with
     * one more slot. That device is numbered after all the others. None: twice the device count.
     */
    private static int insertPoint(Request r, Scan scan, int listed) {
        int raidDisks = r.raidDisks();
        if (r.assumeClean()) {
            return listed * 2;
        }
        if (scan.firstMissing() >= raidDisks && (r.level() == 4 || r.level() == 5)) {
            return raidDisks - 1;
        }
        if (scan.firstMissing() < raidDisks && scan.secondMissing() >= raidDisks && r.level() == 6) {
            return raidDisks - 1 == scan.firstMissing() ? raidDisks - 2 : raidDisks - 1;
        }
        return listed * 2;
    }

    /** Device numbers (-1 for a missing device) and the order add_to_super1 took the devices in. */
    private record Numbering(int[] number, List<Integer> order) {
    }

    /** Pass 1 of Create.c: numbers and roles (into proto's dev_roles), the insert point's device moved last. */
    private static Numbering number(Superblock1 proto, long[] deviceSectors, int insertPoint, int raidDisks) {
        int listed = deviceSectors.length;
        int[] number = new int[listed];
        Arrays.fill(number, -1);
        List<Integer> order = new ArrayList<>();
        int raidDiskNum = 0;
        int dnum = 0;
        for (int d = 0; d < listed; d++, dnum++) {
            if (dnum == insertPoint) {
                raidDiskNum++;
                continue;
            }
            raidDiskNum = assign(proto, deviceSectors[d], d, dnum, raidDiskNum, raidDisks, number, order);
        }
        if (insertPoint < listed) {
            assign(proto, deviceSectors[insertPoint], insertPoint, dnum, raidDiskNum, raidDisks, number, order);
        }
        return new Numbering(number, order);
    }

    /** write_init_super1: each present device's own superblock, in the order they were added. */
    private static List<Superblock1> writeInit(Superblock1 proto, Numbering numbering, long[] deviceSectors,
            BitmapSuper bitmap, boolean raid0NeedsLayout, RandomGenerator random) {
        Superblock1[] out = new Superblock1[deviceSectors.length];
        for (int d : numbering.order()) {
            Superblock1 sb = proto.copy();
            byte[] deviceUuid = new byte[16];
            random.nextBytes(deviceUuid);
            sb.setDevNumber(numbering.number()[d]).setDevflags(0).setDeviceUuid(deviceUuid).setEvents(0);
            layOut(sb, deviceSectors[d], bitmap);
            if (raid0NeedsLayout) {
                sb.setFeatureMap(sb.featureMap() | Superblock1.FEATURE_RAID0_LAYOUT);
            }
            sb.encode(); // sb_csum
            out[d] = sb;
        }
        return Collections.unmodifiableList(Arrays.asList(out));
    }

    /** add_to_super1 for one device: its number and its role in every superblock's dev_roles. */
    private static int assign(Superblock1 proto, long sectors, int d, int dnum, int raidDiskNum, int raidDisks,
            int[] number, List<Integer> order) {
        if (sectors == MISSING) {
            return raidDiskNum + 1;
        }
        int raidDisk = raidDiskNum++;
        if (dnum >= proto.maxDev() && proto.maxDev() < MAX_DEVS) {
            proto.setMaxDev(dnum + 1);
        }
        proto.setRole(dnum, raidDisk < raidDisks ? raidDisk : Superblock1.ROLE_SPARE);
        number[d] = dnum;
        order.add(d);
        return raidDiskNum;
    }

    /** write_init_super1's per-device layout for v1.2: offsets, data_size and the bad-block log. */
    private static void layOut(Superblock1 sb, long deviceSectors, BitmapSuper bitmap) {
        if (deviceSectors < 24) {
            throw new IllegalArgumentException("device of " + deviceSectors + " sectors is too small for md");
        }
        long bmSpace;
        long bmOffset;
        if (bitmap != null) {
            bmSpace = bitmap.areaSectors();
            bmOffset = sb.bitmapOffset();
        } else {
            bmSpace = chooseBitmapSpace(sb.size());
            bmOffset = 8;
        }
        long superOffset = Superblock1.SUPER_OFFSET_V12;
        long dataOffset = sb.dataOffset();
        sb.setSuperOffset(superOffset).setDataSize(deviceSectors - dataOffset);
        if (dataOffset >= superOffset + bmOffset + bmSpace + 8) {
            sb.setBblogSize(8).setBblogOffset((int) (bmOffset + bmSpace));
        } else if (dataOffset >= superOffset + 16) {
            sb.setBblogSize(8).setBblogOffset((int) (dataOffset - 8 - superOffset));
        }
    }

    /**
     * write_init_super1's test for a raid0 whose members differ in size: it divides each member's size in
     * <em>bytes</em> by the chunk in sectors (as mdadm 4.2 does; only equality matters).
     */
    private static boolean raid0SizesDiffer(long[] deviceSectors, int chunkSectors) {
        long first = deviceSectors[0] * 512 / chunkSectors;
        for (long s : deviceSectors) {
            if (s * 512 / chunkSectors != first) {
                return true;
            }
        }
        return false;
    }

    /**
     * The data offset mdadm 4.2 picks for a v1.2 member of {@code deviceSectors} (validate_geometry1): room for the
     * superblock (12 KiB), a bitmap ({@link #chooseBitmapSpace}) and reshape headroom (128 MiB, halved while over
     * 0.1% of the device, but not below 4 chunks), rounded up to 1 MiB. {@code chunkSectors} is the chunk the
     * array will have (0 for raid1/linear). A 16 MiB member gets 2048 sectors (4096 with 512 KiB chunks).
     */
    public static long dataOffset(long deviceSectors, int chunkSectors) {
        long chunkKib = chunkSectors / 2;
        long bmSpace = chooseBitmapSpace(deviceSectors);
        long headroom = 128 * 1024 * 2;
        while ((headroom << 10) > deviceSectors && (chunkKib == 0 || headroom / 2 >= chunkKib * 2 * 2)) {
            headroom >>= 1;
        }
        long offset = 12 * 2 + bmSpace + headroom;
        return (offset + 2047) / 2048 * 2048;
    }

    /**
     * choose_bm_space: sectors mdadm leaves for a bitmap on a member of this size: none under 64 KiB, 4 KiB, 64 KiB
     * over 8 GiB, 128 KiB from 200 GiB on.
     */
    public static long chooseBitmapSpace(long sectors) {
        if (sectors < 64 * 2) {
            return 0;
        }
        if (sectors - 64 * 2 >= 200L * 1024 * 1024 * 2) {
            return 128 * 2;
        }
        if (sectors - 4 * 2 > 8L * 1024 * 1024 * 2) {
            return 64 * 2;
        }
        return 4 * 2;
    }

    /**
     * The request mdadm makes of one with no --bitmap option: the same, with an internal bitmap when
     * {@link #addsBitmapByDefault} says so for the component size these devices give.
     */
    public static Request withDefaultBitmap(Request r, long[] deviceSectors) {
        Request none = new Request(r.level(), r.layout(), r.chunkSectors(), r.raidDisks(), false, r.homehost(),
                r.name(), r.uuid(), r.assumeClean());
        long component = plan(none, deviceSectors, 0, 0, RANDOM).componentSectors();
        return addsBitmapByDefault(r.level(), component) ? new Request(r.level(), r.layout(), r.chunkSectors(),
                r.raidDisks(), true, r.homehost(), r.name(), r.uuid(), r.assumeClean()) : none;
    }

    /**
     * Whether mdadm, given no --bitmap at all, adds an internal bitmap ("automatically enabling write-intent bitmap
     * on large array"): level 1 or more and members of over 100 GiB of data.
     */
    public static boolean addsBitmapByDefault(int level, long componentSectors) {
        return level >= 1 && componentSectors / 2 > AUTO_BITMAP_KIB;
    }

    /** set_name as init_super1 makes it: "homehost:name" when that fits in 31 bytes and name has no ':'. */
    public static String setName(String homehost, String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("an array name is needed (mdadm derives it from the device: md0 -> 0)");
        }
        int nameBytes = utf8Length(name);
        if (homehost != null && name.indexOf(':') < 0 && utf8Length(homehost) + 1 + nameBytes < 32) {
            return homehost + ":" + name;
        }
        byte[] b = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return new String(b, 0, Math.min(b.length, 31), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static int utf8Length(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    /** default_layout of Create.c. */
    public static int defaultLayout(int level) {
        return switch (level) {
            case 0 -> RAID0_ORIG_LAYOUT;
            case 10 -> RAID10_DEFAULT_LAYOUT;
            case 5, 6 -> RAID5_DEFAULT_LAYOUT;
            default -> 0;
        };
    }

    /** The chunk in KiB as Create.c settles it (0 for none). */
    private static int chunkKib(int level, int chunkSectors) {
        if (chunkSectors != 0 && (chunkSectors < 8 || (chunkSectors & 1) != 0)) {
            throw new IllegalArgumentException("invalid chunk/rounding value: " + chunkSectors + " sectors");
        }
        return switch (level) {
            case 0, 4, 5, 6, 10 -> chunkSectors == 0 ? DEFAULT_CHUNK_SECTORS / 2 : chunkSectors / 2;
            case 1, Superblock1.LEVEL_MULTIPATH, Superblock1.LEVEL_FAULTY -> {
                if (chunkSectors != 0) {
                    throw new IllegalArgumentException("specifying chunk size is forbidden for this level");
                }
                yield 0;
            }
            default -> chunkSectors / 2; // linear: an optional rounding
        };
    }

    /** Create.c's checks of level and device counts, with its messages. */
    private static void checkLevel(Request r, int listed) {
        int level = r.level();
        int raidDisks = r.raidDisks();
        switch (level) {
            case Superblock1.LEVEL_LINEAR, 0, 1, 4, 5, 6, 10 -> { }
            default -> throw new IllegalArgumentException("unknown level " + level);
        }
        if (raidDisks < 1) {
            throw new IllegalArgumentException("invalid number of raid devices: " + raidDisks);
        }
        if (raidDisks < 4 && level == 6) {
            throw new IllegalArgumentException("at least 4 raid-devices needed for level 6");
        }
        if (raidDisks > 256 && level == 6) {
            throw new IllegalArgumentException("no more than 256 raid-devices supported for level 6");
        }
        if (raidDisks < 2 && level >= 4) {
            throw new IllegalArgumentException("at least 2 raid-devices needed for level " + level);
        }
        if (level <= 0 && listed > raidDisks) {
            throw new IllegalArgumentException("This level does not support spare devices");
        }
        if (listed < raidDisks) {
            throw new IllegalArgumentException(
                    "You haven't given enough devices (real or missing) to create this array");
        }
        if (r.internalBitmap() && level <= 0) {
            throw new IllegalArgumentException("bitmaps not meaningful with level "
                    + (level == 0 ? "raid0" : "linear"));
        }
    }
}
