package jdm.md.raid1;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.block.Op;
import jdm.md.MdException;
import jdm.md.Mddev;
import jdm.md.Personality;
import jdm.md.PersonalityType;
import jdm.md.Rdev;
import jdm.md.ResyncBarrier;
import jdm.md.SyncAction;

/**
 * raid1 (drivers/md/raid1.c): every member in a role holds the whole array at the same data-area sector. A read goes
 * to one mirror ({@link #readBalance}), a write to every non-faulty member in a role (one being recovered and a
 * replacement included) and ends when all copies have, successfully when at least one did. A failed read is
 * retried from another mirror by the array's error-handling thread (raid1d), which also rewrites the good data onto
 * the failed mirror (fix_read_error). The sync thread's work is in {@link Raid1Sync}.
 */
public final class Raid1 implements Personality {
    public static final PersonalityType TYPE = new PersonalityType("raid1", 1, Raid1::run);

    final Mddev mddev;
    final int disks;
    final long devSectors;
    final ResyncBarrier barrier = new ResyncBarrier();
    /** Where each mirror's last read ended (conf->mirrors[i].head_position), for read balancing. */
    private final AtomicLongArray head;
    /** raid1d: the thread that handles read errors, where blocking is allowed. */
    private final ExecutorService raid1d;
    private final Raid1Sync sync;

