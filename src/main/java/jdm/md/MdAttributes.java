package jdm.md;

import java.util.ArrayList;
import java.util.List;
import jdm.block.Errno;
import jdm.md.sb.BitmapSuper;

/**
 * md's sysfs attributes (/sys/block/mdN/md/*, md.c's *_show and *_store) and the global /proc/sys/dev/raid
 * speed limits. Values are what {@code cat} shows without the trailing newline; a refused write throws the errno
 * the store function returns, with the text {@code echo} prints ("write error: Invalid argument").
 */
public final class MdAttributes {
    private MdAttributes() {
    }

    /** The names {@link #read} knows on an array (dev-X/... per member besides). */
    public static final List<String> ARRAY_ATTRS = List.of("array_state", "level", "layout", "chunk_size",
            "raid_disks", "component_size", "degraded", "sync_action", "sync_speed_min", "sync_speed_max",
            "sync_speed", "sync_completed", "mismatch_cnt", "resync_start", "reshape_position", "safe_mode_delay",
            "bitmap/location", "bitmap/chunksize", "bitmap/time_base", "bitmap/metadata", "bitmap/backlog",
            "bitmap/can_clear", "metadata_version");

    /** Every attribute name of the array, its members' (dev-X/state, ...) after its own, sorted as ls shows them. */
    public static List<String> names(MdArray a) {
        List<String> out = new ArrayList<>(ARRAY_ATTRS);
        for (MdMember m : a.members()) {
            for (String f : List.of("errors", "offset", "recovery_start", "size", "slot", "state")) {
                out.add(m.sysfsName() + "/" + f);
            }
        }
        java.util.Collections.sort(out);
        return out;
    }

    /** /proc/sys/dev/raid/speed_limit_min or _max. */
    public static String readGlobal(MdSettings s, String attr) throws MdException {
        return switch (attr) {
            case "speed_limit_min" -> Long.toString(s.speedLimitMin());
            case "speed_limit_max" -> Long.toString(s.speedLimitMax());
            default -> throw noSuch(attr);
        };
    }

    public static void writeGlobal(MdSettings s, String attr, String value) throws MdException {
        long v = number(value);
        switch (attr) {
            case "speed_limit_min" -> s.setSpeedLimitMin(v);
            case "speed_limit_max" -> s.setSpeedLimitMax(v);
            default -> throw noSuch(attr);
        }
    }

    public static String read(MdArray a, String attr) throws MdException {
        if (attr.startsWith("dev-")) {
            return readMember(a, attr);
        }
        var sb = a.info();
        Mddev md = a.mddev();
        SyncThread sync = a.sync();
        return switch (attr) {
            case "array_state" -> arrayState(a);
            case "level" -> md != null ? md.geometry().levelName() : levelName(sb.level());
            case "layout" -> Integer.toString(sb.layout());
            case "chunk_size" -> Long.toString((long) sb.chunkSize() << 9);
            case "raid_disks" -> Integer.toString(sb.raidDisks());
            case "component_size" -> Long.toString(sb.size() / 2);
            case "degraded" -> Integer.toString(md == null ? 0 : md.personality().degraded());
            case "sync_action" -> syncAction(a);
            case "sync_speed_min" -> a.speedMin() + " (" + (a.syncSpeedMinSetting() != 0 ? "local" : "system") + ")";
            case "sync_speed_max" -> a.speedMax() + " (" + (a.syncSpeedMaxSetting() != 0 ? "local" : "system") + ")";
            case "sync_speed" -> sync == null ? "none" : Long.toString(sync.speedKibs());
            case "sync_completed" -> sync == null ? "none" : sync.position() + " / " + sync.total();
            case "mismatch_cnt" -> Long.toString(a.mismatches());
            case "resync_start" -> a.recoveryCp() == Rdev.MAX_SECTOR ? "none" : Long.toString(a.recoveryCp());
            case "reshape_position" -> "none";
            case "safe_mode_delay" -> String.format("%d.%03d", a.safeModeDelayMillis() / 1000,
                    a.safeModeDelayMillis() % 1000);
            case "bitmap/location" -> a.bitmap() == null ? "none" : "+" + sb.bitmapOffset();
            case "bitmap/chunksize" -> Long.toString(a.bitmap() == null ? 0 : a.bitmap().chunkSectors() << 9);
            case "bitmap/time_base" -> Integer.toString(a.bitmap() == null ? BitmapSuper.DEFAULT_DAEMON_SLEEP
                    : a.bitmap().daemonSleepSeconds());
            case "bitmap/metadata" -> "internal";
            case "bitmap/backlog" -> "0";
            case "bitmap/can_clear" -> a.bitmap() != null && a.mddev() != null
                    && a.mddev().personality().degraded() > 0 ? "false" : "true";
            case "metadata_version" -> "1.2";
            default -> throw noSuch(attr);
        };
    }

