package jdm.control;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import jdm.dm.DeviceNamespace;
import jdm.dm.DmDev;
import jdm.dm.DmException;
import jdm.dm.MappedDevice;
import jdm.dm.StatusType;
import jdm.dm.Table;
import jdm.dm.TableLine;
import jdm.dm.TargetType;

/**
 * The dm subsystem's control operations: the dm ioctls of drivers/md/dm-ioctl.c, one method each, registered into
 * {@link Operations}. Each is one or more calls on the namespace, which keeps its own lock: nothing here
 * synchronizes on it, so a resume that drains one device never stalls a listing of the others. A failure throws
 * with the errno the kernel's ioctl returns; {@link Operations} turns it into the reply and the kernel-log line.
 *
 * <p>Operations ("op" of the request; the ioctl named in errors in brackets) and their arguments:
 * <pre>
 * version                                                  [version]  -> driver, daemon
 * list                                                     [names]    -> devices: [{name, dev, deps}]
 * create   name, uuid?, readOnly?, table?, cwd?            [create, then reload and resume when a table is given]
 * load     name, table, cwd?, readOnly?                    [reload]   (a table error carries the device number)
 * clear    name                                            [clear]
 * suspend  name, noflush?                                  [suspend]
 * resume   name                                            [resume]
 * remove   name, force?                                    [remove]
 * info     name?, inactive?                                [info]     -> devices: [DeviceInfo]
 * table    name?, target?, inactive?                       [table]    -> devices: [{name, targets}]
 * status   name?, target?, inactive?                       [status]   -> devices: [{name, targets}]
 * deps     name?                                           [deps]     -> devices: [{name, dev, deps}]
 * message  name, sector, message                           [message]  -> response
 * targets                                                  [versions] -> targets: [{name, major, minor, patch}]
 * setuuid  name, uuid                                      [rename]
 * rename   name, newName                                   [rename]
 * wait     name, eventNr, timeoutMillis?                   [waitevent] -> eventNr
 * </pre>
 * A missing name means every device, in name order. cwd is the caller's working directory (absolute), against
 * which relative backing-file paths in the table resolve; without it the daemon's own is used.
 */
final class DmIoctl implements Subsystem {
    /** The dm ioctl interface version jdm answers to (Linux 6.1's). */
    static final String DRIVER_VERSION = "4.47.0";
    static final String DAEMON_VERSION = "jdm 0.1.0";

    private static final System.Logger LOG = System.getLogger(DmIoctl.class.getName());
    private static final long WAIT_SLICE_MILLIS = 200;

    private final DeviceNamespace ns;
    private final BooleanSupplier closing;

    DmIoctl(DeviceNamespace ns, BooleanSupplier closing) {
        this.ns = ns;
        this.closing = closing;
    }

    /** Registers the dm ioctls: the op clients send, the ioctl libdm names in its errors, the method. */
    @Override
    public void register(Operations ops) {
        ops.register("version", "version", r -> body("driver", DRIVER_VERSION, "daemon", DAEMON_VERSION));
        ops.register("list", "names", r -> body("devices", deps((String) null)));
        ops.register("create", "create", this::create);
        ops.register("load", "reload", this::load);
        ops.register("clear", "clear", r -> {
            ns.clear(r.string("name"));
            return Map.of();
        });
        ops.register("suspend", "suspend", r -> {
            ns.suspend(r.string("name"), r.bool("noflush", false));
            return Map.of();
        });
        ops.register("resume", "resume", r -> {
            ns.resume(r.string("name"));
            return Map.of();
        });
        ops.register("remove", "remove", r -> remove(r.string("name"), r.bool("force", false)));
        ops.register("info", "info", r -> body("devices", info(r.optString("name"), r.bool("inactive", false))));
        ops.register("table", "table", r -> body("devices", tables(r, StatusType.TABLE)));
        ops.register("status", "status", r -> body("devices", tables(r, StatusType.INFO)));
        ops.register("deps", "deps", r -> body("devices", deps(r.optString("name"))));
        ops.register("message", "message", r -> body("response", message(r.string("name"), r.longValue("sector"),
                r.string("message"))));
        ops.register("targets", "versions", r -> body("targets", targets()));
        ops.register("setuuid", "rename", r -> {
            ns.setUuid(r.string("name"), r.string("uuid"));
            return Map.of();
        });
        ops.register("rename", "rename", r -> {
            ns.rename(r.string("name"), r.string("newName"));
            return Map.of();
        });
        ops.register("wait", "waitevent", r -> body("eventNr", (long) waitEvent(r)));
    }

