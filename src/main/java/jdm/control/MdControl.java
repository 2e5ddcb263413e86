package jdm.control;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdm.md.ArrayAssemble;
import jdm.md.ArrayCreate;
import jdm.md.ArrayManage;
import jdm.md.MdArray;
import jdm.md.MdArrays;
import jdm.md.MdAttributes;
import jdm.md.MdException;
import jdm.md.MdMember;
import jdm.md.Mddev;
import jdm.md.Rdev;
import jdm.md.SyncAction;
import jdm.md.SyncThread;
import jdm.md.sb.Superblock1;

/**
 * The md subsystem's control operations (the md ioctls mdadm issues plus md's sysfs files), one method each, over
 * the daemon's {@link MdArrays}. A refusal carries the errno and the message mdadm or the kernel would give.
 *
 * <pre>
 * md_create   name, level, layout?, chunk_kib?, raid_devices, spare_devices?, bitmap?, assume_clean, run,
 *             homehost?, array_name?, uuid?, size_kib?, devices, cwd?          -> name, minor, messages
 * md_assemble name, devices, cwd?, uuid?, run, readonly, force                  -> name, minor, started, messages
 * md_stop     name                                                             -> messages
 * md_manage   name, action (fail|remove|add|re-add|replace), device, with?, cwd? -> messages
 * md_grow     name, bitmap (internal|none); reshapes refused (EINVAL)           -> messages
 * md_detail   name                                                             -> mdadm --detail's fields
 * md_list                                                                      -> arrays (for mdstat)
 * md_attr     name?, attr?, value?                                             -> value (no attr: names)
 * </pre>
 */
final class MdControl implements Subsystem {
    private final MdArrays arrays;

    MdControl(MdArrays arrays) {
        this.arrays = arrays;
    }

    @Override
    public void register(Operations ops) {
        ops.register("md_create", "md_create", r -> r, this::create);
        ops.register("md_assemble", "md_assemble", r -> r, this::assemble);
        ops.register("md_stop", "md_stop", r -> r.string("name"), this::stop);
        ops.register("md_manage", "md_manage", r -> r, this::manage);
        ops.register("md_grow", "md_grow", r -> r, this::grow);
        ops.register("md_detail", "md_detail", r -> r.string("name"), this::detail);
        ops.register("md_list", "md_list", Operations.NO_ARGS, a -> Map.of("arrays", list()));
        ops.register("md_attr", "md_attr", r -> r, this::attr);
    }

    private static ControlException failure(String op, MdException e) {
        return new ControlException(e.errno(), op, e.getMessage());
    }

    private static Path cwd(Request r) throws WireException {
        String cwd = r.optString("cwd");
        if (cwd == null) {
            return Path.of("").toAbsolutePath();
        }
        Path p = Path.of(cwd);
        if (!p.isAbsolute()) {
            throw new WireException("cwd must be an absolute path, got \"" + cwd + "\"");
        }
        return p;
    }

    private static int optInt(Request r, String key, int dflt) throws WireException {
        return r.has(key) ? (int) r.longValue(key) : dflt;
    }

    private static List<String> strings(Request r, String key) throws WireException {
        List<String> out = new ArrayList<>();
        for (Object o : Fields.list(r.args(), key)) {
            if (!(o instanceof String s)) {
                throw new WireException("\"" + key + "\" must be a list of strings");
            }
            out.add(s);
        }
        return out;
    }

    private static byte[] uuid(Request r) throws WireException {
        String u = r.optString("uuid");
        if (u == null) {
            return null;
        }
        try {
            return Superblock1.parseUuid(u);
        } catch (IllegalArgumentException e) {
            throw new WireException("invalid uuid \"" + u + "\"");
        }
    }

    private static Map<String, Object> named(ArrayAssemble.Outcome o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", o.array() != null ? o.array().name() : null);
        m.put("minor", o.array() != null ? (long) o.array().minor() : null);
        m.put("started", o.started());
        m.put("messages", o.messages());
        m.values().removeIf(java.util.Objects::isNull);
        return m;
    }

