package jdm.md;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdm.block.DeviceException;
import jdm.block.Errno;
import jdm.block.HeldDevice;
import jdm.md.sb.BitmapSuper;
import jdm.md.sb.Superblock1;
import jdm.md.sb.SuperblockException;

/**
 * mdadm --assemble with the kernel's side of it (Assemble.c, then super_1_validate and do_md_run): reads each
 * member's superblock, checks they belong to one set (the uuid), takes the freshest by events, gives every member
 * its role from that superblock's dev_roles (stale members, more than one event behind, join as spares to be
 * recovered), and starts the array
 * when enough members are there: all of them, or with {@code run} as many as the level can lose.
 */
public final class ArrayAssemble {
    /** A member to be: its device held, the path it was named by, its superblock. */
    record Candidate(HeldDevice held, String path, Superblock1 sb) {
    }

    /** What an assemble or create did: the array (null when nothing is left) and mdadm's messages. */
    public record Outcome(MdArray array, boolean started, List<String> messages) {
    }

    private ArrayAssemble() {
    }

    /**
     * Assembles name from the devices: each resolved against cwd through the arrays' member provider. uuid (may be
     * null) selects the set; force takes stale members as current.
     */
    public static Outcome assemble(MdArrays arrays, String name, List<String> devices, Path cwd, byte[] uuid,
            boolean run, boolean readOnly, boolean force) throws MdException, InterruptedException {
        if (arrays.find(name) != null) {
            throw MdException.busy("mdadm: " + devName(name) + " has been started already? (already active)");
        }
        if (devices.isEmpty()) {
            throw MdException.invalid("mdadm: no devices given for " + devName(name));
        }
        List<Candidate> found = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        try {
            byte[] want = uuid;
            for (String path : devices) {
                HeldDevice h = acquire(arrays, path, cwd);
                Superblock1 sb;
                try {
                    sb = SuperblockIo.read(h.device(), path);
                } catch (SuperblockException e) {
                    h.close();
                    throw MdException.invalid("mdadm: no recogniseable superblock on " + path + "\nmdadm: " + path
                            + " has no superblock - assembly aborted");
                }
                if (want == null) {
                    want = sb.uuid();
                } else if (!Arrays.equals(want, sb.uuid())) {
                    h.close();
                    if (uuid != null) {
                        messages.add("mdadm: " + path + " has wrong uuid.");
                        continue;
                    }
                    throw MdException.invalid("mdadm: superblock on " + path
                            + " doesn't match others - assembly aborted");
                }
                found.add(new Candidate(h, path, sb));
            }
            if (found.isEmpty()) {
                throw new MdException(Errno.ENODEV, "mdadm: no devices found for " + devName(name));
            }
            Outcome o = start(arrays, name, found, run, readOnly, force, null);
            found.clear();
            messages.addAll(o.messages());
            return new Outcome(o.array(), o.started(), messages);
        } finally {
            for (Candidate c : found) {
                c.held().close();
            }
        }
    }

    static HeldDevice acquire(MdArrays arrays, String path, Path cwd) throws MdException {
        HeldDevice h;
        try {
            h = arrays.members().acquire(path, cwd, false);
        } catch (DeviceException e) {
            throw new MdException(e.errno(), "mdadm: cannot open " + path + ": " + Errno.strerror(e.errno()));
        }
        if (h == null) {
            throw new MdException(Errno.ENOENT, "mdadm: cannot open " + path + ": No such file or directory");
        }
        for (MdArray a : arrays.list()) {
            for (MdMember m : a.members()) {
                if (m.rdev().device() == h.device()) {
                    h.close();
                    throw MdException.busy("mdadm: cannot open " + path + ": Device or resource busy");
                }
            }
        }
        return h;
    }

    static String devName(String name) {
        return name.startsWith("/") ? name : "/dev/" + name;
    }

