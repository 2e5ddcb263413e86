package jdm.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdm.cli.MdadmMaps.Mode;
import jdm.cli.MdadmParser.Dev;
import jdm.cli.MdadmParser.Parsed;
import jdm.control.ControlException;
import jdm.control.Errno;

/**
 * Carries out a parsed mdadm command line against the daemon's md operations, printing what mdadm 4.2 prints
 * (its messages on standard error, --detail on standard output) and returning its exit status: 0, 1 when an
 * operation failed, 2 for a command line mdadm refuses.
 */
final class MdadmRun {
    /** The daemon, as one call per md operation (MdClient::call; a fake in tests). */
    interface Ops {
        Map<String, Object> call(String op, Map<String, Object> args) throws IOException, ControlException;
    }

    /** Reads member files for what mdadm would warn about before creating over them (a test may replace it). */
    interface MemberProbe {
        /** mdadm's check_raid lines for a member holding an md superblock, or an empty list. */
        List<String> oldArray(Path member);
    }

    private final Ops ops;
    private final PrintWriter out;
    private final PrintWriter err;
    private final BufferedReader in;
    private final Path cwd;
    private final ZoneId zone;
    private final MemberProbe probe;
    private final MdExamineRunner examine;

    MdadmRun(Ops ops, PrintWriter out, PrintWriter err, BufferedReader in, Path cwd, ZoneId zone, MemberProbe probe,
             MdExamineRunner examine) {
        this.ops = ops;
        this.out = out;
        this.err = err;
        this.in = in;
        this.cwd = cwd;
        this.zone = zone;
        this.probe = probe;
        this.examine = examine;
    }

    /** How --examine was asked: the homehost, --brief, --scan, --verbose's count. */
    record Examining(String homehost, boolean brief, boolean scan, int verbose) {
    }

    /** --examine FILE...: reads the members itself (needs no daemon). */
    interface MdExamineRunner {
        /** Prints mdadm --examine for each file; returns the exit status. */
        int examine(List<String> files, Path cwd, Examining how, PrintWriter out, PrintWriter err);
    }

    int run(Parsed p) {
        for (String w : p.warnings) {
            err.print(w + "\n");
        }
        if (p.printHelp != 0) {
            out.print(MdadmHelp.text(p.printHelp == 2 ? null : p.mode));
            return 0;
        }
        try {
            return switch (p.mode) {
                case CREATE -> create(p);
                case ASSEMBLE -> assemble(p);
                case MANAGE -> manage(p);
                case GROW -> grow(p);
                case MISC -> misc(p);
                default -> fail(2, "mdadm: --" + p.mode.word + " mode is not available in jdm");
            };
        } catch (MdadmExit e) {
            err.print(e.getMessage() + "\n");
            return e.status();
        } catch (IOException e) {
            err.print("mdadm: " + e.getMessage() + "\n");
            return 1;
        }
    }

    private int fail(int status, String message) {
        err.print(message + "\n");
        return status;
    }

    // ---- --create ----

