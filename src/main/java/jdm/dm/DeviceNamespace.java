package jdm.dm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import jdm.block.BlockDevice;
import jdm.block.DeviceException;
import jdm.block.DeviceProvider;
import jdm.block.NumberedFiles;
import jdm.block.HeldDevice;

/**
 * All mapped devices by name, UUID and minor: the state behind the dm ioctls (drivers/md/dm-ioctl.c's hash cells).
 *
 * <p>Locking follows the kernel's split between {@code _hash_lock} and each device's {@code suspend_lock}: the
 * namespace has its own private lock, held only for lookups and short state changes, never while a device drains
 * its I/O. Suspend, resume and the teardown of a removed device run outside it, so listing or querying the other
 * devices never waits for one device's I/O. Nobody outside synchronizes on the namespace.
 *
 * <p>Table words name devices as: a mapped device's name, {@code /dev/mapper/NAME} or 253:N, resolved here (with
 * the cycle check); anything else goes to the {@link DeviceProvider}s below: RAM disks, md arrays, and last the
 * backing files, {@link NumberedFiles} (a path relative to the caller's working directory, or 7:N of an open file).
 *
 * <p>Listeners added with {@link #addChangeListener} run after every successful change (create, load, clear,
 * suspend, resume, remove, rename, setuuid), outside the lock, in the thread that made the change.
 */
public final class DeviceNamespace {
    private static final System.Logger LOG = System.getLogger(DeviceNamespace.class.getName());
    private static final int NAME_MAX = 127;
    private static final int UUID_MAX = 128;
    private static final String MAPPER = "/dev/mapper/";

    /** One reference to a held device; {@link #close()} lets go of it without checked exceptions. */
    public interface Hold extends AutoCloseable {
        @Override
        void close();
    }

    /** An open backing file and the minor (7:N) it goes by. */
    public record BackingFile(Path path, int minor) {
    }

    private final TargetRegistry registry;
    private final NumberedFiles files;
    private final DeviceProvider lower;
    private final Object lock = new Object();
    private final Map<String, MappedDevice> byName = new TreeMap<>();
    private final BitSet minors = new BitSet();
    private final Map<DmDev, HeldDevice> held = new IdentityHashMap<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile Consumer<String> kernelLog = line -> { };

    /** A namespace whose tables may name mapped devices and the backing files {@code files} opens. */
    public DeviceNamespace(TargetRegistry registry, NumberedFiles files) {
        this(registry, files, DeviceProvider.NONE);
    }

    /**
     * A namespace whose tables may also name the devices {@code others} provide (RAM disks, md arrays), asked
     * before the backing files.
     */
    public DeviceNamespace(TargetRegistry registry, NumberedFiles files, DeviceProvider others) {
        this.registry = registry;
        this.files = files;
        this.lower = DeviceProvider.chain(List.of(others, files));
    }

    public TargetRegistry registry() {
        return registry;
    }

    /** Sends the lines targets log (their DMERR/DMINFO, see {@link TargetArgs#kernelLog()}) to sink. */
    public void setKernelLog(Consumer<String> sink) {
        this.kernelLog = sink;
    }

    /** Runs listener after every successful change, outside the namespace lock. */
    public void addChangeListener(Runnable listener) {
        listeners.add(listener);
    }

