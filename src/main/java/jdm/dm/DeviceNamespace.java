package jdm.dm;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import jdm.block.BlockDevice;
import jdm.block.dev.FileDevice;

/**
 * All mapped devices by name, UUID and minor, and the backing files their tables hold: the state behind the dm
 * ioctls (drivers/md/dm-ioctl.c's hash cells). Every control operation holds the namespace's lock, so
 * operations on the namespace are serialized as the kernel's _hash_lock does; change listeners run after the lock
 * is let go.
 *
 * <p>Table words name devices as: a mapped device's name or {@code /dev/mapper/NAME}; "major:minor" (253:N for
 * mapped devices, 7:N for backing files); or a path to a backing file, relative to the caller's working directory.
 * A backing file is opened once however many tables use it and closed when the last one lets go.
 */
public final class DeviceNamespace {
    private static final int NAME_MAX = 127;
    private static final int UUID_MAX = 128;
    private static final String MAPPER = "/dev/mapper/";

    private final TargetRegistry registry;
    private final Map<String, MappedDevice> byName = new TreeMap<>();
    private final BitSet minors = new BitSet();
    private final Map<Path, FileRef> files = new HashMap<>();
    private final BitSet fileMinors = new BitSet();
    private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();

    private static final class FileRef {
        final FileDevice device;
        final DevT devt;
        int refs;

        FileRef(FileDevice device, DevT devt) {
            this.device = device;
            this.devt = devt;
        }
    }

    public DeviceNamespace(TargetRegistry registry) {
        this.registry = registry;
    }

    public TargetRegistry registry() {
        return registry;
    }

    /** Creates a device with no table at the lowest free minor: the create ioctl. */
    public MappedDevice create(String name, String uuid, boolean readOnly) throws DmException {
        return create(name, uuid, readOnly, -1);
    }

    /** Creates a device with no table at 253:minor (minor < 0: the lowest free one; a minor in use: EBUSY). */
    public MappedDevice create(String name, String uuid, boolean readOnly, int minor) throws DmException {
        MappedDevice md;
        synchronized (this) {
            md = createLocked(name, uuid, readOnly, minor);
        }
        changed();
        return md;
    }

    private MappedDevice createLocked(String name, String uuid, boolean readOnly, int wantMinor)
            throws DmException {
        if (name.isEmpty() || name.length() > NAME_MAX || name.contains("/") || name.equals(".")
                || name.equals("..")) {
            throw DmException.invalid("Invalid device name \"" + name + "\": 1 to " + NAME_MAX
                    + " characters, no '/'");
        }
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
        if (wantMinor >= 0 && minors.get(wantMinor)) {
            throw new DmException(DmException.EBUSY, "minor 253:" + wantMinor + " is already in use");
        }
        int minor = wantMinor >= 0 ? wantMinor : minors.nextClearBit(0);
        minors.set(minor);
        MappedDevice md = new MappedDevice(name, uuid, new DevT(DevT.DM_MAJOR, minor), readOnly);
        byName.put(name, md);
        return md;
    }

    /** Creates a device, loads the table and resumes it, as "dmsetup create NAME --table T"; undone on failure. */
    public MappedDevice createWithTable(String name, String uuid, boolean readOnly, String table, Path cwd)
            throws DmException, InterruptedException {
        MappedDevice md = createWithTableLocked(name, uuid, readOnly, table, cwd);
        changed();
        return md;
    }

    private synchronized MappedDevice createWithTableLocked(String name, String uuid, boolean readOnly, String table,
                                                            Path cwd) throws DmException, InterruptedException {
        MappedDevice md = createLocked(name, uuid, readOnly, -1);
        try {
            loadLocked(name, table, cwd, readOnly);
            md.resume();
            return md;
        } catch (DmException | InterruptedException | RuntimeException e) {
            byName.remove(name);
            minors.clear(md.devt().minor());
            md.destroy();
            throw e;
        }
    }

