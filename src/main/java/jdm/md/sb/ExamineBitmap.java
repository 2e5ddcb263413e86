package jdm.md.sb;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;

/**
 * {@code mdadm --examine-bitmap} (-X) of a non-clustered bitmap, as mdadm 4.2's bitmap.c ExamineBitmap prints it
 * on stdout: the header's fields and the count of dirty bits among the first bitmap_bits(sync_size, chunksize) bits
 * (bit i of the bitmap = bit i % 8 of byte i / 8). mdadm's complaints about a bad magic or version go to stderr and
 * are not part of this text; after an unknown version it prints nothing more, as mdadm.
 */
public final class ExamineBitmap {
    private ExamineBitmap() {
    }

    /**
     * The text for the bitmap whose superblock starts at {@code area}'s position, the bits following it up to the
     * buffer's limit. {@code filename} is what mdadm was given.
     */
    public static String render(String filename, ByteBuffer area) {
        ByteBuffer a = area.slice();
        BitmapSuper sb = BitmapSuper.read(a);
        StringBuilder o = new StringBuilder();
        o.append("        Filename : ").append(filename).append('\n');
        o.append(String.format("           Magic : %08x%n", sb.magic()));
        o.append("         Version : ").append(sb.version()).append('\n');
        if (sb.version() < BitmapSuper.VERSION_LO || sb.version() > BitmapSuper.VERSION_CLUSTERED) {
            return o.toString();
        }
        o.append("            UUID : ").append(Superblock1.formatUuid(sb.uuid())).append('\n');
        if (sb.nodes() == 0) {
            o.append("          Events : ").append(Long.toUnsignedString(sb.events())).append('\n');
            o.append("  Events Cleared : ").append(Long.toUnsignedString(sb.eventsCleared())).append('\n');
            o.append("           State : ").append(state(sb.state())).append('\n');
        }
        o.append("       Chunksize : ").append(chunksize(Integer.toUnsignedLong(sb.chunksize()))).append('\n');
        o.append("          Daemon : ").append(sb.daemonSleep()).append("s flush period\n");
        o.append("      Write Mode : ").append(sb.writeBehind() != 0
                ? "Allow write behind, max " + sb.writeBehind() : "Normal").append('\n');
        o.append("       Sync Size : ").append(Long.toUnsignedString(sb.syncSize() >>> 1))
                .append(Examine.humanSize(sb.syncSize() * 512)).append('\n');
        if (sb.nodes() == 0) {
            long total = sb.syncSize() == 0 || sb.chunksize() == 0 ? 0 : sb.bits();
            long available = (long) (a.remaining() - BitmapSuper.BYTES) * 8;
            if (total > available) {
                total = available; // mdadm: "bitmap file is not large enough", counts what is there
            }
            long dirty = dirtyBits(a, BitmapSuper.BYTES, total);
            o.append("          Bitmap : ").append(total).append(" bits (chunks), ").append(dirty).append(" dirty (")
                    .append(percent(dirty, total)).append("%)\n");
        } else {
            o.append("   Cluster nodes : ").append(sb.nodes()).append('\n');
            o.append(String.format("    Cluster name : %-64s%n", sb.clusterName()));
        }
        return o.toString();
    }

    /** How many of the first {@code bits} bits from byte {@code offset} are set. */
    public static long dirtyBits(ByteBuffer b, int offset, long bits) {
        long dirty = 0;
        long whole = bits / 8;
        for (long i = 0; i < whole; i++) {
            dirty += Integer.bitCount(b.get(offset + (int) i) & 0xff);
        }
        int rest = (int) (bits % 8);
        if (rest != 0) {
            dirty += Integer.bitCount(b.get(offset + (int) whole) & ((1 << rest) - 1));
        }
        return dirty;
    }

    /** printf's "%2.1f" of 100 * dirty / total: the exact double, rounded half to even as glibc does. */
    private static String percent(long dirty, long total) {
        double p = 100.0 * dirty / (total == 0 ? 1 : total);
        return new BigDecimal(p).setScale(1, RoundingMode.HALF_EVEN).toPlainString();
    }

    /** human_chunksize: the size in the largest unit it has whole, "64 MB", "256 KB". */
    static String chunksize(long bytes) {
        String[] suffixes = {"B", "KB", "MB", "GB", "TB"};
        int i = 0;
        while (bytes >> 10 != 0) {
            bytes >>= 10;
            i++;
        }
        return bytes + " " + suffixes[i];
    }

    private static String state(int state) {
        return switch (state) {
            case 0 -> "OK";
            case 2 -> "Out of date";
            default -> "Unknown";
        };
    }
}