    private int create(Parsed p) throws IOException, MdadmExit {
        if (p.raidDisks == 0) {
            return fail(1, "mdadm: no raid-devices specified.");
        }
        String md = p.devs.getFirst().name();
        List<String> members = new ArrayList<>();
        for (Dev d : p.devs.subList(1, p.devs.size())) {
            members.add(d.name());
        }
        int level = p.level;
        if (level == MdadmMaps.UNSET) {
            return fail(1, "mdadm: a RAID level is needed to create an array.");
        }
        if (p.raidDisks < 4 && level == 6) {
            return fail(1, "mdadm: at least 4 raid-devices needed for level 6");
        }
        if (p.raidDisks > 256 && level == 6) {
            return fail(1, "mdadm: no more than 256 raid-devices supported for level 6");
        }
        if (p.raidDisks < 2 && level >= 4) {
            return fail(1, "mdadm: at least 2 raid-devices needed for level " + level);
        }
        if (level <= 0 && p.spareDisks != 0) {
            return fail(1, "mdadm: This level does not support spare devices");
        }
        int wanted = p.raidDisks + p.spareDisks;
        if (members.size() > wanted) {
            return fail(1, "mdadm: You have listed more devices (" + members.size() + ") than are in the array("
                    + wanted + ")!");
        }
        if (members.size() < wanted) {
            return fail(1, "mdadm: You haven't given enough devices (real or missing) to create this array");
        }
        if (p.bitmap != null && level <= 0) {
            String name = MdadmMaps.mapNum(MdadmMaps.PERS, level);
            return fail(1, "mdadm: bitmaps not meaningful with level " + (name == null ? "given" : name));
        }
        int layout = p.layout == MdadmMaps.UNSET ? MdadmMaps.defaultLayout(level) : p.layout;
        if (level == 10 && (layout & 255) * ((layout >> 8) & 255) > p.raidDisks) {
            return fail(1, "mdadm: that layout requires at least " + (layout & 255) * ((layout >> 8) & 255)
                    + " devices");
        }
        Integer chunk = null;
        switch (level) {
            case 0, 4, 5, 6, 10 -> chunk = p.chunkKib == 0 ? 512 : p.chunkKib; // super1's DEFAULT_CHUNK
            case MdadmMaps.LEVEL_LINEAR -> chunk = p.chunkKib == 0 ? null : p.chunkKib;
            case 1, MdadmMaps.LEVEL_FAULTY, MdadmMaps.LEVEL_MULTIPATH, MdadmMaps.LEVEL_CONTAINER -> {
                if (p.chunkKib != 0) {
                    return fail(1, "mdadm: specifying chunk size is forbidden for this level");
                }
            }
            default -> {
                return fail(1, "mdadm: unknown level " + level);
            }
        }
        if (level == MdadmMaps.LEVEL_FAULTY || level == MdadmMaps.LEVEL_MULTIPATH
                || level == MdadmMaps.LEVEL_CONTAINER) {
            return fail(1, "mdadm: jdm has no " + MdadmMaps.mapNum(MdadmMaps.PERS, level) + " personality");
        }
        if (p.metadata != null && !List.of("1.2", "1", "default", "1.default", "1.2.default").contains(p.metadata)) {
            return fail(1, "mdadm: jdm creates version 1.2 metadata only, not " + p.metadata);
        }
        if (!warnAndAsk(p, members)) {
            return fail(1, "mdadm: create aborted.");
        }
        if (p.metadata == null && p.verbose >= 0) {
            err.print("mdadm: Defaulting to version 1.2 metadata\n");
            err.flush();
        }
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("name", md);
        req.put("level", level);
        req.put("layout", layout);
        req.put("chunk_kib", chunk);
        req.put("raid_devices", p.raidDisks);
        req.put("spare_devices", p.spareDisks == 0 ? null : p.spareDisks);
        req.put("bitmap", p.bitmap);
        req.put("assume_clean", p.assumeClean);
        req.put("run", p.runstop > 0);
        req.put("force", p.force ? Boolean.TRUE : null);
        req.put("readonly", p.readonly > 0 ? Boolean.TRUE : null);
        req.put("homehost", p.homehost);
        req.put("array_name", p.name != null && !p.name.isEmpty() ? p.name : defaultName(md));
        req.put("uuid", p.uuid);
        req.put("size_kib", p.sizeKib > 0 ? p.sizeKib : null);
        req.put("consistency_policy", p.consistencyPolicy);
        req.put("devices", members);
        req.put("cwd", cwd.toString());
        Map<String, Object> reply;
        try {
            reply = ops.call("md_create", req);
        } catch (ControlException e) {
            return failed(e, "mdadm: RUN_ARRAY failed: " + Errno.strerror(e.errno()));
        }
        return messages(reply, "mdadm: array " + md + " started.");
    }

    /**
     * Create.c: members that already hold an md superblock are reported (check_raid) and, without --run, mdadm
     * asks "Continue creating array?" on standard input; no answer (end of input) or "n" aborts. With --run it goes
     * on after the report, as mdadm does.
     */
    private boolean warnAndAsk(Parsed p, List<String> members) throws IOException {
        boolean warn = false;
        for (String m : members) {
            if (m.equals("missing")) {
                continue;
            }
            List<String> lines = probe.oldArray(cwd.resolve(m));
            if (!lines.isEmpty()) {
                warn = true;
                if (p.runstop != 1 || p.verbose >= 0) {
                    err.print("mdadm: " + m + lines.getFirst() + "\n");
                    for (String l : lines.subList(1, lines.size())) {
                        err.print(l + "\n");
                    }
                }
            }
        }
        if (!warn || p.runstop == 1) {
            return true;
        }
        String add = "";
        for (int i = 0; i < 5; i++) {
            err.print("Continue creating array? " + add);
            err.flush();
            String answer = in.readLine();
            if (answer == null) {
                return false;
            }
            if (answer.startsWith("y") || answer.startsWith("Y")) {
                return true;
            }
            if (answer.startsWith("n") || answer.startsWith("N")) {
                return false;
            }
            add = "(y/n) ";
        }
        err.print("mdadm: assuming 'no'\n");
        return false;
    }

