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
 * remove_all                                               [remove_all] (every device nothing holds open)
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
    private final KernelLog log;

    DmIoctl(DeviceNamespace ns, BooleanSupplier closing, KernelLog log) {
        this.ns = ns;
        this.closing = closing;
        this.log = log;
        ns.setKernelLog(log::log); // targets' DMERR/DMINFO lines (dust's messages) go to "jdm dmesg"
    }

    /** Registers the dm ioctls: the op clients send, the ioctl libdm names in its errors, the arguments, the method. */
    @Override
    public void register(Operations ops) {
        ops.register("version", "version", Operations.NO_ARGS,
                a -> body("driver", DRIVER_VERSION, "daemon", DAEMON_VERSION));
        ops.register("list", "names", Operations.NO_ARGS, a -> body("devices", deps((String) null)));
        ops.register("create", "create", DmArgs.Create::from, this::create);
        ops.register("load", "reload", DmArgs.Load::from, this::load);
        ops.register("clear", "clear", DmArgs.Device::from, a -> {
            ns.clear(a.name());
            return Map.of();
        });
        ops.register("suspend", "suspend", DmArgs.Suspend::from, a -> {
            ns.suspend(a.name(), a.noflush());
            return Map.of();
        });
        ops.register("resume", "resume", DmArgs.Device::from, a -> {
            ns.resume(a.name());
            return Map.of();
        });
        ops.register("remove", "remove", DmArgs.Remove::from, this::remove);
        ops.register("remove_all", "remove_all", Operations.NO_ARGS, a -> removeAll());
        ops.register("info", "info", DmArgs.Query::from, a -> body("devices", info(a)));
        ops.register("table", "table", DmArgs.Query::from, a -> body("devices", tables(a, StatusType.TABLE)));
        ops.register("status", "status", DmArgs.Query::from, a -> body("devices", tables(a, StatusType.INFO)));
        ops.register("deps", "deps", DmArgs.Query::from, a -> body("devices", deps(a.name())));
        ops.register("message", "message", DmArgs.Message::from, a -> body("response", message(a)));
        ops.register("targets", "versions", Operations.NO_ARGS, a -> body("targets", targets()));
        ops.register("setuuid", "rename", DmArgs.SetUuid::from, a -> {
            ns.setUuid(a.name(), a.uuid());
            return Map.of();
        });
        ops.register("rename", "rename", DmArgs.Rename::from, a -> {
            ns.rename(a.name(), a.newName());
            return Map.of();
        });
        ops.register("wait", "waitevent", DmArgs.Wait::from, a -> body("eventNr", (long) waitEvent(a)));
    }

    private static Map<String, Object> body(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** The load ioctl; a refused table names the device by number, as the kernel's table log line does. */
    private Map<String, Object> load(DmArgs.Load a) throws ControlException {
        MappedDevice md = null;
        try {
            md = ns.get(a.name());
            ns.load(a.name(), a.table(), a.cwd(), a.readOnly());
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
    private Map<String, Object> create(DmArgs.Create a) throws ControlException, InterruptedException {
        MappedDevice md;
        try {
            md = ns.create(a.name(), a.uuid(), a.readOnly());
        } catch (DmException e) {
            throw new ControlException(e.errno(), "create", e.getMessage());
        }
        if (a.table() == null) {
            return Map.of();
        }
        String step = "reload";
        try {
            ns.load(a.name(), a.table(), a.cwd(), a.readOnly());
            step = "resume";
            ns.resume(a.name());
            return Map.of();
        } catch (DmException e) {
            undoCreate(a.name());
            throw new ControlException(e.errno(), step, e.getMessage(), devNo(md));
        } catch (InterruptedException | RuntimeException e) {
            undoCreate(a.name());
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
    private Map<String, Object> remove(DmArgs.Remove a) throws DmException, InterruptedException {
        String name = a.name();
        if (a.force()) {
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

    /**
     * The remove_all ioctl (dm_hash_remove_all keeping open devices): removes every device that is not open, over
     * and over while that frees others (a device under a removed one), and logs how many stay.
     */
    private Map<String, Object> removeAll() throws InterruptedException, ControlException {
        boolean progress = true;
        while (progress) {
            progress = false;
            for (MappedDevice md : ns.list()) {
                if (md.openCount() > 0) {
                    continue;
                }
                try {
                    ns.remove(md.name());
                    progress = true;
                } catch (DmException e) {
                    // opened or removed meanwhile: left for the next round, or gone
                }
            }
        }
        int left = ns.list().size();
        if (left > 0) {
            log.log("device-mapper: ioctl: remove_all left " + left + " open device(s)");
        }
        return Map.of();
    }

    private List<MappedDevice> devices(String name) throws DmException {
        return name == null ? ns.list() : List.of(ns.get(name));
    }

    /**
     * The info ioctl (__dev_status): with inactive (DM_QUERY_INACTIVE_TABLE_FLAG) the target count and read-only
     * flag come from the inactive table, if there is one.
     */
    private List<Object> info(DmArgs.Query a) throws DmException {
        boolean inactive = a.inactive();
        List<Object> out = new ArrayList<>();
        for (MappedDevice md : devices(a.name())) {
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

    private List<Object> tables(DmArgs.Query a, StatusType type) throws DmException {
        String targetType = a.targetType();
        boolean inactive = a.inactive();
        List<Object> out = new ArrayList<>();
        for (MappedDevice md : devices(a.name())) {
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
    private String message(DmArgs.Message a) throws DmException {
        String name = a.name();
        long sector = a.sector();
        String[] argv = TableLine.splitArgs(a.message());
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
    private int waitEvent(DmArgs.Wait a) throws DmException, InterruptedException, ControlException {
        String name = a.name();
        int seen = a.eventNr();
        boolean bounded = a.timeoutMillis() >= 0;
        long timeout = a.timeoutMillis();
        long start = System.nanoTime();
        MappedDevice md = ns.get(name);
        while (true) {
            int now = md.waitEvent(seen, WAIT_SLICE_MILLIS);
            if (now != seen) {
                return now;
            }
            if (ns.find(md.name()) != md) { // by its current name: a rename does not end the wait
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