    private Map<String, Object> create(Request r) throws Exception {
        String bitmap = r.optString("bitmap");
        Boolean internal = bitmap == null ? null : switch (bitmap) {
            case "internal" -> true;
            case "none" -> false;
            default -> throw new WireException("bitmap must be \"internal\" or \"none\"");
        };
        int chunkKib = optInt(r, "chunk_kib", 0);
        var spec = new ArrayCreate.Spec(r.string("name"), (int) r.longValue("level"), optInt(r, "layout", -1),
                chunkKib * 2, (int) r.longValue("raid_devices"), optInt(r, "spare_devices", -1), internal,
                r.bool("assume_clean", false), r.bool("run", false), r.optString("homehost"),
                r.optString("array_name"), uuid(r), r.has("size_kib") ? r.longValue("size_kib") : -1,
                strings(r, "devices"), cwd(r));
        try {
            return named(ArrayCreate.create(arrays, spec));
        } catch (MdException e) {
            throw failure("md_create", e);
        }
    }

    private Map<String, Object> assemble(Request r) throws Exception {
        try {
            return named(ArrayAssemble.assemble(arrays, r.string("name"), strings(r, "devices"), cwd(r), uuid(r),
                    r.bool("run", false), r.bool("readonly", false), r.bool("force", false)));
        } catch (MdException e) {
            throw failure("md_assemble", e);
        }
    }

    private Map<String, Object> stop(String name) throws Exception {
        try {
            MdArray a = arrays.get(name);
            a.stop();
            String shown = name.startsWith("/") ? name : "/dev/" + name;
            return Map.of("messages", List.of("mdadm: stopped " + shown));
        } catch (MdException e) {
            if (e.errno() == Errno.ENODEV) {
                throw new ControlException(e.errno(), "md_stop", "mdadm: error opening " + name
                        + ": No such file or directory");
            }
            throw failure("md_stop", e);
        }
    }

    private Map<String, Object> manage(Request r) throws Exception {
        try {
            MdArray a = arrays.get(r.string("name"));
            List<String> messages = ArrayManage.manage(a, r.string("action"), r.string("device"),
                    r.optString("with"), cwd(r));
            return Map.of("messages", messages);
        } catch (MdException e) {
            throw failure("md_manage", e);
        }
    }

    /** md_grow: --bitmap=internal|none on a running array; reshapes (devices, chunk, level, layout, size) not yet. */
    private Map<String, Object> grow(Request r) throws Exception {
        for (String k : List.of("raid_devices", "chunk_kib", "level", "layout", "size_kib")) {
            if (r.has(k)) {
                throw new ControlException(Errno.EINVAL, "md_grow", "mdadm: jdm cannot reshape an array yet ("
                        + k + ")");
            }
        }
        String bitmap = r.optString("bitmap");
        if (bitmap == null) {
            throw new ControlException(Errno.EINVAL, "md_grow", "mdadm: no changes to --grow");
        }
        try {
            MdArray a = arrays.get(r.string("name"));
            switch (bitmap) {
                case "internal" -> a.setInternalBitmap(true);
                case "none" -> a.setInternalBitmap(false);
                default -> throw new ControlException(Errno.EINVAL, "md_grow", "mdadm: jdm supports only"
                        + " --bitmap=internal or none, not " + bitmap);
            }
            return Map.of("messages", List.of());
        } catch (MdException e) {
            throw failure("md_grow", e);
        }
    }

    private Map<String, Object> attr(Request r) throws Exception {
        String name = r.optString("name");
        String attr = r.optString("attr");
        String value = r.optString("value");
        try {
            if (attr == null) {
                return Map.of("names", name == null || name.isEmpty() ? List.of("speed_limit_max", "speed_limit_min")
                        : MdAttributes.names(arrays.get(name)));
            }
            if (name == null || name.isEmpty()) {
                if (value == null) {
                    return Map.of("value", MdAttributes.readGlobal(arrays.settings(), attr));
                }
                MdAttributes.writeGlobal(arrays.settings(), attr, value);
                return Map.of("value", value);
            }
            MdArray a = arrays.get(name);
            if (value == null) {
                return Map.of("value", MdAttributes.read(a, attr));
            }
            MdAttributes.write(a, attr, value);
            return Map.of("value", value);
        } catch (MdException e) {
            throw failure("md_attr", e);
        }
    }

    // ---- md_detail ----

