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
 * Runs one control request against the device namespace: the dm ioctls of drivers/md/dm-ioctl.c, one method each.
 * Every failure becomes an error reply with the errno the kernel would return, the ioctl that failed and the reason
 * (what the kernel would log); nothing a client sends can throw out of {@link #handle}.
 *
 * <p>Operations ("op" of the request; the ioctl named in errors in brackets) and their arguments:
 * <pre>
 * version                                                  [version]  -> driver, daemon
 * list                                                     [names]    -> devices: [{name, dev, deps}]
 * create   name, uuid?, readOnly?, table?, cwd?            [create, then reload and resume when a table is given]
 * load     name, table, cwd?                               [reload]
 * clear    name                                            [clear]
 * suspend  name, noflush?                                  [suspend]
 * resume   name                                            [resume]
 * remove   name, force?                                    [remove]
 * info     name?                                           [info]     -> devices: [DeviceInfo]
 * table    name?, target?                                  [table]    -> devices: [{name, targets}]
 * status   name?, target?                                  [status]   -> devices: [{name, targets}]
 * deps     name?                                           [deps]     -> devices: [{name, dev, deps}]
 * message  name, sector, message                           [message]  -> response
 * targets                                                  [versions] -> targets: [{name, major, minor, patch}]
 * setuuid  name, uuid                                      [rename]
 * rename   name, newName                                   [rename]   (refused: not supported yet)
 * wait     name, eventNr, timeoutMillis?                   [waitevent] -> eventNr
 * </pre>
 * A missing name means every device, in name order. cwd is the caller's working directory (absolute), against
 * which relative backing-file paths in the table resolve; without it the daemon's own is used.
 */
final class DmIoctl {
    /** The dm ioctl interface version jdm answers to (Linux 6.1's). */
    static final String DRIVER_VERSION = "4.47.0";
    static final String DAEMON_VERSION = "jdm 0.1.0";
    /** A fresh block device's read-ahead: VM_READAHEAD_PAGES, 128 KiB. */
    static final int DEFAULT_READ_AHEAD_SECTORS = 256;

    private static final System.Logger LOG = System.getLogger(DmIoctl.class.getName());
    private static final long WAIT_SLICE_MILLIS = 200;

    private final DeviceNamespace ns;
    private final BooleanSupplier closing;

    DmIoctl(DeviceNamespace ns, BooleanSupplier closing) {
        this.ns = ns;
        this.closing = closing;
    }

    /** The dm ioctl an operation stands for, as libdm names it in "device-mapper: X ioctl on ... failed". */
    static String ioctlName(String op) {
        return switch (op) {
            case "list" -> "names";
            case "load" -> "reload";
            case "targets" -> "versions";
            case "setuuid", "rename" -> "rename";
            case "wait" -> "waitevent";
            default -> op;
        };
    }

    Response handle(Request r) {
        String ioctl = ioctlName(r.op());
        try {
            return Response.ok(dispatch(r));
        } catch (ControlException e) {
            return Response.error(e);
        } catch (DmException e) {
            return Response.error(e.errno(), ioctl, e.getMessage());
        } catch (WireException e) {
            return Response.error(Errno.EINVAL, ioctl, "bad " + r.op() + " request: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Response.error(Errno.EINTR, ioctl, "interrupted: the daemon is shutting down");
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "control operation " + r.op() + " failed", e);
            return Response.error(Errno.EIO, ioctl, "internal error: " + e);
        }
    }

    private Map<String, Object> dispatch(Request r)
            throws ControlException, DmException, WireException, InterruptedException {
        return switch (r.op()) {
            case "version" -> body("driver", DRIVER_VERSION, "daemon", DAEMON_VERSION);
            case "list" -> body("devices", deps((String) null));
            case "create" -> create(r);
            case "load" -> {
                ns.load(r.string("name"), r.string("table"), cwd(r));
                yield Map.of();
            }
            case "clear" -> {
                ns.clear(r.string("name"));
                yield Map.of();
            }
            case "suspend" -> {
                ns.suspend(r.string("name"), r.bool("noflush", false));
                yield Map.of();
            }
            case "resume" -> {
                ns.resume(r.string("name"));
                yield Map.of();
            }
            case "remove" -> remove(r.string("name"), r.bool("force", false));
            case "info" -> body("devices", info(r.optString("name")));
            case "table" -> body("devices", tables(r.optString("name"), StatusType.TABLE, r.optString("target")));
            case "status" -> body("devices", tables(r.optString("name"), StatusType.INFO, r.optString("target")));
            case "deps" -> body("devices", deps(r.optString("name")));
            case "message" -> body("response", message(r.string("name"), r.longValue("sector"),
                    r.string("message")));
            case "targets" -> body("targets", targets());
            case "setuuid" -> {
                ns.setUuid(r.string("name"), r.string("uuid"));
                yield Map.of();
            }
            case "wait" -> body("eventNr", (long) waitEvent(r));
            case "rename" -> throw new ControlException(Errno.EINVAL, "rename", "jdm cannot rename "
                    + r.string("name") + " to " + r.string("newName") + ": renaming devices is not supported (only"
                    + " setting a missing UUID is)");
            default -> throw new ControlException(Errno.ENOTTY, r.op(), "unknown control operation \"" + r.op()
                    + "\"");
        };
    }

    private static Map<String, Object> body(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Path cwd(Request r) throws WireException, ControlException {
        String cwd = r.optString("cwd");
        if (cwd == null) {
            return Path.of("").toAbsolutePath();
        }
        Path p = Path.of(cwd);
        if (!p.isAbsolute()) {
            throw new ControlException(Errno.EINVAL, ioctlName(r.op()), "cwd must be an absolute path, got \""
                    + cwd + "\"");
        }
        return p;
    }

    /**
     * Create, then load and resume when a table is given, failing as the step that failed (libdm's
     * _create_and_load_v4 issues create, reload and resume ioctls and removes the device again if a later one
     * fails). The namespace lock is held throughout, so nobody sees or opens the device before it is complete.
     */
    private Map<String, Object> create(Request r) throws ControlException, WireException, InterruptedException {
        String name = r.string("name");
        String uuid = r.optString("uuid");
        boolean readOnly = r.bool("readOnly", false);
        String table = r.optString("table");
        Path cwd = table == null ? null : cwd(r);
        synchronized (ns) {
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
                // libdm addresses the reload by the new device's number, and prints it
                throw new ControlException(e.errno(), step, e.getMessage(), step.equals("reload") ? devNo(md) : null);
            } catch (InterruptedException | RuntimeException e) {
                undoCreate(name);
                throw e;
            }
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
     * fails with EBUSY while it is open.
     */
    private Map<String, Object> remove(String name, boolean force) throws DmException, InterruptedException {
        if (force) {
            synchronized (ns) {
                MappedDevice md = ns.get(name);
                Table live = md.liveTable();
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
        }
        ns.remove(name);
        return Map.of();
    }

    private List<MappedDevice> devices(String name) throws DmException {
        return name == null ? ns.list() : List.of(ns.get(name));
    }

    private List<Object> info(String name) throws DmException {
        List<Object> out = new ArrayList<>();
        synchronized (ns) {
            for (MappedDevice md : devices(name)) {
                Table live = md.liveTable();
                out.add(new DeviceInfo(md.name(), md.uuid(), devNo(md), md.suspended(), md.readOnly(), live != null,
                        md.inactiveTable() != null, md.openCount(), md.eventNr(), live == null ? 0 : live.size(),
                        DEFAULT_READ_AHEAD_SECTORS).toWire());
            }
        }
        return out;
    }

    private List<Object> tables(String name, StatusType type, String targetType) throws DmException {
        List<Object> out = new ArrayList<>();
        synchronized (ns) {
            for (MappedDevice md : devices(name)) {
                List<TargetLine> lines = new ArrayList<>();
                Table t = md.liveTable();
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
        }
        return out;
    }

    private List<Object> deps(String name) throws DmException {
        List<Object> out = new ArrayList<>();
        synchronized (ns) {
            for (MappedDevice md : devices(name)) {
                out.add(new DeviceDeps(md.name(), devNo(md), deps(md.liveTable())).toWire());
            }
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
        synchronized (ns) {
            MappedDevice md = ns.get(name);
            Table t = md.liveTable();
            if (t == null) {
                throw DmException.invalid("Target message on " + name + ": the device has no live table");
            }
            if (sector < 0 || sector >= t.sizeSectors()) {
                throw DmException.invalid("Target message sector outside device: sector " + sector
                        + ", device size " + t.sizeSectors());
            }
            Table.Entry e = t.entry(t.find(sector));
            try {
                return e.target().message(argv);
            } catch (DmException ex) {
                throw new DmException(ex.errno(), e.type().name() + ": " + ex.getMessage());
            }
        }
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
