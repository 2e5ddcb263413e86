package jdm.md;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import jdm.block.DeviceException;
import jdm.block.DeviceProvider;
import jdm.block.Errno;
import jdm.block.HeldDevice;

/**
 * Every md array by minor (the kernel's all_mddevs list with md_probe's naming): arrays are devices 9:N named
 * "mdN", also reachable as "/dev/mdN", "9:N" and, for arrays created or assembled under a name, "/dev/md/NAME"
 * (mdadm gives such arrays minors from 127 downward). As a {@link DeviceProvider} it lets dm tables name arrays;
 * each hold counts as an opener, so a used array cannot be stopped. Members of arrays resolve through
 * {@link #members()}: mapped devices, RAM disks and backing files, as the daemon wires them.
 */
public final class MdArrays implements DeviceProvider {
    /** MD_MAJOR. */
    public static final int MAJOR = 9;
    /** The highest minor mdadm hands out for a named array (find_free_devnm counts down from 127). */
    static final int NAMED_MINOR_TOP = 127;
    private static final String DEV = "/dev/";
    private static final String DEV_MD = "/dev/md/";

    private final PersonalityRegistry registry;
    private volatile Consumer<String> kernelLog;
    private final Map<Integer, MdArray> byMinor = new TreeMap<>();
    private final Map<String, Integer> namedMinors = new TreeMap<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile DeviceProvider members = DeviceProvider.NONE;
    private final MdSettings settings = new MdSettings();

    public MdArrays(PersonalityRegistry registry, Consumer<String> kernelLog) {
        this.registry = registry;
        this.kernelLog = kernelLog;
    }

    public PersonalityRegistry registry() {
        return registry;
    }

    /** The global speed_limit_min/max (/proc/sys/dev/raid). */
    public MdSettings settings() {
        return settings;
    }

    /** Sends md's kernel-log lines (core and personalities) to sink. */
    public void setKernelLog(Consumer<String> sink) {
        this.kernelLog = sink;
    }

    void log(String line) {
        kernelLog.accept(line);
    }

    Consumer<String> kernelLog() {
        return line -> kernelLog.accept(line);
    }

    /** Where members of arrays resolve (mapped devices, RAM disks, backing files). */
    public void setMembers(DeviceProvider members) {
        this.members = members;
    }

    public DeviceProvider members() {
        return members;
    }

    /** Runs listener after every array is added or removed or changes state. */
    public void addChangeListener(Runnable listener) {
        listeners.add(listener);
    }

    void changed() {
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                System.getLogger(MdArrays.class.getName()).log(System.Logger.Level.ERROR, "listener failed", e);
            }
        }
    }

    /** A parsed array name: its minor, or -1 with the NAME of /dev/md/NAME that has no minor yet. */
    public record ArrayName(int minor, String named) {
        public String canonical() {
            return "md" + minor;
        }
    }

    /**
     * Parses "md0", "/dev/md0", "9:0", "/dev/md/NAME" (NAME a number means mdNAME); null when the word is no array
     * name. A /dev/md/NAME already in use gets its minor; a new one minor -1.
     */
    public synchronized ArrayName parse(String word) {
        if (word == null) {
            return null;
        }
        if (word.startsWith(DEV_MD)) {
            String n = word.substring(DEV_MD.length());
            if (n.isEmpty() || n.contains("/")) {
                return null;
            }
            if (n.matches("[0-9]{1,7}")) {
                return new ArrayName(Integer.parseInt(n), null);
            }
            if (n.matches("md[0-9]{1,7}")) {
                return new ArrayName(Integer.parseInt(n.substring(2)), null);
            }
            Integer m = namedMinors.get(n);
            return new ArrayName(m == null ? -1 : m, n);
        }
        String w = word.startsWith(DEV) ? word.substring(DEV.length()) : word;
        if (w.matches("md[0-9]{1,7}")) {
            return new ArrayName(Integer.parseInt(w.substring(2)), null);
        }
        if (word.matches(MAJOR + ":[0-9]{1,7}")) {
            return new ArrayName(Integer.parseInt(word.substring(word.indexOf(':') + 1)), null);
        }
        return null;
    }

    /**
     * Reserves the minor for a new array named word (md_alloc): "md0" is minor 0, a new /dev/md/NAME the highest
     * free minor from 127 down. EEXIST when that array exists, EINVAL when word is no array name.
     */
    synchronized int reserve(String word) throws MdException {
        ArrayName n = parse(word);
        if (n == null) {
            throw MdException.invalid(word + " is an invalid name for an md device");
        }
        int minor = n.minor();
        if (minor < 0) {
            minor = NAMED_MINOR_TOP;
            while (minor >= 0 && byMinor.containsKey(minor)) {
                minor--;
            }
            if (minor < 0) {
                throw new MdException(Errno.ENOSPC, "no free md minor for " + word);
            }
        }
        if (byMinor.containsKey(minor)) {
            throw new MdException(Errno.EEXIST, "array md" + minor + " already exists");
        }
        byMinor.put(minor, null);
        if (n.named() != null) {
            namedMinors.put(n.named(), minor);
        }
        return minor;
    }

    /** Fills the minor reserved by {@link #reserve}. */
    synchronized void install(MdArray array) {
        byMinor.put(array.minor(), array);
    }

    /** Frees a minor (a failed create, or a stopped array). */
    void release(int minor) {
        synchronized (this) {
            byMinor.remove(minor);
            namedMinors.values().removeIf(m -> m == minor);
        }
        changed();
    }

    /** The array word names, or null. */
    public synchronized MdArray find(String word) {
        ArrayName n = parse(word);
        return n == null || n.minor() < 0 ? null : byMinor.get(n.minor());
    }

    /** The array word names; ENODEV as opening a /dev/mdN that does not exist. */
    public MdArray get(String word) throws MdException {
        MdArray a = find(word);
        if (a == null) {
            throw new MdException(Errno.ENODEV, "md device " + word + " does not appear to be active.");
        }
        return a;
    }

    /** The arrays by minor. */
    public synchronized List<MdArray> list() {
        List<MdArray> out = new ArrayList<>();
        for (MdArray a : byMinor.values()) {
            if (a != null) {
                out.add(a);
            }
        }
        return out;
    }

    /** The /dev/md/NAME an array was created or assembled under, or null. */
    public synchronized String namedPath(int minor) {
        for (var e : namedMinors.entrySet()) {
            if (e.getValue() == minor) {
                return DEV_MD + e.getKey();
            }
        }
        return null;
    }

    @Override
    public HeldDevice acquire(String word, Path cwd, boolean readOnly) throws DeviceException {
        ArrayName n = parse(word);
        if (n == null) {
            return null;
        }
        MdArray a;
        synchronized (this) {
            a = n.minor() < 0 ? null : byMinor.get(n.minor());
        }
        if (a == null) {
            if (word.startsWith(MAJOR + ":") || word.startsWith(DEV)) {
                throw new DeviceException(Errno.ENXIO, "no device " + word);
            }
            return null; // "md0" may still be a file in the caller's directory
        }
        Mddev dev = a.mddev();
        if (dev == null) {
            throw new DeviceException(Errno.ENXIO, word + ": array " + a.name() + " is not running");
        }
        a.open();
        return HeldDevice.of(dev, MAJOR, a.minor(), a::release);
    }
}