    private static Map<String, Object> body(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Path cwd(Request r, String ioctl) throws WireException, ControlException {
        String cwd = r.optString("cwd");
        if (cwd == null) {
            return Path.of("").toAbsolutePath();
        }
        Path p = Path.of(cwd);
        if (!p.isAbsolute()) {
            throw new ControlException(Errno.EINVAL, ioctl, "cwd must be an absolute path, got \"" + cwd + "\"");
        }
        return p;
    }

    /** The load ioctl; a refused table names the device by number, as the kernel's table log line does. */
    private Map<String, Object> load(Request r) throws WireException, ControlException {
        String name = r.string("name");
        String table = r.string("table");
        Path cwd = cwd(r, "reload");
        MappedDevice md = null;
        try {
            md = ns.get(name);
            ns.load(name, table, cwd, r.bool("readOnly", false));
            return Map.of();
        } catch (DmException e) {
            throw new ControlException(e.errno(), "reload", e.getMessage(), md == null ? null : devNo(md));
        }
    }

    /**
     * Create, then load and resume when a table is given, failing as the step that failed: libdm's
     * _create_and_load_v4 issues the create, reload and resume ioctls one after the other and removes the device
     * again when a later one fails. Like those ioctls, each step takes the namespace's lock on its own.
     */
    private Map<String, Object> create(Request r) throws ControlException, WireException, InterruptedException {
        String name = r.string("name");
        String uuid = r.optString("uuid");
        boolean readOnly = r.bool("readOnly", false);
        String table = r.optString("table");
        Path cwd = table == null ? null : cwd(r, "create");
        MappedDevice md;
        try {
            md = ns.create(name, uuid, readOnly);
        } catch (DmException e) {
            throw new ControlException(e.errno(), "create", e.getMessage());
        }
        if (table == null) {
            return Map.of();
        }
        String step = "reload";
        try {
            ns.load(name, table, cwd, readOnly);
            step = "resume";
            ns.resume(name);
            return Map.of();
        } catch (DmException e) {
            undoCreate(name);
            throw new ControlException(e.errno(), step, e.getMessage(), devNo(md));
        } catch (InterruptedException | RuntimeException e) {
            undoCreate(name);
            throw e;
        }
    }

    private void undoCreate(String name) {
        try {
            ns.remove(name);
        } catch (DmException | InterruptedException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not remove " + name + " after its create failed", e);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Removes a device. With force, as "dmsetup remove --force": first its table is replaced by an error target of
     * the same size (so a device still open fails I/O instead of holding on), then it is removed, which still
     * fails with EBUSY while it is open. Separate namespace calls, as dmsetup's separate ioctls.
     */
    private Map<String, Object> remove(String name, boolean force) throws DmException, InterruptedException {
        if (force) {
            Table live = ns.get(name).liveTable();
            if (live != null) {
                try {
                    ns.load(name, "0 " + live.sizeSectors() + " error", Path.of("/"));
                    ns.resume(name);
                } catch (DmException e) {
                    // as dmsetup, which ignores a failed wipe_table and goes on to remove
                    LOG.log(System.Logger.Level.DEBUG, "remove --force: error table for " + name + ": "
                            + e.getMessage());
                }
            }
        }
        ns.remove(name);
        return Map.of();
    }

    private List<MappedDevice> devices(String name) throws DmException {
        return name == null ? ns.list() : List.of(ns.get(name));
    }

    /**
     * The info ioctl (__dev_status): with inactive (DM_QUERY_INACTIVE_TABLE_FLAG) the target count and read-only
     * flag come from the inactive table, if there is one.
     */
    private List<Object> info(String name, boolean inactive) throws DmException {
        List<Object> out = new ArrayList<>();
        for (MappedDevice md : devices(name)) {
            Table live = md.liveTable();
            Table next = md.inactiveTable();
            int targets = live == null ? 0 : live.size();
            boolean readOnly = md.readOnly();
            if (inactive) {
                targets = next == null ? 0 : next.size();
                readOnly = readOnly || next != null && next.readOnly();
            }
            out.add(new DeviceInfo(md.name(), md.uuid(), devNo(md), md.suspended(), readOnly, live != null,
                    next != null, md.openCount(), md.eventNr(), targets, md.readAheadSectors()).toWire());
        }
        return out;
    }

    private List<Object> tables(Request r, StatusType type) throws DmException, WireException {
        String targetType = r.optString("target");
        boolean inactive = r.bool("inactive", false);
        List<Object> out = new ArrayList<>();
        for (MappedDevice md : devices(r.optString("name"))) {
            List<TargetLine> lines = new ArrayList<>();
            Table t = inactive ? md.inactiveTable() : md.liveTable();
            StringBuilder sb = new StringBuilder();
            for (int i = 0; t != null && i < t.size(); i++) {
                Table.Entry e = t.entry(i);
                if (targetType != null && !targetType.equals(e.type().name())) {
                    continue;
                }
                sb.setLength(0);
                e.target().status(type, sb);
                lines.add(new TargetLine(e.beginSector(), e.lengthSectors(), e.type().name(), sb.toString()));
            }
            out.add(new DeviceTable(md.name(), lines).toWire());
        }
        return out;
    }

    private List<Object> deps(String name) throws DmException {
        List<Object> out = new ArrayList<>();
        for (MappedDevice md : devices(name)) {
            out.add(new DeviceDeps(md.name(), devNo(md), deps(md.liveTable())).toWire());
        }
        return out;
    }

    /**
     * The devices a table uses, each once, newest first: the kernel keeps a table's dm_devs in a list it adds to at
     * the head (dm_get_device), and the deps ioctl walks that list.
     */
    static List<DevNo> deps(Table t) {
        if (t == null) {
            return List.of();
        }
        Set<DevNo> unique = new LinkedHashSet<>();
        for (DmDev d : t.devices()) {
            unique.add(new DevNo(d.devt().major(), d.devt().minor()));
        }
        List<DevNo> out = new ArrayList<>(unique);
        Collections.reverse(out);
        return out;
    }

    private static DevNo devNo(MappedDevice md) {
        return new DevNo(md.devt().major(), md.devt().minor());
    }

    /** The target_message ioctl: the live table's target holding sector gets the message split into words. */
    private String message(String name, long sector, String message) throws DmException {
        String[] argv = TableLine.splitArgs(message);
        if (argv.length == 0) {
            throw DmException.invalid("Empty message received.");
        }
        MappedDevice md = ns.get(name);
        Table t = md.liveTable();
        if (t == null) {
            throw DmException.invalid("Target message on " + name + ": the device has no live table");
        }
        if (sector < 0 || sector >= t.sizeSectors()) {
            throw DmException.invalid("Target message sector outside device.");
        }
        return t.entry(t.find(sector)).target().message(argv);
    }

    /**
     * The list_versions ioctl. The kernel lists the most recently registered type first (dm_register_target adds at
     * the head); the registry keeps registration order, so reversed it is the kernel's ("zero, striped, linear,
     * error" on 6.1 once dm-zero is loaded).
     */
    private List<Object> targets() {
        List<Object> out = new ArrayList<>();
        List<TargetType> types = new ArrayList<>(ns.registry().all());
        Collections.reverse(types);
        for (TargetType t : types) {
            int[] v = t.version();
            out.add(new TargetVersion(t.name(), v[0], v[1], v[2]).toWire());
        }
        return out;
    }

    /**
     * The dev_wait ioctl: returns once the device's event number differs from eventNr (at once if it already
     * does), or fails with ETIMEDOUT after timeoutMillis when given.
     */
    private int waitEvent(Request r) throws DmException, WireException, InterruptedException, ControlException {
        String name = r.string("name");
        int seen = (int) r.longValue("eventNr");
        boolean bounded = r.has("timeoutMillis");
        long timeout = bounded ? Math.max(0, Math.min(r.longValue("timeoutMillis"), Long.MAX_VALUE / 2_000_000)) : 0;
        long start = System.nanoTime();
        MappedDevice md = ns.get(name);
        while (true) {
            int now = md.waitEvent(seen, WAIT_SLICE_MILLIS);
            if (now != seen) {
                return now;
            }
            if (ns.find(name) != md) {
                throw new DmException(DmException.ENXIO, "device " + name + " was removed while waiting");
            }
            if (closing.getAsBoolean()) {
                throw new InterruptedException();
            }
            if (bounded && System.nanoTime() - start >= timeout * 1_000_000) {
                throw new ControlException(Errno.ETIMEDOUT, "waitevent", "no event on " + name + " within "
                        + timeout + " ms");
            }
        }
    }
}