    private Map<String, Object> detail(String name) throws Exception {
        MdArray a;
        try {
            a = arrays.get(name);
        } catch (MdException e) {
            throw new ControlException(e.errno(), "md_detail", "mdadm: cannot open " + name
                    + ": No such file or directory");
        }
        Superblock1 sb = a.info();
        Mddev md = a.mddev();
        int level = sb.level();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", "1.2");
        m.put("creation_time", Superblock1.seconds(sb.ctime()));
        m.put("level", level == -1 ? "linear" : "raid" + level);
        if (md != null) {
            m.put("array_size_kib", md.sizeSectors() / 2);
        }
        if (level != 0 && level != -1) {
            m.put("used_dev_size_kib", sb.size() / 2);
        }
        m.put("raid_devices", (long) sb.raidDisks());
        List<MdMember> members = a.members();
        m.put("total_devices", (long) members.size());
        m.put("persistence", "Superblock is persistent");
        if (a.bitmap() != null) {
            m.put("intent_bitmap", "Internal");
        }
        m.put("update_time", Superblock1.seconds(a.utime()));
        int active = 0;
        int working = 0;
        int failed = 0;
        for (MdMember mm : members) {
            Rdev r = mm.rdev();
            if (r.faulty()) {
                failed++;
            } else {
                working++;
                if (r.role() >= 0 && r.inSync()) {
                    active++;
                }
            }
        }
        SyncThread sync = a.sync();
        StringBuilder state = new StringBuilder(a.inSync() ? "clean" : "active");
        int degraded = md != null ? md.personality().degraded() : sb.raidDisks() - active;
        if (degraded > 0) {
            state.append(", degraded");
        }
        if (sync != null) {
            state.append(switch (sync.action()) {
                case RECOVER -> ", recovering";
                case RESYNC -> ", resyncing";
                case RESHAPE -> ", reshaping";
                case CHECK, REPAIR -> ", checking";
            });
        }
        if (md == null) {
            state.append(", Not Started");
        }
        m.put("state", state.toString());
        m.put("active_devices", (long) active);
        m.put("working_devices", (long) working);
        m.put("failed_devices", (long) failed);
        m.put("spare_devices", (long) (working - active));
        String layout = layoutName(level, sb.layout());
        if (layout != null) {
            m.put("layout", layout);
        }
        if (level == 0 || level == 4 || level == 5 || level == 6 || level == 10) {
            m.put("chunk_kib", (long) sb.chunkSize() / 2);
        }
        m.put("consistency_policy", level == 0 || level == -1 ? "none" : a.bitmap() != null ? "bitmap" : "resync");
        if (sync != null && sync.total() > 0) {
            String key = switch (sync.action()) {
                case RECOVER -> "rebuild_status";
                case RESYNC -> "resync_status";
                case RESHAPE -> "reshape_status";
                case CHECK, REPAIR -> "check_status";
            };
            m.put(key, (sync.position() * 100 / sync.total()) + "% complete");
        }
        m.put("array_name", sb.name());
        m.put("uuid", Superblock1.formatUuid(sb.uuid()));
        m.put("events", a.events());
        m.put("members", detailMembers(sb.raidDisks(), members));
        return m;
    }

