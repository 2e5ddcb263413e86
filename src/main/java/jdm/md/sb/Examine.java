package jdm.md.sb;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code mdadm --examine DEVICE} of a v1.x member, as mdadm 4.2 prints it (Examine.c's "DEVICE:" line, then
 * super1.c examine_super1 with getinfo_super1's unused-space arithmetic), from the superblock, the bitmap superblock
 * found at its bitmap offset, the member's size and the homehost. mdadm's quirks are kept: the level compared as an
 * unsigned number (a linear array prints "Used Dev Size : 0 sectors"), a faulty member shown as "spare", the
 * bitmap's end measured from the device start, a bitmap whose magic or uuid does not match dropping the feature bit
 * before anything is printed (load_super1). Times are printed as ctime(3) in the given zone.
 */
public final class Examine {
    private static final DateTimeFormatter CTIME =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ENGLISH);
    private static final String[] R5_LAYOUTS = {"left-asymmetric", "right-asymmetric", "left-symmetric",
        "right-symmetric", "parity-first", "parity-last"};

    private Examine() {
    }

    /** {@link #render(String, Superblock1, BitmapSuper, long, String, ZoneId)} in the system's time zone. */
    public static String render(String device, Superblock1 sb, BitmapSuper bitmap, long deviceSectors,
            String homehost) {
        return render(device, sb, bitmap, deviceSectors, homehost, ZoneId.systemDefault());
    }

    /**
     * The text, ending in a newline. {@code bitmap} is what the member holds at super_offset + bitmap_offset
     * (null when there is none); {@code homehost} as --homehost (null: none).
     */
    public static String render(String device, Superblock1 sb, BitmapSuper bitmap, long deviceSectors,
            String homehost, ZoneId zone) {
        int features = sb.featureMap();
        if ((features & Superblock1.FEATURE_BITMAP_OFFSET) != 0 && (bitmap == null
                || bitmap.magic() != BitmapSuper.MAGIC || !Arrays.equals(bitmap.uuid(), sb.uuid()))) {
            features &= ~Superblock1.FEATURE_BITMAP_OFFSET; // load_super1: "no_bitmap"
        }
        BitmapSuper valid = (features & Superblock1.FEATURE_BITMAP_OFFSET) != 0 ? bitmap : null;
        StringBuilder o = new StringBuilder();
        o.append(device).append(":\n");
        identity(o, sb, features, valid, homehost, zone);
        sizes(o, sb, features, valid, deviceSectors);
        o.append("          State : ").append(sb.resyncOffset() + 1 != 0 ? "active" : "clean").append('\n');
        o.append("    Device UUID : ").append(Superblock1.formatUuid(sb.deviceUuid())).append("\n\n");
        if (valid != null) {
            o.append("Internal Bitmap : ").append(sb.bitmapOffset()).append(" sectors from superblock\n");
        } else if ((features & (Superblock1.FEATURE_PPL | Superblock1.FEATURE_MULTIPLE_PPLS)) != 0) {
            o.append("            PPL : ").append(sb.pplSize()).append(" sectors at offset ")
                    .append(sb.pplOffset()).append(" sectors from superblock\n");
        }
        int deltaExtra = (features & Superblock1.FEATURE_RESHAPE_ACTIVE) != 0 ? reshape(o, sb) : 0;
        if (sb.devflags() != 0) {
            o.append("          Flags :");
            o.append((sb.devflags() & Superblock1.DEVFLAG_WRITE_MOSTLY) != 0 ? " write-mostly" : "");
            o.append((sb.devflags() & Superblock1.DEVFLAG_FAILFAST) != 0 ? " failfast" : "").append('\n');
        }
        o.append("    Update Time : ").append(ctime(sb.utime(), zone)).append('\n');
        if (sb.bblogSize() != 0 && sb.bblogOffset() != 0) {
            o.append("  Bad Block Log : ").append(sb.bblogSize() * 512 / 8).append(" entries available at offset ")
                    .append(sb.bblogOffset()).append(" sectors");
            o.append((features & Superblock1.FEATURE_BAD_BLOCKS) != 0 ? " - bad blocks present." : "").append('\n');
        }
        int csum = sb.computeCsum();
        o.append(csum == sb.sbCsum() ? String.format("       Checksum : %x - correct%n", sb.sbCsum())
                : String.format("       Checksum : %x - expected %x%n", sb.sbCsum(), csum));
        o.append("         Events : ").append(Long.toUnsignedString(sb.events())).append("\n\n");
        layoutAndChunk(o, sb, features);
        o.append('\n');
        roleAndState(o, sb, features, deltaExtra);
        return o.toString();
    }

    /** Magic to Raid Devices: what identifies the array. */
    private static void identity(StringBuilder o, Superblock1 sb, int features, BitmapSuper bitmap,
            String homehost, ZoneId zone) {
        o.append(String.format("          Magic : %08x%n", sb.magic()));
        long superOffset = sb.superOffset();
        o.append("        Version : 1").append(Long.compareUnsigned(superOffset, 4) <= 0 ? ".1"
                : Long.compareUnsigned(superOffset, 8) <= 0 ? ".2" : ".0").append('\n');
        o.append(String.format("    Feature Map : 0x%x%n", features));
        o.append("     Array UUID : ").append(Superblock1.formatUuid(sb.uuid())).append('\n');
        o.append("           Name : ").append(sb.name());
        if (homehost != null && !homehost.isEmpty() && homehost.length() < 32
                && (sb.name() + "\0").startsWith(homehost + ":")) {
            o.append("  (local to host ").append(homehost).append(')');
        }
        o.append('\n');
        if (bitmap != null && bitmap.nodes() > 0) {
            o.append(String.format("   Cluster Name : %-64s%n", bitmap.clusterName()));
        }
        o.append("  Creation Time : ").append(ctime(sb.ctime(), zone)).append('\n');
        o.append("     Raid Level : ").append(levelName(sb.level())).append('\n');
        o.append("   Raid Devices : ").append(sb.raidDisks()).append("\n\n");
    }

    /** Avail Dev Size to Unused Space: sizes and offsets. */
    private static void sizes(StringBuilder o, Superblock1 sb, int features, BitmapSuper bitmap,
            long deviceSectors) {
        o.append(String.format(" Avail Dev Size : %s sectors%s%n", Long.toUnsignedString(sb.dataSize()),
                humanSize(sb.dataSize() << 9)));
        if (sb.level() != 0) { // mdadm compares the __u32 level with > 0: linear (-1) passes
            arraySize(o, sb);
            if (sb.size() != sb.dataSize()) {
                o.append(String.format("  Used Dev Size : %s sectors%s%n", Long.toUnsignedString(sb.size()),
                        humanSize(sb.size() << 9)));
            }
        }
        if (sb.dataOffset() != 0) {
            o.append("    Data Offset : ").append(Long.toUnsignedString(sb.dataOffset())).append(" sectors\n");
        }
        if (sb.newOffset() != 0 && (features & Superblock1.FEATURE_NEW_OFFSET) != 0) {
            o.append("     New Offset : ").append(Long.toUnsignedString(sb.dataOffset() + sb.newOffset()))
                    .append(" sectors\n");
        }
        o.append("   Super Offset : ").append(Long.toUnsignedString(sb.superOffset())).append(" sectors\n");
        if ((features & Superblock1.FEATURE_RECOVERY_OFFSET) != 0) {
            o.append("Recovery Offset : ").append(Long.toUnsignedString(sb.recoveryOffset())).append(" sectors\n");
        }
        long[] unused = unusedSpace(sb, features, bitmap, deviceSectors);
        if (unused[1] != 1 && (features & Superblock1.FEATURE_NEW_OFFSET) == 0) {
            o.append("   Unused Space : before=").append(Long.toUnsignedString(unused[0]))
                    .append(" sectors, after=").append(Long.toUnsignedString(unused[1])).append(" sectors\n");
        }
    }

    private static void arraySize(StringBuilder o, Superblock1 sb) {
        long dataDisks = 0;
        long denominator = 1;
        switch (sb.level()) {
            case 1 -> dataDisks = 1;
            case 4, 5 -> dataDisks = sb.raidDisks() - 1;
            case 6 -> dataDisks = sb.raidDisks() - 2;
            case 10 -> {
                dataDisks = sb.raidDisks();
                denominator = (long) (sb.layout() & 255) * ((sb.layout() >> 8) & 255);
            }
            default -> { }
        }
        if (dataDisks != 0) {
            long bytes = (sb.size() << 9) * dataDisks / denominator;
            o.append(String.format("     Array Size : %d KiB%s%n", bytes >> 10, humanSize(bytes)));
        }
    }

    /** getinfo_super1's space_before / space_after, in sectors (after = 1 means "no room either side"). */
    static long[] unusedSpace(Superblock1 sb, int features, BitmapSuper bitmap, long deviceSectors) {
        long superOffset = sb.superOffset();
        long dataOffset = sb.dataOffset();
        long dataSize = sb.level() <= 0 ? sb.dataSize() : sb.size();
        long bitmapOffset = bitmap != null ? sb.bitmapOffset() : 0;
        boolean ppl = bitmap == null && (features & (Superblock1.FEATURE_PPL | Superblock1.FEATURE_MULTIPLE_PPLS)) != 0;
        long pplOffset = ppl ? sb.pplOffset() : 0;
        long pplSize = ppl ? sb.pplSize() : 0;
        boolean bblog = sb.bblogOffset() != 0 && sb.bblogSize() != 0;
        long before;
        long after;
        if (Long.compareUnsigned(dataOffset, superOffset) < 0) {
            before = dataOffset;
            long end = superOffset;
            if (bblog && Long.compareUnsigned(superOffset + sb.bblogOffset(), end) < 0) {
                end = superOffset + sb.bblogOffset();
            }
            if (Long.compareUnsigned(superOffset + bitmapOffset + pplOffset, end) < 0) {
                end = superOffset + bitmapOffset + pplOffset;
            }
            after = Long.compareUnsigned(dataOffset + dataSize, end) < 0 ? end - dataSize - dataOffset : 0;
        } else {
            long earliest = superOffset + (32 + 4) * 2; // "match kernel"
            if (bitmapOffset > 0) {
                long bitmapEnd = bitmapOffset + bitmap.areaBytes(4096) / 512; // not from the superblock: mdadm's
                earliest = Math.max(earliest, bitmapEnd);
            } else if (pplOffset > 0) {
                earliest = Math.max(earliest, pplOffset + pplSize);
            }
            if (bblog) {
                earliest = Math.max(earliest, superOffset + sb.bblogOffset() + sb.bblogSize());
            }
            before = Long.compareUnsigned(earliest, dataOffset) < 0 ? dataOffset - earliest : 0;
            after = deviceSectors - dataSize - dataOffset;
        }
        if (before == 0 && after == 0) {
            after = 1;
        }
        int role = sb.devNumber() >= 0 && sb.devNumber() < sb.maxDev() && sb.devNumber() < Superblock1.MAX_DEV_LIMIT
                ? sb.role(sb.devNumber()) : Superblock1.ROLE_FAULTY;
        if (role == Superblock1.ROLE_JOURNAL) {
            after = Long.remainderUnsigned(deviceSectors - dataOffset, 8); // a journal uses whole 4 KiB blocks
        }
        return new long[] {before, after};
    }

    private static int reshape(StringBuilder o, Superblock1 sb) {
        int deltaExtra = 0;
        o.append(String.format("  Reshape pos'n : %s%s%n", Long.toUnsignedString(sb.reshapePosition() >>> 1),
                humanSize(sb.reshapePosition() << 9)));
        if (sb.deltaDisks() != 0) {
            o.append(String.format("  Delta Devices : %d (%d->%d)%n", sb.deltaDisks(),
                    sb.raidDisks() - sb.deltaDisks(), sb.raidDisks()));
            if (sb.deltaDisks() < 0) {
                deltaExtra = -sb.deltaDisks();
            }
        }
        if (sb.newLevel() != sb.level()) {
            o.append("      New Level : ").append(levelName(sb.newLevel())).append('\n');
        }
        if (sb.newLayout() != sb.layout()) {
            switch (sb.level()) {
                case 5 -> o.append("     New Layout : ").append(r5Layout(sb.newLayout())).append('\n');
                case 6 -> o.append("     New Layout : ").append(r6Layout(sb.newLayout())).append('\n');
                case 10 -> o.append("     New Layout :").append(r10Layout(sb.newLayout())).append('\n');
                default -> { }
            }
        }
        if (sb.newChunk() != sb.chunkSize()) {
            o.append("  New Chunksize : ").append(sb.newChunk() / 2).append("K\n");
        }
        o.append('\n');
        return deltaExtra;
    }

    private static void layoutAndChunk(StringBuilder o, Superblock1 sb, int features) {
        switch (sb.level()) {
            case 0 -> {
                if ((features & Superblock1.FEATURE_RAID0_LAYOUT) != 0) {
                    o.append("         Layout : ").append(r0Layout(sb.layout())).append('\n');
                }
            }
            case 5 -> o.append("         Layout : ").append(r5Layout(sb.layout())).append('\n');
            case 6 -> o.append("         Layout : ").append(r6Layout(sb.layout())).append('\n');
            case 10 -> o.append("         Layout :").append(r10Layout(sb.layout())).append('\n');
            default -> { }
        }
        switch (sb.level()) {
            case 0, 4, 5, 6, 10 -> o.append("     Chunk Size : ").append(sb.chunkSize() / 2).append("K\n");
            case Superblock1.LEVEL_LINEAR -> o.append("       Rounding : ").append(sb.chunkSize() / 2).append("K\n");
            default -> { }
        }
    }

    private static void roleAndState(StringBuilder o, Superblock1 sb, int features, int deltaExtra) {
        int role = sb.ownRole();
        o.append("   Device Role : ");
        if (role >= Superblock1.ROLE_FAULTY) {
            o.append("spare\n");
        } else if (role == Superblock1.ROLE_JOURNAL) {
            o.append("Journal\n");
        } else if ((features & Superblock1.FEATURE_REPLACEMENT) != 0) {
            o.append("Replacement device ").append(role).append('\n');
        } else {
            o.append("Active device ").append(role).append('\n');
        }
        o.append("   Array State : ");
        boolean inconsistent = false;
        long slots = Integer.toUnsignedLong(sb.raidDisks()) + deltaExtra;
        for (long d = 0; d < slots; d++) {
            int count = 0;
            for (int i = 0; i < sb.maxDev(); i++) {
                if (sb.role(i) == d) {
                    count++;
                }
            }
            if (count == 2 && sb.level() != 0) {
                o.append('R');
            } else if (count == 1) {
                o.append('A');
            } else if (count == 0) {
                o.append('.');
            } else {
                o.append('?');
                inconsistent = true;
            }
        }
        o.append(" ('A' == active, '.' == missing, 'R' == replacing)\n");
        for (int i = 0; i < sb.maxDev(); i++) {
            int r = sb.role(i);
            if (r <= Superblock1.ROLE_MAX && r > slots) {
                inconsistent = true;
            }
        }
        if (inconsistent) {
            o.append("WARNING Array state is inconsistent - each number should appear only once\n");
            for (int i = 0; i < sb.maxDev(); i++) {
                int r = sb.role(i);
                o.append(' ').append(i).append(':').append(r >= Superblock1.ROLE_FAULTY ? "-" : Integer.toString(r));
            }
            o.append('\n');
        }
    }

    /** ctime(3) without its newline ("%.24s"), of a superblock time's seconds. */
    static String ctime(long time, ZoneId zone) {
        return CTIME.format(Instant.ofEpochSecond(Superblock1.seconds(time)).atZone(zone));
    }

    /** mdadm's map_num(pers, level). */
    public static String levelName(int level) {
        return switch (level) {
            case Superblock1.LEVEL_LINEAR -> "linear";
            case 0 -> "raid0";
            case 1 -> "raid1";
            case 4 -> "raid4";
            case 5 -> "raid5";
            case Superblock1.LEVEL_MULTIPATH -> "multipath";
            case 6 -> "raid6";
            case 10 -> "raid10";
            case Superblock1.LEVEL_FAULTY -> "faulty";
            case -100 -> "container";
            default -> "-unknown-";
        };
    }

    /** map_num(r5layout, layout). */
    public static String r5Layout(int layout) {
        return layout >= 0 && layout < R5_LAYOUTS.length ? R5_LAYOUTS[layout] : "-unknown-";
    }

    /** map_num(r6layout, layout). */
    public static String r6Layout(int layout) {
        return switch (layout) {
            case 8 -> "ddf-zero-restart";
            case 9 -> "ddf-N-restart";
            case 10 -> "ddf-N-continue";
            case 16 -> "left-asymmetric-6";
            case 17 -> "right-asymmetric-6";
            case 18 -> "left-symmetric-6";
            case 19 -> "right-symmetric-6";
            case 20 -> "parity-first-6";
            default -> r5Layout(layout);
        };
    }

    /** map_num(r0layout, layout). */
    public static String r0Layout(int layout) {
        return switch (layout) {
            case 0 -> "dangerous";
            case 1 -> "original";
            case 2 -> "alternate";
            default -> "-unknown-";
        };
    }

    /** print_r10_layout: " near=2", " far=2", " offset=2", " near=2, far=2", or "NO REDUNDANCY". */
    public static String r10Layout(int layout) {
        int near = layout & 255;
        int far = (layout >> 8) & 255;
        boolean offset = (layout & 0x10000) != 0;
        StringBuilder s = new StringBuilder();
        String sep = "";
        if (near != 1) {
            s.append(sep).append(" near=").append(near);
            sep = ",";
        }
        if (far != 1) {
            s.append(sep).append(' ').append(offset ? "offset" : "far").append('=').append(far);
        }
        if (near * far == 1) {
            s.append("NO REDUNDANCY");
        }
        return s.toString();
    }

    /** human_size: "" under 5000 KiB, else " (x.xx MiB y.yy MB)" (GiB/GB from 2 GiB, TiB/TB from 2 TiB). */
    public static String humanSize(long bytes) {
        if (bytes < 5000 * 1024) {
            return "";
        }
        if (bytes < 2L << 30) {
            return human(bytes * 200 / (1L << 20), bytes / (1000000L / 200), "MiB", "MB");
        }
        if (bytes < 2L << 40) {
            return human(bytes * 200 / (1L << 30), bytes / (1000000000L / 200), "GiB", "GB");
        }
        return human(bytes * 200 / (1L << 40), bytes / (1000000000000L / 200), "TiB", "TB");
    }

    private static String human(long twiceBinary, long twiceDecimal, String binary, String decimal) {
        long cb = (twiceBinary + 1) / 2;
        long cd = (twiceDecimal + 1) / 2;
        return String.format(" (%d.%02d %s %d.%02d %s)", cb / 100, cb % 100, binary, cd / 100, cd % 100, decimal);
    }
}
