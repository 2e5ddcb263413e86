package jdm.cli;

import java.util.List;
import java.util.Map;

/**
 * /proc/mdstat from an md_list reply, as md.c's md_seq_show prints it: the Personalities line, per array its state,
 * level and members ("m0[0]" with (W), (J), (F), (S), (R)), the blocks line with the personality's status, the
 * progress line of status_resync, the bitmap line of md_bitmap_status, and "unused devices: <none>".
 */
final class MdstatFormat {
    /** The personalities jdm registers, in the order the kernel would list them once all are loaded. */
    static final List<String> DEFAULT_PERSONALITIES = List.of("linear", "raid0", "raid1", "raid10", "raid6",
            "raid5", "raid4");

    private MdstatFormat() {
    }

    static String mdstat(Map<String, Object> reply) {
        StringBuilder b = new StringBuilder("Personalities : ");
        List<?> pers = reply.get("personalities") instanceof List<?> l ? l : DEFAULT_PERSONALITIES;
        for (Object p : pers) {
            b.append('[').append(p).append("] ");
        }
        b.append('\n');
        if (reply.get("arrays") instanceof List<?> arrays) {
            for (Object o : arrays) {
                if (o instanceof Map<?, ?> a) {
                    array(b, a);
                }
            }
        }
        b.append("unused devices: ");
        if (reply.get("unused") instanceof List<?> unused && !unused.isEmpty()) {
            for (Object u : unused) {
                b.append(u).append(' ');
            }
        } else {
            b.append("<none>");
        }
        return b.append('\n').toString();
    }

    private static void array(StringBuilder b, Map<?, ?> a) {
        boolean active = !"inactive".equals(a.get("state"));
        List<?> members = a.get("members") instanceof List<?> l ? l : List.of();
        b.append(a.get("name")).append(" : ").append(active ? "active" : "inactive");
        if (active) {
            Object mode = a.get("read_mode") != null ? a.get("read_mode") : a.get("readonly");
            if (Boolean.TRUE.equals(mode) || "readonly".equals(mode) || "read-only".equals(mode)) {
                b.append(" (read-only)");
            } else if ("auto".equals(mode) || "read-auto".equals(mode) || "auto-read-only".equals(mode)) {
                b.append(" (auto-read-only)");
            }
            b.append(' ').append(a.get("level"));
        }
        for (Object o : members) {
            if (o instanceof Map<?, ?> m) {
                b.append(' ').append(m.get("device")).append('[').append(m.get("index")).append(']');
                Object flags = m.get("flags");
                if (flags != null) {
                    b.append(flags);
                }
            }
        }
        if (!members.isEmpty()) {
            b.append("\n      ").append(MdDetailFormat.longOf(a.get("size_kib"), 0)).append(" blocks");
        }
        b.append(" super ").append(a.get("version") == null ? "1.2" : a.get("version"));
        if (active) {
            Object status = a.get("status");
            if (status != null && !status.toString().isEmpty()) {
                // every personality's status() starts with a blank (" level 5, 64k chunk, ..."): keep one there
                b.append(status.toString().startsWith(" ") ? "" : " ").append(status);
            }
            b.append("\n      ");
            if (a.get("sync") instanceof Map<?, ?> sync) {
                String line = syncLine(sync);
                if (line != null) {
                    b.append(line).append("\n      ");
                }
            }
        } else {
            b.append("\n       ");
        }
        if (a.get("bitmap") != null) {
            b.append("bitmap: ").append(a.get("bitmap")).append('\n');
        }
        b.append('\n');
    }

    /**
     * status_resync: "[====>................]  resync = 22.5% (3712/16384) finish=0.1min speed=2240K/sec", or
     * "\tresync=PENDING" / "\tresync=DELAYED"; null when there is nothing to show.
     */
    static String syncLine(Map<?, ?> sync) {
        Object pending = sync.get("status");
        if (pending != null && ("PENDING".equals(pending) || "DELAYED".equals(pending))) {
            return "\tresync=" + pending;
        }
        long max = MdDetailFormat.longOf(sync.get("total_sectors"), 0);
        long resync = Math.min(MdDetailFormat.longOf(sync.get("position_sectors"), 0), max);
        if (max <= 0) {
            return null;
        }
        // scale 10: (resync >> 10) * 1000 fits a sector_t and (max >> 10) a u32, as md's sector_div needs
        long perMilli = Long.divideUnsigned((resync >>> 10) * 1000, ((max >>> 10) + 1) & 0xffffffffL);
        int x = (int) (perMilli / 50);
        int y = 20 - x;
        StringBuilder b = new StringBuilder("[");
        b.append("=".repeat(x)).append('>').append(".".repeat(Math.max(0, y))).append("] ");
        b.append(String.format(" %s =%3d.%d%% (%d/%d)", label(String.valueOf(sync.get("action"))), perMilli / 10,
                perMilli % 10, resync / 2, max / 2));
        long speed = MdDetailFormat.longOf(sync.get("speed_kibs"), 0);
        b.append(" finish=");
        if (sync.get("finish_seconds") == null && sync.get("finish_minutes") != null) {
            b.append(sync.get("finish_minutes")).append("min"); // already "minutes.tenths"
        } else {
            long rt = sync.get("finish_seconds") != null ? MdDetailFormat.longOf(sync.get("finish_seconds"), 0)
                    : (max - resync) / 2 / Math.max(1, speed); // status_resync's estimate from the speed
            b.append(rt / 60).append('.').append((rt % 60) / 6).append("min");
        }
        b.append(" speed=").append(speed).append("K/sec");
        return b.toString();
    }

    /** The word md shows for a sync action: repair shows as resync, recover as recovery. */
    static String label(String action) {
        return switch (action) {
            case "reshape" -> "reshape";
            case "check" -> "check";
            case "resync", "repair" -> "resync";
            default -> "recovery";
        };
    }
}