    /** The name Create.c derives from the device: /dev/md0 → "0", /dev/md_foo → "foo", /dev/md/home → "home". */
    static String defaultName(String md) {
        String path = md.contains("/") ? md : "/dev/" + md;
        int slash = path.lastIndexOf('/');
        String name = path.substring(slash + 1);
        boolean inDev = slash == 4 && path.startsWith("/dev/");
        if (inDev && name.startsWith("md_") && name.length() > 3) {
            return name.substring(3);
        }
        if (inDev && name.startsWith("md") && name.length() > 2 && Character.isDigit(name.charAt(2))) {
            return name.substring(2);
        }
        return name;
    }

    // ---- --assemble ----

    private int assemble(Parsed p) throws IOException {
        if (p.scan) {
            if (p.devs.isEmpty()) {
                return fail(1, "mdadm: No arrays found in config file or automatically");
            }
            for (Dev d : p.devs) {
                err.print("mdadm: " + d.name() + " not identified in config file.\n");
            }
            return 1;
        }
        String md = p.devs.getFirst().name();
        if (p.devs.size() == 1 && p.uuid == null && p.name == null) {
            return fail(1, "mdadm: " + md + " not identified in config file.");
        }
        List<String> members = new ArrayList<>();
        for (Dev d : p.devs.subList(1, p.devs.size())) {
            members.add(d.name());
        }
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("name", md);
        req.put("devices", members);
        req.put("cwd", cwd.toString());
        req.put("uuid", p.uuid);
        req.put("array_name", p.name);
        req.put("run", p.runstop > 0);
        req.put("readonly", p.readonly > 0);
        req.put("force", p.force);
        try {
            return messages(ops.call("md_assemble", req), null);
        } catch (ControlException e) {
            return failed(e, "mdadm: failed to RUN_ARRAY " + md + ": " + Errno.strerror(e.errno()));
        }
    }

    // ---- --manage and the short form "mdadm /dev/md0 --fail X" ----

    private int manage(Parsed p) throws IOException {
        String md = p.devs.getFirst().name();
        if (p.readonly > 0 && setState(md, "readonly", "mdadm: failed to set readonly for " + md) != 0) {
            return 1;
        }
        List<Dev> subs = p.devs.subList(1, p.devs.size());
        for (int i = 0; i < subs.size(); i++) {
            Dev d = subs.get(i);
            String action;
            String with = null;
            String fallback;
            switch (d.disposition()) {
                case 'a', 'S' -> {
                    action = "add";
                    fallback = "mdadm: added " + d.name();
                }
                case 'A' -> {
                    action = "re-add";
                    fallback = "mdadm: re-added " + d.name();
                }
                case 'r' -> {
                    action = "remove";
                    fallback = "mdadm: hot removed " + d.name() + " from " + md;
                }
                case 'f' -> {
                    action = "fail";
                    fallback = "mdadm: set " + d.name() + " faulty in " + md;
                }
                case 'R' -> {
                    action = "replace";
                    fallback = null;
                    int withAt = firstWith(subs, i);
                    if (withAt >= 0) {
                        with = subs.get(withAt).name();
                        subs = withoutIndex(subs, withAt);
                    }
                }
                case 'W' -> {
                    continue; // a --with no --replace took: mdadm leaves it unused
                }
                default -> {
                    return fail(1, "mdadm: jdm cannot do that to " + d.name());
                }
            }
            Map<String, Object> req = new LinkedHashMap<>();
            req.put("name", md);
            req.put("action", action);
            req.put("device", d.name());
            req.put("with", with);
            req.put("force", p.force ? Boolean.TRUE : null);
            req.put("cwd", cwd.toString());
            try {
                messages(ops.call("md_manage", req), fallback);
            } catch (ControlException e) {
                if (e.errno() == Errno.ENODEV) {
                    return failed(e, "mdadm: error opening " + md + ": " + Errno.strerror(Errno.ENOENT));
                }
                String why = Errno.strerror(e.errno());
                return failed(e, switch (action) {
                    case "fail" -> "mdadm: set device faulty failed for " + d.name() + ":  " + why;
                    case "remove" -> "mdadm: hot remove failed for " + d.name() + ": " + why;
                    case "add", "re-add" -> "mdadm: add new device failed for " + d.name() + ": " + why;
                    default -> "mdadm: Marking " + d.name() + " for replacement failed: " + why;
                });
            }
        }
        if (p.runstop > 0 && setState(md, "active", "mdadm: failed to run array " + md) != 0) {
            return 1;
        }
        if (p.runstop < 0) {
            return stop(md);
        }
        return 0;
    }

