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
import jdm.block.BlockDevice;
import jdm.block.dev.FileDevice;

/**
 * All mapped devices by name, UUID and minor, and the backing files their tables hold: the state behind the dm
 * ioctls (drivers/md/dm-ioctl.c's hash cells). Every control operation is one synchronized method here, so
 * operations on the namespace are serialized as the kernel's _hash_lock does.
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

    /** Creates a device with no table: the create ioctl. */
    public synchronized MappedDevice create(String name, String uuid, boolean readOnly) throws DmException {
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
        int minor = minors.nextClearBit(0);
        minors.set(minor);
        MappedDevice md = new MappedDevice(name, uuid, new DevT(DevT.DM_MAJOR, minor), readOnly);
        byName.put(name, md);
        return md;
    }

    /** Creates a device, loads the table and resumes it, as "dmsetup create NAME --table T"; undone on failure. */
    public synchronized MappedDevice createWithTable(String name, String uuid, boolean readOnly, String table,
                                                     Path cwd) throws DmException, InterruptedException {
        MappedDevice md = create(name, uuid, readOnly);
        try {
            load(name, table, cwd, readOnly);
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
    public synchronized void load(String name, String text, Path cwd, boolean readOnly) throws DmException {
        MappedDevice md = get(name);
        List<TableLine> lines = TableLine.parse(text);
        md.load(Table.build(md, lines, registry, new Resolver(cwd), readOnly));
    }

    /** Loads a read-write table, as "dmsetup load" without --readonly. */
    public void load(String name, String text, Path cwd) throws DmException {
        load(name, text, cwd, false);
    }

    /** Drops the inactive table: the clear ioctl. */
    public synchronized void clear(String name) throws DmException {
        get(name).clearInactive();
    }

    public void suspend(String name, boolean noflush) throws DmException, InterruptedException {
        MappedDevice md;
        synchronized (this) {
            md = get(name);
        }
        md.suspend(noflush); // outside the namespace lock: waiting for in-flight I/O must not stall other devices
    }

    public synchronized void resume(String name) throws DmException, InterruptedException {
        get(name).resume();
    }

    /** Sets the UUID of a device that has none, as "dmsetup rename NAME --setuuid UUID". */
    public synchronized void setUuid(String name, String uuid) throws DmException {
        MappedDevice md = get(name);
        if (md.uuid() != null) {
            throw DmException.invalid("device " + name + " already has a UUID");
        }
        if (findByUuid(uuid) != null) {
            throw new DmException(DmException.EBUSY, "UUID " + uuid + " is already in use");
        }
        md.setUuid(uuid);
        if (md.liveTable() != null) {
            md.event(); // dm_hash_rename wakes event waiters through the live table
        }
    }

    /**
     * Renames a device: the kernel's dev_rename (dm_hash_rename). The new name is checked as create's, then must be
     * free (EBUSY), then the device must exist (ENXIO); its number, UUID and tables stay, and with a live table its
     * event number is bumped.
     */
    public synchronized void rename(String name, String newName) throws DmException {
        if (newName.isEmpty() || newName.length() > NAME_MAX || newName.contains("/")) {
            throw DmException.invalid("Invalid new mapped device name or uuid string supplied.");
        }
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
        if (md.liveTable() != null) {
            md.event();
        }
    }

    /** Removes an unused device: the remove ioctl (EBUSY while open or used by another table). */
    public synchronized void remove(String name) throws DmException, InterruptedException {
        MappedDevice md = get(name);
        if (md.openCount() > 0) {
            throw new DmException(DmException.EBUSY, "device " + name + " is in use: open count "
                    + md.openCount());
        }
        byName.remove(name);
        minors.clear(md.devt().minor());
        md.destroy();
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
                return openFile(cwd.resolve(word), readOnly);
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

    private DmDev openFile(Path p, boolean readOnly) throws DmException {
        Path real;
        try {
            real = p.toRealPath();
        } catch (NoSuchFileException e) {
            throw new DmException(DmException.ENODEV, "no such file or mapped device");
        } catch (IOException e) {
            throw new DmException(DmException.ENXIO, e.toString());
        }
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
            int minor = fileMinors.nextClearBit(0);
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