    public static void write(MdArray a, String attr, String value) throws MdException, InterruptedException {
        if (attr.startsWith("dev-")) {
            writeMember(a, attr, value);
            return;
        }
        String v = value.strip();
        switch (attr) {
            case "array_state" -> writeArrayState(a, v);
            case "sync_action" -> {
                switch (v) {
                    case "idle", "frozen", "resync", "recover", "check", "repair" -> {
                        if (a.mddev() == null && !v.equals("idle") && !v.equals("frozen")) {
                            throw err(Errno.EINVAL);
                        }
                        try {
                            a.requestSync(v);
                        } catch (MdException e) {
                            throw err(e.errno());
                        }
                    }
                    default -> throw err(Errno.EINVAL);
                }
            }
            case "sync_speed_min" -> a.setSyncSpeedMin(v.startsWith("system") ? 0 : number(v));
            case "sync_speed_max" -> a.setSyncSpeedMax(v.startsWith("system") ? 0 : number(v));
            case "safe_mode_delay" -> a.setSafeModeDelayMillis(millis(v));
            case "mismatch_cnt", "sync_speed", "sync_completed", "degraded", "level", "layout", "chunk_size",
                    "raid_disks", "component_size", "resync_start", "reshape_position", "bitmap/location",
                    "bitmap/chunksize", "bitmap/time_base", "bitmap/metadata", "bitmap/backlog", "bitmap/can_clear",
                    "metadata_version" -> throw err(a.mddev() != null ? Errno.EBUSY : Errno.EINVAL);
            default -> throw noSuch(attr);
        }
    }

    static String levelName(int level) {
        return level == -1 ? "linear" : "raid" + level;
    }

    /** array_state_show. */
    static String arrayState(MdArray a) {
        if (a.mddev() == null) {
            return a.members().isEmpty() ? "clear" : "inactive";
        }
        return switch (a.readMode()) {
            case READONLY -> "readonly";
            case READ_AUTO -> "read-auto";
            case RW -> a.inSync() ? "clean" : "active";
        };
    }

    /** action_show. */
    static String syncAction(MdArray a) {
        if (a.frozen()) {
            return "frozen";
        }
        SyncThread s = a.sync();
        return s == null ? "idle" : s.action().sysfsName();
    }

    /** array_state_store for the words jdm has the levers for. */
    private static void writeArrayState(MdArray a, String v) throws MdException, InterruptedException {
        switch (v) {
            case "clear", "inactive" -> {
                try {
                    a.stop();
                } catch (MdException e) {
                    throw err(e.errno());
                }
            }
            case "readonly" -> {
                requireRunning(a);
                a.setReadMode(MdArray.ReadMode.READONLY);
            }
            case "read-auto" -> {
                requireRunning(a);
                a.setReadMode(MdArray.ReadMode.READ_AUTO);
            }
            case "clean" -> {
                requireRunning(a);
                if (a.readMode() != MdArray.ReadMode.RW) {
                    a.setReadMode(MdArray.ReadMode.RW);
                }
                try {
                    a.markClean();
                } catch (MdException e) {
                    throw err(e.errno());
                }
            }
            case "active" -> {
                requireRunning(a);
                a.setReadMode(MdArray.ReadMode.RW);
            }
            default -> throw err(Errno.EINVAL);
        }
    }

    private static void requireRunning(MdArray a) throws MdException {
        if (a.mddev() == null) {
            throw err(Errno.EINVAL);
        }
    }

    // ---- dev-X/... ----

    private static MdMember member(MdArray a, String attr) throws MdException {
        int slash = attr.indexOf('/');
        MdMember m = a.member(slash < 0 ? attr : attr.substring(0, slash));
        if (m == null) {
            throw noSuch(attr);
        }
        return m;
    }

    private static String memberAttr(String attr) throws MdException {
        int slash = attr.indexOf('/');
        if (slash < 0) {
            throw new MdException(Errno.EINVAL, attr + ": Is a directory");
        }
        return attr.substring(slash + 1);
    }

    static String readMember(MdArray a, String attr) throws MdException {
        MdMember m = member(a, attr);
        Rdev r = m.rdev();
        return switch (memberAttr(attr)) {
            case "state" -> memberState(r);
            case "recovery_start" -> r.inSync() || r.recoveryOffset() == Rdev.MAX_SECTOR ? "none"
                    : Long.toString(r.recoveryOffset());
            case "errors" -> Integer.toString(r.correctedErrors());
            case "slot" -> r.role() < 0 ? "none" : Integer.toString(r.role());
            case "offset" -> Long.toString(r.dataOffset());
            case "size" -> Long.toString(r.sectors() / 2);
            default -> throw noSuch(attr);
        };
    }