    private static int firstWith(List<Dev> devs, int after) {
        for (int j = after + 1; j < devs.size(); j++) {
            if (devs.get(j).disposition() == 'W') {
                return j;
            }
        }
        return -1;
    }

    private static List<Dev> withoutIndex(List<Dev> devs, int at) {
        List<Dev> out = new ArrayList<>(devs);
        out.remove(at);
        return out;
    }

    private int setState(String md, String state, String failure) throws IOException {
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("name", md);
        req.put("attr", "array_state");
        req.put("value", state);
        try {
            ops.call("md_attr", req);
            return 0;
        } catch (ControlException e) {
            return failed(e, failure + ": " + Errno.strerror(e.errno()));
        }
    }

    private int stop(String md) throws IOException {
        try {
            return messages(ops.call("md_stop", Map.of("name", md)), "mdadm: stopped " + md);
        } catch (ControlException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENODEV || e.errno() == Errno.ENXIO) {
                return failed(e, "mdadm: error opening " + md + ": " + Errno.strerror(Errno.ENOENT));
            }
            return failed(e, "mdadm: Cannot get exclusive access to " + md
                    + ":Perhaps a running process, mounted filesystem or active volume group?");
        }
    }

    // ---- --grow ----

    private int grow(Parsed p) throws IOException {
        String md = p.devs.getFirst().name();
        if (p.devs.size() > 1 && p.raidDisks == 0 && p.level == MdadmMaps.UNSET) {
            if (p.sizeKib > 0 || p.chunkKib != 0 || p.layoutStr != null || p.bitmap != null) {
                return fail(1, "mdadm: --add cannot be used with other geometry changes in --grow mode");
            }
            return fail(1, "mdadm: jdm cannot --grow --add; use --add, then --grow --raid-devices");
        }
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("name", md);
        if (p.bitmap != null) {
            if (p.sizeKib > 0 || p.raidDisks != 0 || p.chunkKib != 0 || p.layoutStr != null || p.devs.size() > 1) {
                return fail(1, "mdadm: --bitmap changes cannot be used with other geometry changes in --grow mode");
            }
            req.put("bitmap", p.bitmap);
        } else if (p.sizeKib > 0 || p.sizeMax || p.raidDisks != 0 || p.layoutStr != null || p.chunkKib != 0
                || p.level != MdadmMaps.UNSET) {
            req.put("raid_devices", p.raidDisks == 0 ? null : p.raidDisks);
            req.put("chunk_kib", p.chunkKib == 0 ? null : p.chunkKib);
            req.put("level", p.level == MdadmMaps.UNSET ? null : p.level);
            req.put("layout", p.layoutStr == null ? null : growLayout(p));
            req.put("size_kib", p.sizeMax ? "max" : p.sizeKib > 0 ? p.sizeKib : null);
        } else if (p.consistencyPolicy != null) {
            req.put("consistency_policy", p.consistencyPolicy);
        } else {
            err.print("mdadm: no changes to --grow\n");
            return 0;
        }
        try {
            return messages(ops.call("md_grow", req), null);
        } catch (ControlException e) {
            return failed(e, "mdadm: Cannot set device shape for " + md + ": " + Errno.strerror(e.errno()));
        }
    }

    /** A --grow layout: md's number when --level says which map to read it with, else the word for the daemon. */
    private static Object growLayout(Parsed p) {
        try {
            return switch (p.level) {
                case 0, 5, 6, 10 -> parseLayoutOrWord(p.level, p.layoutStr);
                default -> p.layoutStr;
            };
        } catch (MdadmExit e) {
            return p.layoutStr;
        }
    }

    private static Object parseLayoutOrWord(int level, String s) throws MdadmExit {
        int l = switch (level) {
            case 0 -> MdadmMaps.mapName(MdadmMaps.R0LAYOUT, s);
            case 5 -> MdadmMaps.mapName(MdadmMaps.R5LAYOUT, s);
            case 6 -> MdadmMaps.mapName(MdadmMaps.R6LAYOUT, s);
            default -> MdadmMaps.parseLayout10(s);
        };
        return l == MdadmMaps.UNSET || l < 0 ? s : (Object) l;
    }

    // ---- --misc: --detail, --examine, --stop, --run, --readonly, --readwrite, --action ----

    private int misc(Parsed p) throws IOException {
        if (p.devmode == 'E') {
            if (p.devs.isEmpty()) {
                return fail(2, p.scan ? "mdadm: jdm has no config file to --scan" : "mdadm: No devices to examine");
            }
            List<String> files = new ArrayList<>();
            for (Dev d : p.devs) {
                files.add(d.name());
            }
            return examine.examine(files, cwd, new Examining(p.requireHomehost ? p.homehost : null, p.brief || p.scan,
                    p.scan, p.verbose), out, err);
        }
        List<Dev> devs = p.devs;
        if (devs.isEmpty()) {
            if ((p.devmode == 'S' || p.devmode == 'D') && p.scan) {
                devs = new ArrayList<>();
                for (String name : arrayNames()) {
                    devs.add(new Dev("/dev/" + name, p.devmode));
                }
                if (p.devmode == 'D') {
                    p.brief = true;
                }
            } else {
                return fail(2, "mdadm: No devices given.");
            }
        }
        int rv = 0;
        for (Dev d : devs) {
            switch (d.disposition()) {
                case 'D' -> rv |= detail(d.name(), p);
                case 'S' -> rv |= stop(d.name());
                case 'R' -> rv |= setState(d.name(), "active", "mdadm: failed to run array " + d.name());
                case 'o' -> rv |= setState(d.name(), "readonly", "mdadm: failed to set readonly for " + d.name());
                case 'w' -> rv |= setState(d.name(), "active", "mdadm: failed to set writable for " + d.name());
                case MdadmParser.ACTION -> rv |= action(d.name(), p.action);
                case 'W', MdadmParser.WAIT_OPT -> rv |= waitIdle(d.name());
                case 'Q' -> rv |= query(d.name());
                case MdadmParser.KILL_OPT -> rv |= zeroSuperblock(d.name(), p.verbose);
                default -> rv |= fail(1, "mdadm: that --misc action is not available in jdm (" + d.name() + ")");
            }
        }
        return rv;
    }

    private List<String> arrayNames() throws IOException {
        List<String> names = new ArrayList<>();
        try {
            if (ops.call("md_list", Map.of()).get("arrays") instanceof List<?> arrays) {
                for (Object a : arrays) {
                    if (a instanceof Map<?, ?> m && m.get("name") != null) {
                        names.add(m.get("name").toString());
                    }
                }
            }
        } catch (ControlException e) {
            failed(e, "mdadm: cannot list arrays");
        }
        return names;
    }

    private int action(String md, String action) throws IOException {
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("name", md);
        req.put("attr", "sync_action");
        req.put("value", action);
        try {
            ops.call("md_attr", req);
            return 0;
        } catch (ControlException e) {
            return failed(e, "mdadm: Count not set action for " + md + " to " + action + ": "
                    + Errno.strerror(e.errno()));
        }
    }

    /**
     * Monitor.c Wait: until the array's sync action is idle (a frozen one counts as idle after three looks); 1
     * when there was nothing to wait for, 0 after waiting, 2 for an array that is not there.
     */
    private int waitIdle(String md) throws IOException {
        int rv = 1;
        int frozenRemaining = 3;
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("name", md);
        req.put("attr", "sync_action");
        while (true) {
            String action;
            try {
                action = String.valueOf(ops.call("md_attr", req).get("value")).strip();
            } catch (ControlException e) {
                return rv == 1 ? failed(e, "mdadm: stat failed for " + md + ": " + Errno.strerror(Errno.ENOENT)) + 1
                        : rv;
            }
            if (action.equals("idle") || (action.equals("frozen") && frozenRemaining-- == 0)) {
                return rv;
            }
            rv = 0;
            try {
                Thread.sleep(WAIT_POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 2;
            }
        }
    }

    /**
     * Query.c: "mdadm DEVICE" with no mode. An array: its size, level, devices and spares; a member file: that it
     * is not an array, and which array its superblock names (no mdadm map here: "inactive ... array").
     */
    private int query(String dev) throws IOException {
        try {
            Map<String, Object> r = ops.call("md_detail", Map.of("name", dev));
            int spares = MdDetailFormat.intOf(r.get("spare_devices"), 0);
            out.print(dev + ": " + MdDetailFormat.humanSizeBrief(MdDetailFormat.longOf(r.get("array_size_kib"), 0)
                    * 1024) + " " + r.get("level") + " " + MdDetailFormat.intOf(r.get("raid_devices"), 0)
                    + " devices, " + spares + " spare" + (spares == 1 ? "" : "s")
                    + ". Use mdadm --detail for more detail.\n");
            out.flush();
            return 0;
        } catch (ControlException e) {
            // not an array of the daemon's: a file, perhaps a member
        }
        Path file = cwd.resolve(dev);
        if (!java.nio.file.Files.exists(file)) {
            return fail(1, "mdadm: cannot open " + dev + ": No such file or directory");
        }
        out.print(dev + ": is not an md array\n");
        try {
            jdm.control.MdExamine.Brief b = java.nio.file.Files.isRegularFile(file)
                    ? jdm.control.MdExamine.brief(file, dev) : null;
            if (b != null) {
                out.print(dev + ": device " + b.devNumber() + " in " + b.raidDisks() + " device inactive "
                        + MdadmMaps.mapNum(MdadmMaps.PERS, b.level()) + " array.  Use mdadm --examine for more"
                        + " detail.\n");
            }
        } catch (IOException e) {
            // unreadable: only the first line, as mdadm without a superblock
        }
        out.flush();
        return 0;
    }

    /**
     * --zero-superblock (Kill.c, run until no superblock is left): each v1.x superblock's first 512 bytes zeroed,
     * as store_super1 writes an empty one. A file without one: "Unrecognised md component device", status 0 as
     * mdadm's misc_list makes it; a file that cannot be opened for writing: status 2.
     */
    private int zeroSuperblock(String dev, int verbose) {
        Path file = cwd.resolve(dev);
        for (int round = 0; ; round++) {
            jdm.control.MdExamine.Brief b;
            try {
                if (!java.nio.file.Files.isRegularFile(file) || !java.nio.file.Files.isWritable(file)) {
                    throw new IOException("not writable");
                }
                b = jdm.control.MdExamine.brief(file, dev);
            } catch (IOException e) {
                if (verbose >= 0) {
                    err.print("mdadm: Couldn't open " + dev + " for write - not zeroing\n");
                }
                return 2;
            }
            if (b == null) {
                if (round == 0 && verbose >= 0) {
                    err.print("mdadm: Unrecognised md component device - " + dev + "\n");
                }
                return 0;
            }
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                    java.nio.file.StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer zeros = java.nio.ByteBuffer.allocate(512);
                long at = b.superOffset() << 9;
                while (zeros.hasRemaining()) {
                    ch.write(zeros, at + zeros.position());
                }
                ch.force(true);
            } catch (IOException e) {
                if (verbose >= 0) {
                    err.print("mdadm: Could not zero superblock on " + dev + "\n");
                }
                return 1;
            }
        }
    }

    /** How often --wait looks again (mdadm sleeps in select() on /proc/mdstat until it changes). */
    static final long WAIT_POLL_MS = 100;

    private int detail(String md, Parsed p) throws IOException {
        Map<String, Object> reply;
        try {
            reply = ops.call("md_detail", Map.of("name", md));
        } catch (ControlException e) {
            return failed(e, "mdadm: cannot open " + md + ": " + Errno.strerror(
                    e.errno() == Errno.ENODEV || e.errno() == Errno.ENXIO ? Errno.ENOENT : e.errno()));
        }
        out.print(p.brief ? MdDetailFormat.brief(md, reply)
                : MdDetailFormat.detail(md, reply, p.requireHomehost ? p.homehost : null, zone));
        out.flush();
        return 0;
    }

    // ---- replies ----

    /** Prints a reply's messages (mdadm's lines), or the fallback line when it carries none; status 0. */
    private int messages(Map<String, Object> reply, String fallback) {
        boolean any = false;
        if (reply.get("messages") instanceof List<?> lines) {
            for (Object l : lines) {
                err.print(l + "\n");
                any = true;
            }
        }
        if (!any && fallback != null) {
            err.print(fallback + "\n");
        }
        err.flush();
        return 0;
    }

    /**
     * A refused operation: the daemon's message when it is mdadm's own (starts with "mdadm: "; several lines
     * allowed), else mdadm's line for the failure; status 1.
     */
    private int failed(ControlException e, String fallback) {
        String m = e.getMessage();
        err.print((m != null && m.startsWith("mdadm: ") ? m : fallback) + "\n");
        err.flush();
        return 1;
    }
}
