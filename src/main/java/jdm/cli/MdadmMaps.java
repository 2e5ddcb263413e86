package jdm.cli;

import java.util.List;
import java.util.Locale;

/**
 * mdadm's name/number tables (maps.c) and its number parsers (util.c parse_size, parse_layout_10, uuid.c
 * parse_uuid, lib.c parse_num): what the words of a command line mean in md's numbers.
 */
final class MdadmMaps {
    /** mdadm's "UnSet" (0xfffe): no value given. */
    static final int UNSET = 0xfffe;
    static final int LEVEL_LINEAR = -1;
    static final int LEVEL_MULTIPATH = -4;
    static final int LEVEL_FAULTY = -5;
    static final int LEVEL_CONTAINER = -100;
    static final long INVALID_SECTORS = -1;

    record Entry(String name, int num) {
    }

    /** md personalities by name: map_name finds the first; map_num the first with the number. */
    static final List<Entry> PERS = List.of(new Entry("linear", LEVEL_LINEAR), new Entry("raid0", 0),
            new Entry("0", 0), new Entry("stripe", 0), new Entry("raid1", 1), new Entry("1", 1),
            new Entry("mirror", 1), new Entry("raid4", 4), new Entry("4", 4), new Entry("raid5", 5),
            new Entry("5", 5), new Entry("multipath", LEVEL_MULTIPATH), new Entry("mp", LEVEL_MULTIPATH),
            new Entry("raid6", 6), new Entry("6", 6), new Entry("raid10", 10), new Entry("10", 10),
            new Entry("faulty", LEVEL_FAULTY), new Entry("container", LEVEL_CONTAINER));

    /** raid5 layouts (md's ALGORITHM_* numbers). */
    static final List<Entry> R5LAYOUT = List.of(new Entry("left-asymmetric", 0), new Entry("right-asymmetric", 1),
            new Entry("left-symmetric", 2), new Entry("right-symmetric", 3), new Entry("default", 2),
            new Entry("la", 0), new Entry("ra", 1), new Entry("ls", 2), new Entry("rs", 3),
            new Entry("parity-first", 4), new Entry("parity-last", 5), new Entry("ddf-zero-restart", 1),
            new Entry("ddf-N-restart", 0), new Entry("ddf-N-continue", 2));

    /** raid6 layouts: raid5's and the DDF rotations and the "-6" forms (Q on the last device). */
    static final List<Entry> R6LAYOUT = List.of(new Entry("left-asymmetric", 0), new Entry("right-asymmetric", 1),
            new Entry("left-symmetric", 2), new Entry("right-symmetric", 3), new Entry("default", 2),
            new Entry("la", 0), new Entry("ra", 1), new Entry("ls", 2), new Entry("rs", 3),
            new Entry("parity-first", 4), new Entry("parity-last", 5), new Entry("ddf-zero-restart", 8),
            new Entry("ddf-N-restart", 9), new Entry("ddf-N-continue", 10), new Entry("left-asymmetric-6", 16),
            new Entry("right-asymmetric-6", 17), new Entry("left-symmetric-6", 18),
            new Entry("right-symmetric-6", 19), new Entry("parity-first-6", 20));

    /** raid0 layouts (for members of unequal size). */
    static final List<Entry> R0LAYOUT = List.of(new Entry("original", 1), new Entry("alternate", 2),
            new Entry("1", 1), new Entry("2", 2), new Entry("dangerous", 0));

    static final List<Entry> CONSISTENCY_POLICIES = List.of(new Entry("unknown", 0), new Entry("none", 1),
            new Entry("resync", 2), new Entry("bitmap", 3), new Entry("journal", 4), new Entry("ppl", 5));

    /** Modes as mdadm names them in its messages. */
    enum Mode {
        ASSEMBLE("assemble"), BUILD("build"), CREATE("create"), MANAGE("manage"), MISC("misc"),
        MONITOR("monitor"), GROW("grow"), INCREMENTAL("incremental"), AUTODETECT("auto-detect");

        final String word;

        Mode(String word) {
            this.word = word;
        }
    }

    private MdadmMaps() {
    }

    /** map_name: the number of the first entry named name, else UNSET. */
    static int mapName(List<Entry> map, String name) {
        for (Entry e : map) {
            if (e.name().equals(name)) {
                return e.num();
            }
        }
        return UNSET;
    }

    /** map_num: the name of the first entry with the number, else null. */
    static String mapNum(List<Entry> map, int num) {
        for (Entry e : map) {
            if (e.num() == num) {
                return e.name();
            }
        }
        return null;
    }