    /** state_show: the flags, comma-separated, in md.c's order. */
    public static String memberState(Rdev r) {
        List<String> w = new ArrayList<>();
        if (r.faulty()) {
            w.add("faulty");
        }
        if (r.inSync()) {
            w.add("in_sync");
        }
        if (r.has(Rdev.Flag.WRITE_MOSTLY)) {
            w.add("write_mostly");
        }
        if (r.has(Rdev.Flag.BLOCKED)) {
            w.add("blocked");
        }
        if (!r.faulty() && !r.inSync()) {
            w.add("spare");
        }
        if (r.has(Rdev.Flag.WRITE_ERROR_SEEN)) {
            w.add("write_error");
        }
        if (r.has(Rdev.Flag.WANT_REPLACEMENT)) {
            w.add("want_replacement");
        }
        if (r.has(Rdev.Flag.REPLACEMENT)) {
            w.add("replacement");
        }
        if (r.has(Rdev.Flag.EXTERNAL_BBL)) {
            w.add("external_bbl");
        }
        return String.join(",", w);
    }

    static void writeMember(MdArray a, String attr, String value) throws MdException {
        MdMember m = member(a, attr);
        Rdev r = m.rdev();
        String v = value.strip();
        switch (memberAttr(attr)) {
            case "state" -> {
                switch (v) {
                    case "faulty" -> {
                        if (a.mddev() == null) {
                            throw err(Errno.EINVAL);
                        }
                        try {
                            a.fail(m);
                        } catch (MdException e) {
                            throw err(Errno.EBUSY);
                        }
                    }
                    case "remove" -> {
                        if (r.role() >= 0 && !r.faulty()) {
                            throw err(Errno.EBUSY);
                        }
                        try {
                            a.remove(m);
                        } catch (MdException e) {
                            throw err(e.errno());
                        }
                    }
                    case "writemostly" -> r.set(Rdev.Flag.WRITE_MOSTLY);
                    case "-writemostly" -> r.clear(Rdev.Flag.WRITE_MOSTLY);
                    case "blocked" -> r.set(Rdev.Flag.BLOCKED);
                    case "-blocked" -> {
                        r.clear(Rdev.Flag.BLOCKED);
                        r.clear(Rdev.Flag.WRITE_ERROR_SEEN);
                    }
                    case "want_replacement" -> {
                        if (r.role() < 0) {
                            throw err(Errno.EINVAL);
                        }
                        r.set(Rdev.Flag.WANT_REPLACEMENT);
                        a.checkRecovery();
                    }
                    case "-want_replacement" -> r.clear(Rdev.Flag.WANT_REPLACEMENT);
                    case "write_error" -> r.set(Rdev.Flag.WRITE_ERROR_SEEN);
                    case "-write_error" -> r.clear(Rdev.Flag.WRITE_ERROR_SEEN);
                    default -> throw err(Errno.EINVAL);
                }
                a.arrays().changed();
            }
            case "errors" -> {
                long n = number(v);
                r.addCorrectedErrors((int) n - r.correctedErrors());
            }
            case "recovery_start" -> {
                if (a.mddev() != null && a.sync() != null) {
                    throw err(Errno.EBUSY);
                }
                if (v.equals("none")) {
                    r.setRecoveryOffset(Rdev.MAX_SECTOR);
                    r.set(Rdev.Flag.IN_SYNC);
                } else {
                    r.setRecoveryOffset(number(v));
                    r.clear(Rdev.Flag.IN_SYNC);
                }
            }
            default -> throw err(a.member(attr) == null ? Errno.EINVAL : Errno.EINVAL);
        }
    }

    // ---- helpers ----

    private static long number(String v) throws MdException {
        try {
            long n = Long.parseLong(v.strip());
            if (n < 0) {
                throw err(Errno.EINVAL);
            }
            return n;
        } catch (NumberFormatException e) {
            throw err(Errno.EINVAL);
        }
    }

    /** safe_mode_delay_store: seconds with up to three decimals. */
    private static long millis(String v) throws MdException {
        try {
            return Math.round(Double.parseDouble(v) * 1000);
        } catch (NumberFormatException e) {
            throw err(Errno.EINVAL);
        }
    }

    /** A refused write as echo reports it. */
    static MdException err(int errno) {
        return new MdException(errno, "write error: " + Errno.strerror(errno));
    }

    private static MdException noSuch(String attr) {
        return new MdException(Errno.ENOENT, attr + ": No such file or directory");
    }
}