    private static List<Object> detailMembers(int raidDisks, List<MdMember> members) {
        List<Object> out = new ArrayList<>();
        for (int role = 0; role < raidDisks; role++) {
            MdMember found = null;
            for (MdMember mm : members) {
                if (mm.rdev().role() == role && !mm.rdev().faulty() && !mm.rdev().has(Rdev.Flag.REPLACEMENT)) {
                    found = mm;
                }
            }
            if (found == null) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("number", -1L);
                e.put("major", 0L);
                e.put("minor", 0L);
                e.put("raid_device", (long) role);
                e.put("state", "removed");
                out.add(e);
            } else {
                out.add(detailMember(found));
            }
            for (MdMember mm : members) {
                if (mm.rdev().role() == role && !mm.rdev().faulty() && mm.rdev().has(Rdev.Flag.REPLACEMENT)) {
                    out.add(detailMember(mm));
                }
            }
        }
        for (MdMember mm : members) {
            Rdev r = mm.rdev();
            if (r.role() < 0 || r.faulty()) {
                out.add(detailMember(mm));
            }
        }
        return out;
    }

    private static Map<String, Object> detailMember(MdMember mm) {
        Rdev r = mm.rdev();
        String state;
        if (r.faulty()) {
            state = "faulty";
        } else if (r.role() < 0) {
            state = "spare";
        } else if (r.has(Rdev.Flag.REPLACEMENT)) {
            state = "spare rebuilding";
        } else {
            state = r.inSync() ? "active sync" : "spare rebuilding";
        }
        if (r.has(Rdev.Flag.WRITE_MOSTLY)) {
            state += " writemostly";
        }
        if (r.has(Rdev.Flag.WANT_REPLACEMENT)) {
            state += " want_replacement";
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("number", (long) mm.devNumber());
        e.put("major", (long) r.major());
        e.put("minor", (long) r.minor());
        e.put("raid_device", (long) (r.faulty() ? -1 : r.role()));
        e.put("state", state);
        e.put("device", mm.path());
        return e;
    }

    /** mdadm's names of a layout (maps.c r5layout / Detail.c's raid10 words); null where it prints none. */
    static String layoutName(int level, int layout) {
        String[] r5 = {"left-asymmetric", "right-asymmetric", "left-symmetric", "right-symmetric", "parity-first",
                "parity-last"};
        if (level == 5 && layout >= 0 && layout < r5.length) {
            return r5[layout];
        }
        if (level == 6) {
            if (layout >= 0 && layout < r5.length) {
                return r5[layout];
            }
            if (layout >= 16 && layout < 16 + 5) {
                return r5[layout - 16] + "-6";
            }
            return layout == 8 ? "rotating-n-restart" : layout == 9 ? "rotating-n-continue"
                    : layout == 10 ? "rotating-zero-restart" : null;
        }
        if (level == 10) {
            int near = layout & 0xff;
            int far = (layout >> 8) & 0xff;
            boolean offset = (layout & 0x10000) != 0;
            List<String> parts = new ArrayList<>();
            if (near > 1) {
                parts.add("near=" + near);
            }
            if (far > 1) {
                parts.add((offset ? "offset=" : "far=") + far);
            }
            return String.join(", ", parts);
        }
        return null;
    }

    // ---- md_list ----

    private List<Object> list() {
        List<Object> out = new ArrayList<>();
        for (MdArray a : arrays.list()) {
            Superblock1 sb = a.info();
            Mddev md = a.mddev();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", a.name());
            m.put("state", md != null ? "active" : "inactive");
            m.put("readonly", a.readMode() != MdArray.ReadMode.RW);
            m.put("read_mode", switch (a.readMode()) {
                case RW -> "rw";
                case READONLY -> "read-only";
                case READ_AUTO -> "auto-read-only";
            });
            m.put("level", sb.level() == -1 ? "linear" : "raid" + sb.level());
            List<Object> members = new ArrayList<>();
            for (MdMember mm : a.members()) {
                Rdev r = mm.rdev();
                String flags = r.faulty() ? "(F)" : r.role() < 0 ? "(S)" : "";
                if (r.has(Rdev.Flag.WRITE_MOSTLY)) {
                    flags += "(W)";
                }
                if (r.has(Rdev.Flag.REPLACEMENT)) {
                    flags += "(R)";
                }
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("device", mm.path());
                e.put("index", (long) mm.devNumber());
                e.put("flags", flags);
                members.add(e);
            }
            m.put("members", members);
            long sizeKib = md != null ? md.sizeSectors() / 2 : 0;
            for (MdMember mm : a.members()) {
                if (md == null) {
                    sizeKib += mm.rdev().sectors() / 2;
                }
            }
            m.put("size_kib", sizeKib);
            m.put("version", "1.2");
            if (md != null) {
                m.put("status", " " + md.personality().status()); // the kernel's status functions start with a space
            }
            var bitmap = a.bitmap();
            if (bitmap != null) {
                // md_bitmap_status: in-memory counter pages (2048 16-bit counters each) in use / all of them
                long pages = (bitmap.chunks() + 2047) / 2048;
                long used = bitmap.dirtyBits() > 0 ? pages : 0;
                m.put("bitmap", used + "/" + pages + " pages [" + used * 4 + "KB], " + bitmap.chunkSectors() / 2
                        + "KB chunk");
            }
            SyncThread s = a.sync();
            if (s != null) {
                Map<String, Object> sy = new LinkedHashMap<>();
                sy.put("action", s.action() == SyncAction.RECOVER ? "recovery" : s.action().sysfsName());
                sy.put("position_sectors", s.position());
                sy.put("total_sectors", s.total());
                sy.put("speed_kibs", s.speedKibs());
                String finish = s.finishText(); // "1.2min"
                sy.put("finish_minutes", finish.endsWith("min") ? finish.substring(0, finish.length() - 3) : finish);
                m.put("sync", sy);
            }
            out.add(m);
        }
        return out;
    }
}