    /**
     * parse_size: a number with an optional K (default), M, G, T or s suffix, in 512-byte sectors; {@link
     * #INVALID_SECTORS} unless positive and fully used.
     */
    static long parseSize(String size) {
        int i = strtollEnd(size);
        long s;
        try {
            s = i == 0 ? 0 : Long.parseLong(size.substring(0, i).trim());
        } catch (NumberFormatException e) {
            return INVALID_SECTORS;
        }
        if (s <= 0) {
            return INVALID_SECTORS;
        }
        char c = i < size.length() ? size.charAt(i) : 0;
        switch (c) {
            case 'M' -> {
                s *= 1024 * 2;
                i++;
            }
            case 'G' -> {
                s *= 1024L * 1024 * 2;
                i++;
            }
            case 'T' -> {
                s *= 1024L * 1024 * 1024 * 2;
                i++;
            }
            case 's' -> i++;
            case 'K' -> {
                s *= 2;
                i++;
            }
            default -> s *= 2;
        }
        return i == size.length() ? s : INVALID_SECTORS;
    }

    /** Where strtoll(s, &end, 10) stops: leading blanks, a sign, digits. */
    private static int strtollEnd(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            i++;
        }
        int digits = i;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        return i == digits ? 0 : i;
    }

    /** parse_num: a non-negative int, the whole string; null when it is not one. */
    static Integer parseNum(String num) {
        if (num == null || num.isEmpty()) {
            return null;
        }
        int i = strtollEnd(num);
        if (i != num.length()) {
            return null;
        }
        try {
            long v = Long.parseLong(num.trim());
            return v < 0 || v > Integer.MAX_VALUE ? null : (int) v;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** parse_layout_10: nN, fN or oN (1..200 copies) as md's raid10 layout word; -1 when not one. */
    static int parseLayout10(String layout) {
        if (layout.isEmpty() || "nfo".indexOf(layout.charAt(0)) < 0 || layout.length() < 2
                || !layout.substring(1).chars().allMatch(Character::isDigit) || layout.length() > 8) {
            return -1;
        }
        int copies = Integer.parseInt(layout.substring(1));
        if (copies < 1 || copies > 200) {
            return -1;
        }
        return switch (layout.charAt(0)) {
            case 'n' -> 256 + copies;
            case 'o' -> 0x10000 + (copies << 8) + 1;
            default -> 1 + (copies << 8);
        };
    }

    /** print_r10_layout: " near=2", " far=2", " offset=2", " near=2, far=2", or "NO REDUNDANCY". */
    static String r10Layout(int layout) {
        int near = layout & 255;
        int far = (layout >> 8) & 255;
        boolean offset = (layout & 0x10000) != 0;
        StringBuilder b = new StringBuilder();
        String sep = "";
        if (near != 1) {
            b.append(sep).append(" near=").append(near);
            sep = ",";
        }
        if (far != 1) {
            b.append(sep).append(' ').append(offset ? "offset" : "far").append('=').append(far);
        }
        if (near * far == 1) {
            b.append("NO REDUNDANCY");
        }
        return b.toString();
    }

    /**
     * parse_uuid: 32 hex digits, ':', '.', ' ' and '-' ignored; returned in mdadm's canonical
     * "xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx" form, or null when not a UUID.
     */
    static String parseUuid(String str) {
        StringBuilder hex = new StringBuilder();
        for (char c : str.toCharArray()) {
            if (Character.digit(c, 16) >= 0 && c < 128) {
                hex.append(Character.toLowerCase(c));
            } else if (":. -".indexOf(c) < 0) {
                return null;
            }
        }
        if (hex.length() != 32) {
            return null;
        }
        return hex.substring(0, 8) + ":" + hex.substring(8, 16) + ":" + hex.substring(16, 24) + ":"
                + hex.substring(24);
    }

    /** mdadm's default layout for a level (Create.c default_layout). */
    static int defaultLayout(int level) {
        return switch (level) {
            case 0 -> 1;            // RAID0_ORIG_LAYOUT
            case 10 -> 0x102;       // near=2, far=1
            case 5, 6 -> 2;         // left-symmetric
            default -> 0;
        };
    }

    /** The level's number for a name md reports ("raid5", "linear"), or UNSET. */
    static int levelNumber(String name) {
        return mapName(PERS, name.toLowerCase(Locale.ROOT));
    }
}