    private Raid1(Mddev mddev) {
        this.mddev = mddev;
        this.disks = mddev.geometry().raidDisks();
        this.devSectors = mddev.geometry().devSectors();
        this.head = new AtomicLongArray(disks);
        this.raid1d = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, mddev.name() + "_raid1");
            t.setDaemon(true);
            return t;
        });
        this.sync = new Raid1Sync(this);
    }

    private static Personality run(Mddev mddev) throws MdException {
        var g = mddev.geometry();
        for (Rdev r : mddev.rdevs()) {
            if (r.role() >= g.raidDisks()) {
                throw MdException.invalid("md/raid1:" + mddev.name() + ": disk numbering problem. Aborting!");
            }
            if (r.role() >= 0 && r.sectors() < g.devSectors()) {
                throw MdException.invalid("md/raid1:" + mddev.name() + ": " + r.name() + " is smaller than the array");
            }
        }
        Raid1 conf = new Raid1(mddev);
        if (conf.degraded() == conf.disks) {
            conf.raid1d.shutdown();
            throw MdException.invalid("md/raid1:" + mddev.name() + ": no operational mirrors");
        }
        mddev.log("md/raid1:" + mddev.name() + ": active with " + (conf.disks - conf.degraded()) + " out of "
                + conf.disks + " mirrors");
        return conf;
    }

    @Override
    public long arraySectors() {
        return devSectors;
    }

    @Override
    public void makeRequest(Bio bio) {
        if (!barrier.enter(bio.sector(), bio.sectors(), () -> makeRequest(bio))) {
            return;
        }
        if (bio.op() == Op.READ) {
            new Raid1Read(this, bio).start();
        } else {
            Raid1Write.start(this, bio);
        }
    }

    /**
     * read_balance, simply: among the mirrors not yet tried that hold the range (in sync, or recovered past it),
     * the one whose last read ended where this one starts (a sequential run stays on its mirror), else the one
     * whose head is nearest; a write-mostly mirror only when no other can. Returns the role, or -1 when no mirror
     * is left.
     */
    int readBalance(long sector, int sectors, long triedRoles) {
        int best = -1;
        long bestDistance = Long.MAX_VALUE;
        int writeMostly = -1;
        for (int role = 0; role < disks; role++) {
            if ((triedRoles & (1L << role)) != 0 || !readable(role, sector, sectors)) {
                continue;
            }
            Rdev r = mddev.rdev(role);
            if (r != null && r.has(Rdev.Flag.WRITE_MOSTLY)) {
                writeMostly = writeMostly < 0 ? role : writeMostly;
                continue;
            }
            long distance = Math.abs(head.get(role) - sector);
            if (distance < bestDistance) {
                best = role;
                bestDistance = distance;
            }
        }
        if (best < 0) {
            best = writeMostly;
        }
        if (best >= 0) {
            head.set(best, sector + sectors);
        }
        return best;
    }

    /** Whether the member in role holds valid data for the range. */
    boolean readable(int role, long sector, long sectors) {
        Rdev r = mddev.rdev(role);
        return r != null && (r.inSync() || r.recoveryOffset() >= sector + sectors);
    }

    /** The members a write goes to: every non-faulty member in a role, and replacements being built. */
    List<Rdev> writeTargets() {
        List<Rdev> out = new ArrayList<>(disks);
        for (int role = 0; role < disks; role++) {
            Rdev r = mddev.rdev(role);
            if (r != null) {
                out.add(r);
            }
            Rdev repl = mddev.replacement(role);
            if (repl != null) {
                out.add(repl);
            }
        }
        return out;
    }

    /** Hands work that may block (read-error handling) to raid1d. */
    void toRaid1d(Runnable work, Bio bio) {
        try {
            raid1d.execute(work);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            bio.endio(BlkStatus.IOERR); // the array is stopping: no one is left to retry
        }
    }

    String prefix() {
        return "md/raid1:" + mddev.name() + ": ";
    }

    /**
     * raid1_error: the last in-sync mirror is never failed (the array would be gone; the I/O just fails, MD_BROKEN);
     * any other member goes FAULTY and out of sync, and the kernel's two lines are logged.
     */
    @Override
    public synchronized boolean error(Rdev rdev) {
        if (rdev.faulty()) {
            return false;
        }
        if (rdev.inSync() && disks - degraded() == 1) {
            return false;
        }
        rdev.clear(Rdev.Flag.IN_SYNC);
        rdev.set(Rdev.Flag.FAULTY);
        mddev.log(prefix() + "Disk failure on " + rdev.name() + ", disabling device.");
        mddev.log(prefix() + "Operation continuing on " + (disks - degraded()) + " devices.");
        return true;
    }

    /** Roles without an in-sync, non-faulty member (mddev->degraded). */
    @Override
    public int degraded() {
        int n = 0;
        for (int role = 0; role < disks; role++) {
            Rdev r = mddev.rdev(role);
            if (r == null || !r.inSync()) {
                n++;
            }
        }
        return n;
    }

    /** raid1_status: "[2/2] [UU]", '_' for a role without an in-sync member. */
    @Override
    public String status() {
        StringBuilder sb = new StringBuilder();
        sb.append('[').append(disks).append('/').append(disks - degraded()).append("] [");
        for (int role = 0; role < disks; role++) {
            Rdev r = mddev.rdev(role);
            sb.append(r != null && r.inSync() ? 'U' : '_');
        }
        return sb.append(']').toString();
    }

    @Override
    public long syncRequest(long sector, long maxSectors, SyncAction action, AtomicLong mismatches)
            throws InterruptedException {
        return sync.request(sector, maxSectors, action, mismatches);
    }

    /** Every pass walks the members' data areas (raid1's resync_max_sectors = dev_sectors). */
    @Override
    public long syncSectors(SyncAction action) {
        return devSectors;
    }

    /**
     * raid1_add_disk: a spare takes the first empty role (or the role it asks for), out of sync, to be recovered
     * from sector 0; with no empty role it becomes the replacement of a member that wants one.
     */
    @Override
    public synchronized boolean hotAdd(Rdev spare) {
        if (spare.faulty() || spare.sectors() < devSectors) {
            return false;
        }
        int first = spare.role() >= 0 ? spare.role() : 0;
        int last = spare.role() >= 0 ? spare.role() : disks - 1;
        for (int role = first; role <= last && role < disks; role++) {
            if (mddev.rdev(role) == null) {
                takeRole(spare, role);
                return true;
            }
        }
        for (int role = first; role <= last && role < disks; role++) {
            Rdev r = mddev.rdev(role);
            if (r.has(Rdev.Flag.WANT_REPLACEMENT) && mddev.replacement(role) == null) {
                spare.set(Rdev.Flag.REPLACEMENT);
                takeRole(spare, role);
                return true;
            }
        }
        return false;
    }

    private static void takeRole(Rdev spare, int role) {
        spare.clear(Rdev.Flag.IN_SYNC);
        spare.setRecoveryOffset(0);
        spare.setRole(role);
    }

    /** raid1_remove_disk: an in-sync working member stays; faulty members, spares and partial rebuilds may go. */
    @Override
    public boolean hotRemove(Rdev rdev) {
        return rdev.faulty() || !rdev.inSync() || rdev.role() < 0;
    }

    /**
     * raid1_spare_active: members recovered to the end become IN_SYNC (recoveryOffset MAX_SECTOR); a finished
     * replacement takes over its role and the member it replaced is failed.
     */
    @Override
    public synchronized int spareActive() {
        int count = 0;
        for (int role = 0; role < disks; role++) {
            Rdev repl = mddev.replacement(role);
            if (repl != null && recovered(repl)) {
                Rdev old = mddev.rdev(role);
                repl.setRecoveryOffset(Rdev.MAX_SECTOR);
                repl.set(Rdev.Flag.IN_SYNC);
                if (old == null || !old.clear(Rdev.Flag.IN_SYNC)) {
                    count++; // a role that was degraded is whole again
                }
                if (old != null) {
                    old.set(Rdev.Flag.FAULTY); // replaced: it must leave and never come back
                }
                repl.clear(Rdev.Flag.REPLACEMENT);
            }
            Rdev r = mddev.rdev(role);
            if (r != null && !r.inSync() && recovered(r)) {
                r.setRecoveryOffset(Rdev.MAX_SECTOR);
                r.set(Rdev.Flag.IN_SYNC);
                count++;
            }
        }
        return count;
    }

    private boolean recovered(Rdev r) {
        return !r.faulty() && r.recoveryOffset() >= devSectors;
    }

    /** Holds all normal I/O back (raise the barrier over everything) or lets it go. */
    @Override
    public void quiesce(boolean hold) throws InterruptedException {
        if (hold) {
            barrier.raise(0, Long.MAX_VALUE);
        } else {
            barrier.lower(0, Long.MAX_VALUE);
        }
    }

    @Override
    public void stop() {
        raid1d.shutdown();
    }

    /** Ends the array bio once the member I/O for it is done: the barrier is left first (raid_end_bio_io). */
    void endRequest(Bio bio, BlkStatus status) {
        barrier.exit(bio.sector(), bio.sectors());
        bio.endio(status);
    }
}