    public synchronized MappedDevice get(String name) throws DmException {
        MappedDevice md = byName.get(name);
        if (md == null) {
            throw new DmException(DmException.ENXIO, "device " + name + " does not exist");
        }
        return md;
    }

    public synchronized MappedDevice find(String name) {
        return byName.get(name);
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
    public synchronized List<MappedDevice> list() {
        return new ArrayList<>(byName.values());
    }

    /**
     * Parses and builds a table and makes it the device's inactive table: the load ioctl. A bad table changes
     * nothing: the live and inactive tables stay as they were.
     */
    public void load(String name, String text, Path cwd, boolean readOnly) throws DmException {
        loadLocked(name, text, cwd, readOnly);
        changed();
    }

    private synchronized void loadLocked(String name, String text, Path cwd, boolean readOnly) throws DmException {
        MappedDevice md = get(name);
        List<TableLine> lines = TableLine.parse(text);
        md.load(Table.build(md, lines, registry, new Resolver(cwd), readOnly));
    }

    /** Loads a read-write table, as "dmsetup load" without --readonly. */
    public void load(String name, String text, Path cwd) throws DmException {
        load(name, text, cwd, false);
    }

    /** Drops the inactive table: the clear ioctl. */
    public void clear(String name) throws DmException {
        synchronized (this) {
            get(name).clearInactive();
        }
        changed();
    }

    public void suspend(String name, boolean noflush) throws DmException, InterruptedException {
        MappedDevice md;
        synchronized (this) {
            md = get(name);
        }
        md.suspend(noflush); // outside the namespace lock: waiting for in-flight I/O must not stall other devices
        changed();
    }

    public void resume(String name) throws DmException, InterruptedException {
        synchronized (this) {
            get(name).resume();
        }
        changed();
    }

    /** Sets the UUID of a device that has none, as "dmsetup rename NAME --setuuid UUID". */
    public void setUuid(String name, String uuid) throws DmException {
        synchronized (this) {
            MappedDevice md = get(name);
            if (md.uuid() != null) {
                throw DmException.invalid("device " + name + " already has a UUID");
            }
            if (findByUuid(uuid) != null) {
                throw new DmException(DmException.EBUSY, "UUID " + uuid + " is already in use");
            }
            md.setUuid(uuid);
        }
        changed();
    }

    /** Removes an unused device: the remove ioctl (EBUSY while open or used by another table). */
    public void remove(String name) throws DmException, InterruptedException {
        synchronized (this) {
            MappedDevice md = get(name);
            if (md.openCount() > 0) {
                throw new DmException(DmException.EBUSY, "device " + name + " is in use: open count "
                        + md.openCount());
            }
            byName.remove(name);
            minors.clear(md.devt().minor());
            md.destroy();
        }
        changed();
    }

    // ---- hooks for the daemon's state directory (the helpers' API contract) ----

    /** Runs listener, outside the namespace lock, after every successful change (create, load, ..., setuuid). */
    public void addChangeListener(Runnable listener) {
        changeListeners.add(listener);
    }

    private void changed() {
        for (Runnable listener : changeListeners) {
            listener.run();
        }
    }

    /** Puts back the event number a device had before a restart (the state restore). */
    public void restoreEventNr(String name, int eventNr) throws DmException {
        get(name).restoreEventNr(eventNr);
    }

    /** An open backing file and the 7:minor tables print for it. */
    public record BackingFile(Path path, int minor) {
    }

    /** One reference to a backing file, given back by close. */
    public interface BackingFileHold extends AutoCloseable {
        @Override
        void close();
    }

    /** The open backing files, by minor. */
    public synchronized List<BackingFile> backingFiles() {
        List<BackingFile> out = new ArrayList<>();
        for (Map.Entry<Path, FileRef> e : files.entrySet()) {
            out.add(new BackingFile(e.getKey(), e.getValue().devt.minor()));
        }
        out.sort((x, y) -> Integer.compare(x.minor(), y.minor()));
        return out;
    }

    /**
     * Opens the backing file as exactly 7:minor (or finds it already open with that minor) and holds one reference
     * until closed, so tables naming 7:minor resolve to it: EBUSY when the file or the minor is taken otherwise.
     */
    public synchronized BackingFileHold holdBackingFile(Path path, int minor, boolean readOnly) throws DmException {
        Path real = realPath(path);
        FileRef ref = files.get(real);
        if (ref != null && ref.devt.minor() != minor) {
            throw new DmException(DmException.EBUSY, real + " is already open as " + ref.devt);
        }
        if (ref == null && fileMinors.get(minor)) {
            throw new DmException(DmException.EBUSY, DevT.FILE_MAJOR + ":" + minor + " is another file's");
        }
        DmDev dev = ref != null ? hold(ref, readOnly) : openFile(real, minor, readOnly);
        boolean[] closed = {false};
        return () -> {
            synchronized (DeviceNamespace.this) {
                if (!closed[0]) {
                    closed[0] = true;
                    release(dev);
                }
            }
        };
    }

    /** The name a device number or block device goes by, for deps and ls --tree. */
    public synchronized String nameOf(DmDev dev) {
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
            synchronized (DeviceNamespace.this) {
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
                DevT devt = DevT.parse(word);
                if (devt != null) {
                    for (FileRef f : files.values()) {
                        if (f.devt.equals(devt)) {
                            return hold(f, readOnly);
                        }
                    }
                    throw new DmException(DmException.ENXIO, "no device " + devt);
                }
                return openFile(realPath(cwd.resolve(word)), -1, readOnly);
            }
        }

        @Override
        public void release(DmDev dev) {
            DeviceNamespace.this.release(dev);
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

    private static Path realPath(Path p) throws DmException {
        try {
            return p.toRealPath();
        } catch (NoSuchFileException e) {
            throw new DmException(DmException.ENODEV, "no such file or mapped device");
        } catch (IOException e) {
            throw new DmException(DmException.ENXIO, e.toString());
        }
    }

    /** Opens (or finds) a backing file; a new one gets 7:wantMinor, or the lowest free minor when that is < 0. */
    private DmDev openFile(Path real, int wantMinor, boolean readOnly) throws DmException {
        FileRef ref = files.get(real);
        if (ref == null) {
            if (!Files.isRegularFile(real)) {
                throw new DmException(DmException.ENXIO, real + " is not a regular file");
            }
            FileDevice dev;
            try {
                dev = FileDevice.open(real, false);
            } catch (AccessDeniedException e) {
                try {
                    dev = FileDevice.open(real, true);
                } catch (IOException e2) {
                    throw new DmException(DmException.EPERM, "cannot open " + real + ": " + e2);
                }
            } catch (IOException e) {
                throw new DmException(DmException.ENXIO, "cannot open " + real + ": " + e);
            }
            int minor = wantMinor >= 0 ? wantMinor : fileMinors.nextClearBit(0);
            fileMinors.set(minor);
            ref = new FileRef(dev, new DevT(DevT.FILE_MAJOR, minor));
            files.put(real, ref);
        }
        return hold(ref, readOnly);
    }

    private DmDev hold(FileRef ref, boolean readOnly) throws DmException {
        if (!readOnly && ref.device.readOnly()) {
            if (ref.refs == 0) {
                closeFile(ref);
            }
            throw new DmException(DmException.EPERM, ref.device.name() + " can only be opened read-only");
        }
        ref.refs++;
        return new DmDev(ref.device, ref.devt);
    }

    private synchronized void release(DmDev dev) {
        if (dev.device() instanceof MappedDevice md) {
            md.release();
            return;
        }
        for (FileRef ref : files.values()) {
            if (ref.device == dev.device()) {
                if (--ref.refs == 0) {
                    closeFile(ref);
                }
                return;
            }
        }
    }

    private void closeFile(FileRef ref) {
        files.remove(ref.device.path());
        fileMinors.clear(ref.devt.minor());
        ref.device.close();
    }
}