    /**
     * Builds the array from members whose superblocks are read (assemble) or were just written (create) and starts
     * it when it may. On return the candidates belong to the array (or were closed).
     */
    static Outcome start(MdArrays arrays, String name, List<Candidate> found, boolean run, boolean readOnly,
            boolean force, BitmapSuper createBitmap) throws MdException, InterruptedException {
        List<String> messages = new ArrayList<>();
        Candidate freshest = found.getFirst();
        for (Candidate c : found) {
            if (Long.compareUnsigned(c.sb().events(), freshest.sb().events()) > 0) {
                freshest = c;
            }
        }
        Superblock1 ref = freshest.sb();
        int raidDisks = ref.raidDisks();
        Candidate[] byRole = new Candidate[raidDisks];
        List<Candidate> spares = new ArrayList<>();
        List<Candidate> unused = new ArrayList<>();
        for (Candidate c : found) {
            Superblock1 sb = c.sb();
            // a difference of one is allowed, as mdadm's event_margin and super_1_validate (ev1 + 1 < events) do:
            // md_update_sb writes the members one by one, so a crash between two of them leaves that difference
            boolean stale = Long.compareUnsigned(sb.events() + 1, ref.events()) < 0;
            if (stale && force) {
                messages.add("mdadm: forcing event count in " + c.path() + "(" + sb.events() + ") from "
                        + sb.events() + " up to " + ref.events());
                stale = false;
            }
            int role = sb.devNumber() < ref.maxDev() ? ref.role(sb.devNumber()) : Superblock1.ROLE_SPARE;
            if (role == Superblock1.ROLE_FAULTY || (role < Superblock1.ROLE_MAX && role >= raidDisks)) {
                unused.add(c);
            } else if (role == Superblock1.ROLE_SPARE || stale) {
                spares.add(c);
            } else if (byRole[role] != null) {
                unused.add(c);
            } else {
                byRole[role] = c;
            }
        }
        int working = 0;
        for (Candidate c : byRole) {
            working += c != null ? 1 : 0;
        }
        int minor = arrays.reserve(name);
        MdArray array = null;
        try {
            Superblock1 arraySb = ref.copy();
            long recoveryCp = arraySb.resyncOffset() == Superblock1.MAX_SECTOR ? Rdev.MAX_SECTOR
                    : arraySb.resyncOffset();
            array = new MdArray(arrays, minor, arraySb, ref.events(), recoveryCp);
            for (int role = 0; role < raidDisks; role++) {
                Candidate c = byRole[role];
                if (c != null) {
                    array.addMember(member(c, role));
                }
            }
            for (Candidate c : spares) {
                array.addMember(member(c, -1));
            }
            for (Candidate c : unused) {
                c.held().close();
            }
            found.clear();
            String dev = devName(name);
            int missing = raidDisks - working;
            boolean enough = missing <= tolerated(ref.level(), raidDisks);
            String counts = working + " drive" + (working == 1 ? "" : "s")
                    + (spares.isEmpty() ? "" : " and " + spares.size() + " spare" + (spares.size() == 1 ? "" : "s"));
            if (!enough || (missing > 0 && !run)) {
                String why = !enough ? " - not enough to start the array."
                        : " - need all " + raidDisks + " to start it (use --run to insist).";
                messages.add("mdadm: " + dev + " assembled from " + counts + why);
                arrays.install(array);
                arrays.changed();
                return new Outcome(array, false, messages);
            }
            arrays.install(array);
            try {
                array.run(readOnly ? MdArray.ReadMode.READONLY : MdArray.ReadMode.RW, createBitmap);
            } catch (MdException e) {
                messages.add("mdadm: failed to RUN_ARRAY " + dev + ": " + Errno.strerror(e.errno()));
                arrays.log(e.getMessage());
                array.stop();
                throw new MdException(e.errno(), String.join("\n", messages));
            }
            // mdadm's start_array: members still being recovered (a recovery_offset) count as "rebuilding"
            int rebuilding = 0;
            for (Candidate c : byRole) {
                rebuilding += c != null && c.sb().hasFeature(Superblock1.FEATURE_RECOVERY_OFFSET) ? 1 : 0;
            }
            int ok = working - rebuilding;
            messages.add("mdadm: " + dev + " has been started with " + ok + " drive" + (ok == 1 ? "" : "s")
                    + (ok < raidDisks ? " (out of " + raidDisks + ")" : "")
                    + (rebuilding == 0 ? "" : (spares.isEmpty() ? " and " : ", ") + rebuilding + " rebuilding")
                    + (spares.isEmpty() ? "" : " and " + spares.size() + " spare" + (spares.size() == 1 ? "" : "s"))
                    + ".");
            return new Outcome(array, true, messages);
        } catch (MdException | RuntimeException e) {
            if (array == null || !array.active()) {
                if (array != null) {
                    array.members().forEach(m -> m.rdev().close());
                }
                for (Candidate c : found) {
                    c.held().close();
                }
                arrays.release(minor);
            }
            throw e;
        }
    }

    private static MdMember member(Candidate c, int role) {
        Superblock1 sb = c.sb();
        Rdev r = new Rdev(c.held(), c.path(), sb.dataOffset(), sb.dataSize(), role);
        if (role >= 0) {
            if (sb.hasFeature(Superblock1.FEATURE_RECOVERY_OFFSET)) {
                r.setRecoveryOffset(sb.recoveryOffset());
            } else {
                r.set(Rdev.Flag.IN_SYNC);
                r.setRecoveryOffset(Rdev.MAX_SECTOR);
            }
            if (sb.hasFeature(Superblock1.FEATURE_REPLACEMENT)) {
                r.set(Rdev.Flag.REPLACEMENT);
            }
        }
        if ((sb.devflags() & Superblock1.DEVFLAG_WRITE_MOSTLY) != 0) {
            r.set(Rdev.Flag.WRITE_MOSTLY);
        }
        r.addCorrectedErrors(sb.cntCorrectedRead());
        return new MdMember(r, sb, c.path());
    }

    /** How many members the level can run without (mdadm's enough(), for the common layouts). */
    static int tolerated(int level, int raidDisks) {
        return switch (level) {
            case 1 -> raidDisks - 1;
            case 4, 5 -> 1;
            case 6 -> 2;
            case 10 -> 1;
            default -> 0;
        };
    }
}
