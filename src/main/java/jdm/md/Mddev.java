package jdm.md;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;

/**
 * One md array (the kernel's {@code struct mddev}) as a block device 9:N: its geometry, its members by role, the
 * running personality. A bio enters here (md_submit_bio): writes to a read-only array fail, FLUSH goes to every
 * working member (md_flush_request), everything else to the personality's make_request. A member's I/O error
 * reaches {@link #error(Rdev)} (md_error), which asks the personality whether the member can be failed.
 *
 * <p>The array's lifecycle around this (superblocks, states, the sync thread, assembly) lives in the classes
 * beside it; this class is what a personality sees of its array.
 */
public final class Mddev implements BlockDevice {
    /** Told when a member has been failed (md_error's wake-ups: superblock update, recovery onto a spare). */
    @FunctionalInterface
    public interface FailureListener {
        void memberFailed(Mddev mddev, Rdev rdev);
    }

    private final String name;
    private final int minor;
    private final ArrayGeometry geometry;
    private final List<Rdev> rdevs;
    private final Consumer<String> kernelLog;
    private final List<FailureListener> failureListeners = new CopyOnWriteArrayList<>();
    private final Personality personality;
    private volatile boolean readOnly;
    private volatile WriteIntent writeIntent;
    private volatile WriteIntent writeGate;
    private final java.util.concurrent.atomic.AtomicLong ioSectors = new java.util.concurrent.atomic.AtomicLong();

    private Mddev(String name, int minor, ArrayGeometry geometry, List<Rdev> rdevs, Consumer<String> kernelLog,
            PersonalityType type) throws MdException {
        this.name = name;
        this.minor = minor;
        this.geometry = geometry;
        this.rdevs = new CopyOnWriteArrayList<>(rdevs);
        this.kernelLog = kernelLog;
        this.personality = type.factory().run(this);
    }

    /**
     * Starts an array (do_md_run): the personality for the geometry's level checks the members and sets up.
     *
     * @param rdevs the members, each with its role (-1: spare) and flags set (IN_SYNC for in-sync members)
     * @param kernelLog where the personality's and core's kernel-log lines go ("md/raid:md0: ...")
     */
    public static Mddev run(String name, int minor, ArrayGeometry geometry, List<Rdev> rdevs,
            PersonalityRegistry registry, Consumer<String> kernelLog) throws MdException {
        PersonalityType type = registry.find(geometry.level());
        if (type == null) {
            throw MdException.invalid("md: personality for level " + geometry.levelName() + " is not loaded!");
        }
        return new Mddev(name, minor, geometry, rdevs, kernelLog, type);
    }

    @Override
    public String name() {
        return name;
    }

    /** The N of 9:N. */
    public int minor() {
        return minor;
    }

    public ArrayGeometry geometry() {
        return geometry;
    }

    public Personality personality() {
        return personality;
    }

    /** Every member, spares and faulty ones included, in the order they were added. */
    public List<Rdev> rdevs() {
        return Collections.unmodifiableList(rdevs);
    }

    /** The non-faulty member in role, or null when the role is empty or its member faulty. */
    public Rdev rdev(int role) {
        Rdev found = null;
        for (Rdev r : rdevs) {
            if (r.role() == role && !r.faulty() && !r.has(Rdev.Flag.REPLACEMENT)) {
                found = r;
            }
        }
        return found;
    }

    /** The replacement being rebuilt for role (md's rdev->replacement), or null. */
    public Rdev replacement(int role) {
        for (Rdev r : rdevs) {
            if (r.role() == role && !r.faulty() && r.has(Rdev.Flag.REPLACEMENT)) {
                return r;
            }
        }
        return null;
    }

    /** Adds a member (a spare, role -1, or a replacement); the caller then offers it to the personality. */
    public void addRdev(Rdev rdev) {
        rdevs.add(rdev);
    }

    /** Takes a member out of the array and lets go of its device; the personality must have released it. */
    public void removeRdev(Rdev rdev) {
        if (rdevs.remove(rdev)) {
            rdev.close();
        }
    }