    private void changed() {
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                // the change has happened: a failing listener must not make it look refused
                LOG.log(System.Logger.Level.ERROR, "change listener failed", e);
            }
        }
    }

    /** Creates a device with no table, numbered 253:N with the lowest free N: the create ioctl. */
    public MappedDevice create(String name, String uuid, boolean readOnly) throws DmException {
        return create(name, uuid, readOnly, -1);
    }

    /**
     * Creates a device with no table as 253:minor (minor &lt; 0: the lowest free one); a minor in use is EBUSY, as
     * the kernel's create with DM_PERSISTENT_DEV_FLAG.
     */
    public MappedDevice create(String name, String uuid, boolean readOnly, int minor) throws DmException {
        MappedDevice md;
        synchronized (lock) {
            md = createLocked(name, uuid, readOnly, minor);
        }
        changed();
        return md;
    }

    private MappedDevice createLocked(String name, String uuid, boolean readOnly, int minor) throws DmException {
        checkName(name);
        if (uuid != null && (uuid.isEmpty() || uuid.length() > UUID_MAX)) {
            throw DmException.invalid("Invalid UUID: 1 to " + UUID_MAX + " characters");
        }
        if (byName.containsKey(name)) {
            throw new DmException(DmException.EBUSY, "device " + name + " already exists");
        }
        if (uuid != null && findByUuid(uuid) != null) {
            throw new DmException(DmException.EBUSY, "UUID " + uuid + " is already in use by "
                    + findByUuid(uuid).name());
        }
        if (minor >= 0 && minors.get(minor)) {
            throw new DmException(DmException.EBUSY, "minor " + minor + " is already in use");
        }
        int m = minor >= 0 ? minor : minors.nextClearBit(0);
        minors.set(m);
        MappedDevice md = new MappedDevice(name, uuid, new DevT(DevT.DM_MAJOR, m), readOnly);
        byName.put(name, md);
        return md;
    }

    private static void checkName(String name) throws DmException {
        if (name.isEmpty() || name.length() > NAME_MAX || name.contains("/") || name.equals(".")
                || name.equals("..")) {
            throw DmException.invalid("Invalid device name \"" + name + "\": 1 to " + NAME_MAX
                    + " characters, no '/'");
        }
    }

    /** Creates a device, loads the table and resumes it, as "dmsetup create NAME --table T"; undone on failure. */
    public MappedDevice createWithTable(String name, String uuid, boolean readOnly, String table, Path cwd)
            throws DmException, InterruptedException {
        MappedDevice md;
        synchronized (lock) {
            md = createLocked(name, uuid, readOnly, -1);
            try {
                loadLocked(md, table, cwd, readOnly);
            } catch (DmException | RuntimeException e) {
                byName.remove(name);
                minors.clear(md.devt().minor());
                throw e;
            }
        }
        try {
            md.resume(); // a new device has no I/O to drain, but resume stays outside the lock all the same
        } catch (DmException | InterruptedException | RuntimeException e) {
            removeQuietly(md);
            throw e;
        }
        changed();
        return md;
    }

    private void removeQuietly(MappedDevice md) throws InterruptedException {
        synchronized (lock) {
            byName.remove(md.name(), md);
        }
        md.destroy();
        synchronized (lock) {
            minors.clear(md.devt().minor());
        }
    }

    public MappedDevice get(String name) throws DmException {
        synchronized (lock) {
            return getLocked(name);
        }
    }

    private MappedDevice getLocked(String name) throws DmException {
        MappedDevice md = byName.get(name);
        if (md == null) {
            throw new DmException(DmException.ENXIO, "device " + name + " does not exist");
        }
        return md;
    }

    public MappedDevice find(String name) {
        synchronized (lock) {
            return byName.get(name);
        }
    }

    private MappedDevice findByUuid(String uuid) {
        for (MappedDevice md : byName.values()) {
            if (uuid.equals(md.uuid())) {
                return md;
            }
        }
        return null;
    }

    /** The devices in name order. */
    public List<MappedDevice> list() {
        synchronized (lock) {
            return new ArrayList<>(byName.values());
        }
    }

    /**
     * Parses and builds a table and makes it the device's inactive table: the load ioctl. A bad table changes
     * nothing: the live and inactive tables stay as they were.
     */
    public void load(String name, String text, Path cwd, boolean readOnly) throws DmException {
        synchronized (lock) {
            loadLocked(getLocked(name), text, cwd, readOnly);
        }
        changed();
    }

    private void loadLocked(MappedDevice md, String text, Path cwd, boolean readOnly) throws DmException {
        List<TableLine> lines = TableLine.parse(text);
        Table table = Table.build(md, lines, registry, new Resolver(cwd), readOnly);
        md.load(table);
    }

    /** Loads a read-write table, as "dmsetup load" without --readonly. */
    public void load(String name, String text, Path cwd) throws DmException {
        load(name, text, cwd, false);
    }

    /** Drops the inactive table: the clear ioctl. */
    public void clear(String name) throws DmException {
        synchronized (lock) {
            getLocked(name).clearInactive();
        }
        changed();
    }

    /** Suspends a device, waiting for its I/O outside the namespace lock. */
    public void suspend(String name, boolean noflush) throws DmException, InterruptedException {
        get(name).suspend(noflush);
        changed();
    }

    /**
     * Resumes a device, swapping in its inactive table: the resume ioctl. Draining the device's I/O happens outside
     * the namespace lock. A target's preresume may refuse (DmException): as the kernel's do_resume, the new table
     * is then live but the device stays suspended.
     */
    public void resume(String name) throws DmException, InterruptedException {
        MappedDevice md = get(name);
        try {
            md.resume();
        } catch (DmException refused) {
            changed(); // refused by preresume, but the new table went live: that is a change too
            throw refused;
        }
        changed();
    }

    /** Sets the UUID of a device that has none, as "dmsetup rename NAME --setuuid UUID". */
    public void setUuid(String name, String uuid) throws DmException {
        synchronized (lock) {
            MappedDevice md = getLocked(name);
            if (md.uuid() != null) {
                throw DmException.invalid("device " + name + " already has a UUID");
            }
            if (findByUuid(uuid) != null) {
                throw new DmException(DmException.EBUSY, "UUID " + uuid + " is already in use");
            }
            md.setUuid(uuid);
            renamed(md);
        }
        changed();
    }

    /** dm_hash_rename wakes event waiters through the live table's event, so only a device with one counts it. */
    private static void renamed(MappedDevice md) {
        if (md.liveTable() != null) {
            md.event();
        }
    }

    /**
     * Renames a device, as the kernel's dev_rename (dm_hash_rename): the new name must be valid and free (EBUSY when
     * taken, checked first as the kernel does), the old one must exist (ENXIO). Tables that name the device by
     * number are unaffected; with a live table its event number is bumped.
     */
    public void rename(String name, String newName) throws DmException {
        synchronized (lock) {
            checkName(newName);
            if (byName.containsKey(newName)) {
                throw new DmException(DmException.EBUSY, "Unable to change name on mapped device " + name
                        + " to one that already exists: " + newName);
            }
            MappedDevice md = byName.get(name);
            if (md == null) {
                throw new DmException(DmException.ENXIO, "Unable to rename non-existent device, " + name + " to "
                        + newName);
            }
            byName.remove(name);
            md.setName(newName);
            byName.put(newName, md);
            renamed(md);
        }
        changed();
    }

    /** Sets a device's event number to what a previous daemon recorded (state restore); not a change. */
    public void restoreEventNr(String name, int eventNr) throws DmException {
        get(name).restoreEventNr(eventNr);
    }

    /** Removes an unused device: the remove ioctl (EBUSY while open or used by another table). */
    public void remove(String name) throws DmException, InterruptedException {
        MappedDevice md;
        synchronized (lock) {
            md = getLocked(name);
            if (md.openCount() > 0) {
                throw new DmException(DmException.EBUSY, "device " + name + " is in use: open count "
                        + md.openCount());
            }
            byName.remove(name);
        }
        md.destroy(); // releases its tables; outside the lock, which releasing devices takes
        synchronized (lock) {
            minors.clear(md.devt().minor());
        }
        changed();
    }

    /**
     * Holds the backing file at path as exactly 7:minor until the hold is closed, so a restored table prints the
     * number it had: opens it with that minor, or finds it already open with it; EBUSY when the minor is another
     * file's (or the file is open under another minor).
     */
    public Hold holdBackingFile(Path path, int minor, boolean readOnly) throws DmException {
        HeldDevice h;
        try {
            h = files.hold(path, minor, readOnly);
        } catch (DeviceException e) {
            throw new DmException(e.errno(), e.getMessage());
        }
        return h::close;
    }

    /** The open backing files by minor. */
    public List<BackingFile> backingFiles() {
        return files.list().stream().map(e -> new BackingFile(e.path(), e.minor())).toList();
    }

    /**
     * The mapped devices as a {@link DeviceProvider} for the layers above dm (md members): a word that names one
     * ({@code NAME}, {@code /dev/mapper/NAME}, 253:N) opens it as a table's reference does, until the hold is
     * closed; other words are not this provider's (null).
     */
    public DeviceProvider mappedDevices() {
        return (word, cwd, readOnly) -> {
            MappedDevice md;
            synchronized (lock) {
                md = lookupMapped(word);
                if (md == null) {
                    DevT devt = DevT.parse(word);
                    if (devt != null && devt.major() == DevT.DM_MAJOR) {
                        throw new DeviceException(jdm.block.Errno.ENXIO, "no device " + devt);
                    }
                    return null;
                }
                md.open();
            }
            MappedDevice dev = md;
            return HeldDevice.of(dev, dev.devt().major(), dev.devt().minor(), dev::release);
        };
    }

    /** The name a device number or block device goes by, for deps and ls --tree. */
    public String nameOf(DmDev dev) {
        BlockDevice d = dev.device();
        return d instanceof MappedDevice md ? md.name() : d.name();
    }

    /** Resolves table words for one load, relative to the caller's working directory. */
    private final class Resolver implements DeviceResolver {
        private final Path cwd;

        Resolver(Path cwd) {
            this.cwd = cwd;
        }

        @Override
        public DmDev acquire(String word, boolean readOnly, MappedDevice owner) throws DmException {
            synchronized (lock) {
                MappedDevice md = lookupMapped(word);
                if (md != null) {
                    List<String> path = cyclePath(md, owner);
                    if (path != null) {
                        throw DmException.invalid("table would make " + owner.name()
                                + " depend on itself: " + String.join(" -> ", path));
                    }
                    md.open();
                    return new DmDev(md, md.devt());
                }
            }
            HeldDevice h;
            try {
                h = lower.acquire(word, cwd, readOnly);
            } catch (DeviceException e) {
                throw new DmException(e.errno(), e.getMessage());
            }
            if (h == null) {
                DevT devt = DevT.parse(word);
                throw new DmException(DmException.ENXIO, devt != null ? "no device " + devt
                        : "no such file or mapped device");
            }
            DmDev dev = new DmDev(h.device(), new DevT(h.major(), h.minor()));
            synchronized (lock) {
                held.put(dev, h);
            }
            return dev;
        }

        @Override
        public void kernelLog(String line) {
            kernelLog.accept(line);
        }

        @Override
        public void release(DmDev dev) {
            if (dev.device() instanceof MappedDevice md) {
                md.release();
                return;
            }
            HeldDevice h;
            synchronized (lock) {
                h = held.remove(dev);
            }
            if (h != null) {
                h.close();
            }
        }
    }

    private MappedDevice lookupMapped(String word) {
        if (word.startsWith(MAPPER)) {
            return byName.get(word.substring(MAPPER.length()));
        }
        DevT devt = DevT.parse(word);
        if (devt != null && devt.major() == DevT.DM_MAJOR) {
            for (MappedDevice md : byName.values()) {
                if (md.devt().equals(devt)) {
                    return md;
                }
            }
            return null;
        }
        return word.contains("/") ? null : byName.get(word);
    }

    /** The chain from owner through md's tables back to owner, or null when md does not lead to owner. */
    private List<String> cyclePath(MappedDevice md, MappedDevice owner) {
        if (md == owner) {
            return new ArrayList<>(List.of(owner.name(), owner.name()));
        }
        for (Table t : new Table[] {md.liveTable(), md.inactiveTable()}) {
            if (t == null) {
                continue;
            }
            for (DmDev d : t.devices()) {
                if (d.device() instanceof MappedDevice lower) {
                    List<String> rest = cyclePath(lower, owner);
                    if (rest != null) {
                        rest.add(1, md.name());
                        return rest;
                    }
                }
            }
        }
        return null;
    }
}
