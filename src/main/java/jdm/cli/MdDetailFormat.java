package jdm.cli;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * "mdadm --detail" text from an md_detail reply, as mdadm 4.2's Detail.c and super1.c's detail_super1 print it: the
 * right-aligned field names, the blank lines between the groups, the member table with a "removed" row for each
 * empty slot and the spares and faulty members below a blank line; --brief's one ARRAY line.
 */
final class MdDetailFormat {
    private static final DateTimeFormatter CTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy",
            Locale.US);

    private MdDetailFormat() {
    }

    /** One member as the table shows it (mdu_disk_info_t: number, major, minor, raid_disk, state words). */
    record Member(int number, int major, int minor, int raidDisk, String state, String device) {
        static Member of(Map<?, ?> m) {
            return new Member(intOf(m.get("number"), -1), intOf(m.get("major"), 0), intOf(m.get("minor"), 0),
                    intOf(m.get("raid_device"), -1), m.get("state") == null ? "" : m.get("state").toString(),
                    m.get("device") == null ? null : m.get("device").toString());
        }

        boolean removedPlaceholder() {
            return device == null && major == 0 && minor == 0 && state.equals("removed");
        }
    }

    /**
     * The full --detail text.
     *
     * @param dev the array as the command line named it (the first line is "DEV:")
     * @param homehost the host name "(local to host H)" is printed for, or null
     */
    static String detail(String dev, Map<String, Object> r, String homehost, ZoneId zone) {
        StringBuilder b = new StringBuilder();
        int level = levelOf(r);
        int raidDisks = intOf(r.get("raid_devices"), 0);
        b.append(dev).append(":\n");
        b.append("           Version : ").append(str(r.get("version"), "1.2")).append('\n');
        long ctime = longOf(r.get("creation_time"), 0);
        if (ctime != 0) {
            b.append("     Creation Time : ").append(ctime(ctime, zone)).append('\n');
        }
        if (r.get("level") != null) {
            b.append("        Raid Level : ").append(r.get("level")).append('\n');
        }
        long arrayKib = longOf(r.get("array_size_kib"), 0);
        if (arrayKib > 0) {
            b.append("        Array Size : ").append(arrayKib).append(humanSize(arrayKib * 1024)).append('\n');
        }
        if (level >= 1 && level != MdadmMaps.UNSET && r.get("used_dev_size_kib") != null) {
            long used = longOf(r.get("used_dev_size_kib"), 0);
            b.append("     Used Dev Size : ").append(used).append(humanSize(used * 1024)).append('\n');
        }
        if (raidDisks != 0) {
            b.append("      Raid Devices : ").append(raidDisks).append('\n');
        }
        b.append("     Total Devices : ").append(intOf(r.get("total_devices"), 0)).append('\n');
        b.append("       Persistence : ").append(str(r.get("persistence"), "Superblock is persistent"))
                .append('\n');
        b.append('\n');
        if (r.get("intent_bitmap") != null) {
            b.append("     Intent Bitmap : ").append(r.get("intent_bitmap")).append("\n\n");
        }
        long utime = longOf(r.get("update_time"), 0);
        if (utime != 0) {
            b.append("       Update Time : ").append(ctime(utime, zone)).append('\n');
        }
        String state = str(r.get("state"), "");
        if (raidDisks != 0) {
            b.append("             State : ").append(state).append(" \n");
        } else if (state.equals("inactive")) {
            b.append("             State : inactive\n");
        }
        if (raidDisks != 0) {
            b.append("    Active Devices : ").append(intOf(r.get("active_devices"), 0)).append('\n');
        }
        int working = intOf(r.get("working_devices"), 0);
        if (working > 0) {
            b.append("   Working Devices : ").append(working).append('\n');
        }
        if (raidDisks != 0) {
            b.append("    Failed Devices : ").append(intOf(r.get("failed_devices"), 0)).append('\n');
            b.append("     Spare Devices : ").append(intOf(r.get("spare_devices"), 0)).append('\n');
        }
        b.append('\n');
        String layout = layoutText(level, r.get("layout"));
        if (layout != null) {
            b.append("            Layout :").append(layout.startsWith(" ") || layout.startsWith("NO ") ? ""
                    : " ").append(layout).append('\n');
        }
        int chunk = intOf(r.get("chunk_kib"), 0);
        switch (level) {
            case 0, 4, 5, 6, 10 -> {
                if (chunk != 0) {
                    b.append("        Chunk Size : ").append(chunk).append("K\n\n");
                }
            }
            case MdadmMaps.LEVEL_LINEAR -> b.append("          Rounding : ").append(chunk).append("K\n\n");
            default -> {
            }
        }
        if (raidDisks != 0 && r.get("consistency_policy") != null) {
            b.append("Consistency Policy : ").append(r.get("consistency_policy")).append("\n\n");
        }
        String[][] statuses = {{"rebuild_status", "Rebuild"}, {"resync_status", "Resync"},
                {"reshape_status", "Reshape"}, {"check_status", "Check"}};
        boolean progress = false;
        for (String[] s : statuses) {
            if (r.get(s[0]) != null && !progress) {
                b.append(String.format("    %7s Status : %s\n", s[1], r.get(s[0])));
                progress = true;
            }
        }
        boolean reshapeInfo = reshape(b, r, level);
        if (!reshapeInfo && progress) {
            b.append('\n');
        }
        if (r.get("array_name") != null) {
            String name = r.get("array_name").toString();
            b.append("              Name : ").append(name.length() > 32 ? name.substring(0, 32) : name);
            int l = homehost == null ? 0 : homehost.length();
            if (l > 0 && l < 32 && name.length() > l && name.charAt(l) == ':' && name.startsWith(homehost)) {
                b.append("  (local to host ").append(homehost).append(')');
            }
            b.append('\n');
        }
        if (r.get("uuid") != null) {
            b.append("              UUID : ").append(r.get("uuid")).append('\n');
        }
        if (r.get("events") != null) {
            b.append("            Events : ").append(r.get("events")).append("\n\n");
        }
        b.append(raidDisks != 0 ? "    Number   Major   Minor   RaidDevice State\n"
                : "    Number   Major   Minor   RaidDevice\n");
        for (String row : rows(r, level, raidDisks)) {
            b.append(row).append('\n');
        }
        return b.toString();
    }

    /** The reshape lines (Delta Devices, New Level/Layout/Chunksize) and their blank line; false when none. */
    private static boolean reshape(StringBuilder b, Map<String, Object> r, int level) {
        boolean any = false;
        if (r.get("delta_devices") != null) {
            int delta = intOf(r.get("delta_devices"), 0);
            int raid = intOf(r.get("raid_devices"), 0);
            if (delta != 0) {
                b.append("     Delta Devices : ").append(delta).append(", (").append(raid - delta).append("->")
                        .append(raid).append(")\n");
            }
            any = true;
        }
        if (r.get("new_level") != null) {
            b.append("         New Level : ").append(r.get("new_level")).append('\n');
            any = true;
        }
        if (r.get("new_layout") != null) {
            b.append("        New Layout : ").append(r.get("new_layout")).append('\n');
            any = true;
        }
        if (r.get("new_chunk_kib") != null) {
            b.append("     New Chunksize : ").append(r.get("new_chunk_kib")).append("K\n");
            any = true;
        }
        if (any) {
            b.append('\n');
        }
        return any;
    }

    /** The member rows: slot order (each slot's member, then its replacement), then the rest after a blank line. */
    static List<String> rows(Map<String, Object> r, int level, int raidDisks) {
        List<Member> members = new ArrayList<>();
        if (r.get("members") instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Map<?, ?> m) {
                    Member member = Member.of(m);
                    if (!member.removedPlaceholder()) {
                        members.add(member);
                    }
                }
            }
        }
        Member[] slots = new Member[raidDisks * 2];
        List<Member> rest = new ArrayList<>();
        for (Member m : members) {
            int rd = m.raidDisk();
            boolean journal = m.state().contains("journal");
            if (rd >= 0 && rd < raidDisks && slots[rd * 2] == null && !journal) {
                slots[rd * 2] = m;
            } else if (rd >= 0 && rd < raidDisks && slots[rd * 2 + 1] == null && !journal) {
                slots[rd * 2 + 1] = m;
            } else {
                rest.add(m);
            }
        }
        int[] sets = raid10Sets(level, r.get("layout"), raidDisks);
        List<String> out = new ArrayList<>();
        for (int d = 0; d < slots.length; d++) {
            Member m = slots[d];
            if (m == null && (d & 1) == 1) {
                continue;
            }
            out.add(row(m != null ? m : new Member(-1, 0, 0, d / 2, "removed", null), sets, raidDisks));
        }
        if (!rest.isEmpty()) {
            out.add("");
            for (Member m : rest) {
                out.add(row(m, sets, raidDisks));
            }
        }
        return out;
    }

    private static String row(Member m, int[] sets, int raidDisks) {
        boolean noRole = m.raidDisk() < 0 || m.state().contains("journal");
        String head;
        if (m.number() < 0 && m.raidDisk() < 0) {
            head = String.format("       -   %5d    %5d        -     ", m.major(), m.minor());
        } else if (noRole) {
            head = String.format("   %5d   %5d    %5d        -     ", m.number(), m.major(), m.minor());
        } else if (m.number() < 0) {
            head = String.format("       -   %5d    %5d    %5d     ", m.major(), m.minor(), m.raidDisk());
        } else {
            head = String.format("   %5d   %5d    %5d    %5d     ", m.number(), m.major(), m.minor(),
                    m.raidDisk());
        }
        StringBuilder b = new StringBuilder(head);
        if (raidDisks != 0) {
            String state = m.state().strip();
            if (!state.isEmpty()) {
                b.append(' ').append(state);
            }
            if (sets != null && List.of(state.split(" ")).contains("sync") && !state.contains("set-")
                    && m.raidDisk() >= 0) {
                b.append(" set-").append((char) ('A' + m.raidDisk() % sets[0]));
            }
        }
        if (m.device() != null) {
            b.append("   ").append(m.device());
        } else if ((m.major() | m.minor()) != 0) {
            b.append("   missing");
        }
        return b.toString();
    }

    /** For a raid10 whose devices divide into sets ("set-A"...): {copies}; else null (Detail.c). */
    private static int[] raid10Sets(int level, Object layout, int raidDisks) {
        if (level != 10) {
            return null;
        }
        int word;
        if (layout instanceof Number n) {
            word = n.intValue();
        } else if (layout != null && layout.toString().strip().matches("near=\\d+")) {
            word = 0x100 | Integer.parseInt(layout.toString().strip().substring(5));
        } else {
            return null;
        }
        if ((word & ~0x1FFFF) != 0) {
            return null;
        }
        int nc = word & 0xff;
        int fc = (word >> 8) & 0xff;
        int copies = nc * fc;
        return fc == 1 && copies > 0 && raidDisks % copies == 0 && copies <= 26 ? new int[] {copies} : null;
    }

    /** The Layout line's text for the level: a name for raid5/6 (and raid0's non-zero layouts), raid10's words. */
    static String layoutText(int level, Object layout) {
        if (layout == null) {
            return null;
        }
        if (!(layout instanceof Number n)) {
            return switch (level) {
                case 0, 5, 6, 10 -> layout.toString();
                default -> null;
            };
        }
        int l = n.intValue();
        return switch (level) {
            case 5 -> orUnknown(MdadmMaps.mapNum(MdadmMaps.R5LAYOUT, l));
            case 6 -> orUnknown(MdadmMaps.mapNum(MdadmMaps.R6LAYOUT, l));
            case 0 -> l == 0 ? null : orUnknown(MdadmMaps.mapNum(MdadmMaps.R0LAYOUT, l));
            case 10 -> MdadmMaps.r10Layout(l);
            default -> null;
        };
    }

    private static String orUnknown(String s) {
        return s == null ? "-unknown-" : s;
    }

    /** --detail --brief: "ARRAY DEV metadata=1.2 [spares=N] name=NAME UUID=UUID". */
    static String brief(String dev, Map<String, Object> r) {
        StringBuilder b = new StringBuilder();
        boolean inactive = "inactive".equals(r.get("state"));
        b.append(inactive ? "INACTIVE-ARRAY " : "ARRAY ").append(dev);
        b.append(" metadata=").append(str(r.get("version"), "1.2"));
        int spares = intOf(r.get("spare_devices"), 0);
        if (spares > 0 && intOf(r.get("raid_devices"), 0) != 0) {
            b.append(" spares=").append(spares);
        }
        Object name = r.get("array_name");
        if (name != null && !name.toString().isEmpty()) {
            b.append(" name=").append(quoted(name.toString()));
        }
        if (r.get("uuid") != null) {
            b.append(" UUID=").append(r.get("uuid"));
        }
        return b.append('\n').toString();
    }

    /**
     * --examine --brief's lines for one array (Examine.c + super1.c brief_examine_super1): "ARRAY /dev/md/NAME
     * metadata=1.2 UUID=... name=HOST:NAME", then "   spares=N" and with -v "   devices=A,B" on a second line.
     */
    static String briefExamine(jdm.control.MdExamine.Brief b, int spares, List<String> devices, int verbose) {
        StringBuilder o = new StringBuilder("ARRAY ");
        String name = b.name();
        int colon = name.indexOf(':');
        String nm = colon >= 0 ? name.substring(colon + 1) : name.isEmpty() ? null : name;
        if (nm != null) {
            o.append("/dev/md/").append(nm.replace(' ', '_').replace('\t', '_').replace('/', '-')).append(' ');
        }
        String level = MdadmMaps.mapNum(MdadmMaps.PERS, b.level());
        if (verbose > 0 && level != null) {
            o.append(" level=").append(level);
        }
        o.append(" metadata=").append(b.metadata()).append(' ');
        if (verbose > 0) {
            o.append("num-devices=").append(b.raidDisks()).append(' ');
        }
        o.append("UUID=").append(b.uuid());
        if (!name.isEmpty()) {
            o.append(" name=").append(quoted(name));
        }
        o.append('\n');
        if (spares > 0) {
            o.append("   spares=").append(spares);
        }
        if (verbose > 0) {
            o.append("   devices=").append(String.join(",", devices));
        }
        if (spares > 0 || verbose > 0) {
            o.append('\n');
        }
        return o.toString();
    }

    /** print_quoted: a name with blanks or quotes in double (or single) quotes. */
    private static String quoted(String s) {
        if (s.chars().noneMatch(c -> c <= ' ' || c == '"' || c == '\'')) {
            return s;
        }
        char q = s.indexOf('"') >= 0 ? '\'' : '"';
        return q + s + q;
    }

    /** human_size: " (x.xx MiB y.yy MB)" from 5000 KiB up, GiB/GB from 2 GiB, TiB/TB from 2 TiB; else "". */
    static String humanSize(long bytes) {
        if (bytes < 5000L * 1024) {
            return "";
        }
        if (bytes < 2L * 1024 * 1024 * 1024) {
            long cMiB = (bytes * 200L / (1L << 20) + 1) / 2;
            long cMB = (bytes / (1000000L / 200L) + 1) / 2;
            return String.format(" (%d.%02d MiB %d.%02d MB)", cMiB / 100, cMiB % 100, cMB / 100, cMB % 100);
        }
        if (bytes < 2L * 1024 * 1024 * 1024 * 1024) {
            long cGiB = (bytes * 200L / (1L << 30) + 1) / 2;
            long cGB = (bytes / (1000000000L / 200L) + 1) / 2;
            return String.format(" (%d.%02d GiB %d.%02d GB)", cGiB / 100, cGiB % 100, cGB / 100, cGB % 100);
        }
        long cTiB = (bytes * 200L / (1L << 40) + 1) / 2;
        long cTB = (bytes / (1000000000000L / 200L) + 1) / 2;
        return String.format(" (%d.%02d TiB %d.%02d TB)", cTiB / 100, cTiB % 100, cTB / 100, cTB % 100);
    }

    /** human_size_brief(IEC): "30.00MiB", "3.00GiB", "3.00TiB"; "" below 5000 KiB. */
    static String humanSizeBrief(long bytes) {
        if (bytes < 5000L * 1024) {
            return "";
        }
        String[] units = {"MiB", "GiB", "TiB"};
        int u = bytes < 2L << 30 ? 0 : bytes < 2L << 40 ? 1 : 2;
        long c = (bytes * 200L / (1L << (20 + 10 * u)) + 1) / 2;
        return String.format("%d.%02d%s", c / 100, c % 100, units[u]);
    }

    /** ctime(3) without its newline, in zone. */
    static String ctime(long epochSeconds, ZoneId zone) {
        return CTIME.format(Instant.ofEpochSecond(epochSeconds).atZone(zone));
    }

    static int levelOf(Map<String, Object> r) {
        Object level = r.get("level");
        if (level instanceof Number n) {
            return n.intValue();
        }
        return level == null ? MdadmMaps.UNSET : MdadmMaps.levelNumber(level.toString());
    }

    static int intOf(Object v, int dflt) {
        return v instanceof Number n ? n.intValue() : v == null ? dflt : parseOr(v.toString(), dflt);
    }

    static long longOf(Object v, long dflt) {
        if (v instanceof Number n) {
            return n.longValue();
        }
        try {
            return v == null ? dflt : Long.parseLong(v.toString().strip());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private static int parseOr(String s, int dflt) {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private static String str(Object v, String dflt) {
        return v == null ? dflt : v.toString();
    }
}
