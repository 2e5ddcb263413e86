package jdm.block.dev;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdm.block.DeviceException;
import jdm.block.NumberedFiles;
import jdm.block.Errno;
import jdm.block.HeldDevice;

/**
 * Backing files as devices 7:N, as the kernel's loop driver would show them: a table word that is a path (relative
 * to the caller's directory) or "7:N" of a file already open. Each file is opened once however many holders use
 * it, gets the lowest free minor, and is closed when the last holder lets go.
 */
public final class BackingFiles implements NumberedFiles {
    /** The loop driver's major. */
    public static final int MAJOR = 7;

    private final Object lock = new Object();
    private final Map<Path, Ref> byPath = new HashMap<>();
    private final BitSet minors = new BitSet();

    private final class Ref {
        final FileDevice device;
        final int minor;
        int holders;

        Ref(FileDevice device, int minor) {
            this.device = device;
            this.minor = minor;
        }

        HeldDevice hold() {
            holders++;
            return HeldDevice.of(device, MAJOR, minor, () -> {
                synchronized (lock) {
                    release(Ref.this);
                }
            });
        }
    }

    @Override
    public HeldDevice acquire(String word, Path cwd, boolean readOnly) throws DeviceException {
        int colon = word.indexOf(':');
        if (colon > 0 && !word.contains("/") && word.chars().allMatch(c -> c == ':' || (c >= '0' && c <= '9'))) {
            if (!word.substring(0, colon).equals(String.valueOf(MAJOR))) {
                return null; // another major's "major:minor"
            }
            synchronized (lock) {
                for (Ref r : byPath.values()) {
                    if ((MAJOR + ":" + r.minor).equals(word)) {
                        return checked(r, readOnly).hold();
                    }
                }
            }
            throw new DeviceException(Errno.ENXIO, "no device " + word);
        }
        return open(cwd.resolve(word), -1, readOnly);
    }

    /** {@inheritDoc} Backing files go by 7:minor. */
    @Override
    public HeldDevice hold(Path path, int minor, boolean readOnly) throws DeviceException {
        if (minor < 0) {
            throw new DeviceException(Errno.EINVAL, "invalid minor " + minor);
        }
        return open(path, minor, readOnly);
    }

    @Override
    public List<Entry> list() {
        synchronized (lock) {
            List<Entry> out = new ArrayList<>();
            for (Map.Entry<Path, Ref> e : byPath.entrySet()) {
                out.add(new Entry(e.getKey(), e.getValue().minor));
            }
            out.sort(Comparator.comparingInt(Entry::minor));
            return out;
        }
    }

    private HeldDevice open(Path p, int wantMinor, boolean readOnly) throws DeviceException {
        Path real;
        try {
            real = p.toRealPath();
        } catch (NoSuchFileException e) {
            throw new DeviceException(Errno.ENODEV, "no such file or mapped device");
        } catch (IOException e) {
            throw new DeviceException(Errno.ENXIO, e.toString());
        }
        synchronized (lock) {
            Ref ref = byPath.get(real);
            if (ref != null) {
                if (wantMinor >= 0 && ref.minor != wantMinor) {
                    throw new DeviceException(Errno.EBUSY, real + " is already open as " + MAJOR + ":" + ref.minor);
                }
                return checked(ref, readOnly).hold();
            }
            if (wantMinor >= 0 && minors.get(wantMinor)) {
                throw new DeviceException(Errno.EBUSY, MAJOR + ":" + wantMinor + " is another file's");
            }
            ref = new Ref(openFile(real), wantMinor >= 0 ? wantMinor : minors.nextClearBit(0));
            minors.set(ref.minor);
            byPath.put(real, ref);
            try {
                return checked(ref, readOnly).hold();
            } catch (DeviceException e) {
                release(ref);
                throw e;
            }
        }
    }

    private static FileDevice openFile(Path real) throws DeviceException {
        if (!Files.isRegularFile(real)) {
            throw new DeviceException(Errno.ENXIO, real + " is not a regular file");
        }
        try {
            return FileDevice.open(real, false);
        } catch (AccessDeniedException e) {
            try {
                return FileDevice.open(real, true);
            } catch (IOException e2) {
                throw new DeviceException(Errno.EPERM, "cannot open " + real + ": " + e2);
            }
        } catch (IOException e) {
            throw new DeviceException(Errno.ENXIO, "cannot open " + real + ": " + e);
        }
    }

    private static Ref checked(Ref ref, boolean readOnly) throws DeviceException {
        if (!readOnly && ref.device.readOnly()) {
            throw new DeviceException(Errno.EPERM, ref.device.name() + " can only be opened read-only");
        }
        return ref;
    }

    private void release(Ref ref) {
        if (--ref.holders <= 0) {
            byPath.remove(ref.device.path());
            minors.clear(ref.minor);
            ref.device.close();
        }
    }
}