    /** Appends a line to the kernel log, as the kernel's pr_info/pr_crit from md and the personalities. */
    public void log(String line) {
        kernelLog.accept(line);
    }

    public void addFailureListener(FailureListener l) {
        failureListeners.add(l);
    }

    /**
     * md_error: a member failed an I/O. When the personality can lose it (it is marked FAULTY), listeners are told
     * (superblock update, recovery). Safe to call from end-io callbacks, more than once for the same member.
     */
    public void error(Rdev rdev) {
        if (rdev.faulty()) {
            return;
        }
        if (personality.error(rdev)) {
            for (FailureListener l : failureListeners) {
                l.memberFailed(this, rdev);
            }
        }
    }

    @Override
    public long sizeSectors() {
        return personality.arraySectors();
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    public void setReadOnly(boolean readOnly) {
        this.readOnly = readOnly;
    }

    /** Sets (or with null removes) the write-intent bitmap the array's writes go through. */
    public void setWriteIntent(WriteIntent writeIntent) {
        this.writeIntent = writeIntent;
    }

    public WriteIntent writeIntent() {
        return writeIntent;
    }

    /**
     * Sets (or with null removes) the gate every write passes before the write-intent bitmap: md_write_start /
     * md_write_end, through which the lifecycle marks the array active on disk before the first write after it was
     * clean (safe mode).
     */
    public void setWriteGate(WriteIntent gate) {
        this.writeGate = gate;
    }

    /**
     * Sectors of normal I/O submitted so far: the sync thread compares it between its steps to tell whether the
     * array is idle (is_mddev_idle) and throttles to sync_speed_min when it is not.
     */
    public long ioSectors() {
        return ioSectors.get();
    }

    @Override
    public void submitBio(Bio bio) {
        if (bio.op() != Op.READ && readOnly) {
            bio.endio(BlkStatus.PERM);
            return;
        }
        if (bio.op() == Op.FLUSH) {
            flush(bio);
            return;
        }
        ioSectors.addAndGet(bio.sectors());
        WriteIntent wi = writeIntent;
        WriteIntent gate = writeGate;
        if ((wi == null && gate == null) || bio.op() == Op.READ) {
            personality.makeRequest(bio);
            return;
        }
        long sector = bio.sector();
        long sectors = bio.sectors();
        var endIo = bio.endIo();
        bio.setEndIo(b -> {
            if (wi != null) {
                wi.endWrite(sector, sectors, b.status() == BlkStatus.OK);
            }
            if (gate != null) {
                gate.endWrite(sector, sectors, b.status() == BlkStatus.OK);
            }
            if (endIo != null) {
                endIo.bioEndIo(b);
            }
        });
        Runnable toPersonality = () -> personality.makeRequest(bio);
        Runnable throughBitmap = wi == null ? toPersonality : () -> wi.startWrite(sector, sectors, toPersonality);
        if (gate == null) {
            throughBitmap.run();
        } else {
            gate.startWrite(sector, sectors, throughBitmap);
        }
    }

    /** md_flush_request: an empty flush to every working member; the bio ends when all have. */
    private void flush(Bio bio) {
        List<Rdev> targets = new ArrayList<>();
        for (Rdev r : rdevs) {
            if (!r.faulty() && r.role() >= 0) {
                targets.add(r);
            }
        }
        for (Rdev r : targets) {
            bio.chain();
            r.metadataBio(Op.FLUSH, 0, 0, 0, null, b -> {
                if (b.status() != BlkStatus.OK) {
                    error(r);
                }
                bio.endio(b.status());
            }).submit();
        }
        bio.endio(BlkStatus.OK);
    }

    /** Stops the personality and lets go of every member. */
    @Override
    public void close() {
        personality.stop();
        for (Rdev r : rdevs) {
            r.close();
        }
        rdevs.clear();
    }

    @Override
    public String toString() {
        return name + " (" + geometry.levelName() + ", " + rdevs.size() + " members)";
    }
}
