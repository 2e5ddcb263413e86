package jdm.md.raid10;

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
import jdm.md.layout.MemberSector;
import jdm.md.layout.Raid10Layout;

/**
 * raid10 (drivers/md/raid10.c) with near, far and offset copies ({@link Raid10Layout}, the kernel's layout word). A
 * bio is split at chunk boundaries; each piece has {@code copies} places, in the kernel's slot order. A read goes to
 * one copy ({@link #readBalance}), a write to every copy whose member is not faulty, ending OK when one copy took
 * it. A failed read is retried from another copy on raid10d, which rewrites the good data over the copy that failed
 * (fix_read_error). A member is failed unless that would leave one of its copy sets without an in-sync member
 * (raid10_error with enough()). Sync work is in {@link Raid10Sync}.
 */
public final class Raid10 implements Personality {
    public static final PersonalityType TYPE = new PersonalityType("raid10", 10, Raid10::run);

    final Mddev mddev;
    final int disks;
    final int chunkSectors;
    /** The part of each member the layout uses (calc_sectors' conf->dev_sectors: used chunks per member). */
    final long devSectors;
    /** Member sectors between far copies (geo->stride). */
    final long stride;
    final int near;
    final int far;
    final boolean offset;
    final Raid10Layout layout;
    final ResyncBarrier barrier = new ResyncBarrier();
    private final AtomicLongArray head;
    private final ExecutorService raid10d;
    private final Raid10Sync sync;

    private Raid10(Mddev mddev, Raid10Layout layout) {
        var g = mddev.geometry();
        this.mddev = mddev;
        this.disks = g.raidDisks();
        this.chunkSectors = g.chunkSectors();
        this.near = g.layout() & 0xff;
        this.far = (g.layout() >> 8) & 0xff;
        this.offset = (g.layout() & 0x10000) != 0;
        long chunks = g.devSectors() / chunkSectors / far * disks / near;   // calc_sectors: the array's chunks
        long used = (chunks * near * far + disks - 1) / disks;              // used chunks per member, rounded up
        this.devSectors = used * chunkSectors;
        this.stride = offset ? chunkSectors : used / far * chunkSectors;
        this.layout = layout;
        this.head = new AtomicLongArray(disks);
        this.raid10d = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, mddev.name() + "_raid10");
            t.setDaemon(true);
            return t;
        });
        this.sync = new Raid10Sync(this);
    }

    /** raid10_run / setup_conf: the chunk, the layout word, every role's member, and enough copies present. */
    private static Personality run(Mddev mddev) throws MdException {
        var g = mddev.geometry();
        String prefix = "md/raid10:" + mddev.name() + ": ";
        if (g.chunkSectors() < 8 || Integer.bitCount(g.chunkSectors()) != 1) {
            throw MdException.invalid(prefix + "chunk size must be at least PAGE_SIZE(4096) and be a power of 2.");
        }
        Raid10Layout layout;
        try {
            layout = new Raid10Layout(g.raidDisks(), g.layout(), g.chunkSectors(), g.devSectors());
        } catch (IllegalArgumentException e) {
            throw MdException.invalid(prefix + "unsupported raid10 layout: 0x" + String.format("%8x", g.layout()));
        }
        for (Rdev r : mddev.rdevs()) {
            if (r.role() >= g.raidDisks()) {
                throw MdException.invalid(prefix + "disk numbering problem. Aborting!");
            }
            if (r.role() >= 0 && r.sectors() < g.devSectors()) {
                throw MdException.invalid(prefix + r.name() + " is smaller than the array");
            }
        }
        Raid10 conf = new Raid10(mddev, layout);
        if (!conf.enough(-1)) {
            conf.raid10d.shutdown();
            throw MdException.invalid(prefix + "not enough operational mirrors.");
        }
        mddev.log(prefix + "active with " + (conf.disks - conf.degraded()) + " out of " + conf.disks + " devices");
        return conf;
    }

    @Override
    public long arraySectors() {
        return layout.arraySectors();
    }

    /** Splits at chunk boundaries (raid10_make_request) and handles each piece as its own bio. */
    @Override
    public void makeRequest(Bio bio) {
        int done = 0;
        while (done < bio.sectors()) {
            long sector = bio.sector() + done;
            int n = (int) Math.min(bio.sectors() - done, chunkSectors - (sector & (chunkSectors - 1)));
            bio.chain();
            piece(bio.clone(done, n, p -> bio.endio(p.status())));
            done += n;
        }
        bio.endio(BlkStatus.OK);
    }

    private void piece(Bio piece) {
        if (!barrier.enter(piece.sector(), piece.sectors(), () -> piece(piece))) {
            return;
        }
        MemberSector[] copies = layout.copies(piece.sector());
        if (piece.op() == Op.READ) {
            new Raid10Read(this, piece, copies).start();
        } else {
            Raid10Write.start(this, piece, copies);
        }
    }

    /**
     * read_balance, simply: among the copies not yet tried whose member holds the range, with far copies the one
     * nearest the start of its member (the kernel prefers the lowest address there), else the one whose member's
     * last read ended nearest (a sequential run stays on its member). Returns the slot, or -1.
     */
    int readBalance(MemberSector[] copies, int sectors, long triedSlots) {
        int best = -1;
        long bestDistance = Long.MAX_VALUE;
        for (int slot = 0; slot < copies.length; slot++) {
            MemberSector c = copies[slot];
            if ((triedSlots & (1L << slot)) != 0 || !readable(c, sectors)) {
                continue;
            }
            long distance = far > 1 ? c.sector() : Math.abs(head.get(c.member()) - c.sector());
            if (distance < bestDistance) {
                best = slot;
                bestDistance = distance;
            }
        }
        if (best >= 0) {
            head.set(copies[best].member(), copies[best].sector() + sectors);
        }
        return best;
    }

    boolean readable(MemberSector c, long sectors) {
        Rdev r = mddev.rdev(c.member());
        return r != null && (r.inSync() || r.recoveryOffset() >= c.sector() + sectors);
    }

    void toRaid10d(Runnable work, Bio bio) {
        try {
            raid10d.execute(work);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            bio.endio(BlkStatus.IOERR); // the array is stopping: no one is left to retry
        }
    }

    String prefix() {
        return "md/raid10:" + mddev.name() + ": ";
    }

    void endRequest(Bio piece, BlkStatus status) {
        barrier.exit(piece.sector(), piece.sectors());
        piece.endio(status);
    }

    /**
     * _enough: every copy set (the {@code copies} roles from each multiple of near_copies) keeps an in-sync member,
     * not counting role {@code ignore}.
     */
    boolean enough(int ignore) {
        int copies = near * far;
        int first = 0;
        do {
            int count = 0;
            int role = first;
            for (int n = 0; n < copies; n++) {
                Rdev r = role == ignore ? null : mddev.rdev(role);
                if (r != null && r.inSync()) {
                    count++;
                }
                role = (role + 1) % disks;
            }
            if (count == 0) {
                return false;
            }
            first = (first + near) % disks;
        } while (first != 0);
        return true;
    }

    /** raid10_error: refused when an in-sync member's copy set would be left empty; else FAULTY and logged. */
    @Override
    public synchronized boolean error(Rdev rdev) {
        if (rdev.faulty()) {
            return false;
        }
        if (rdev.inSync() && !enough(rdev.role())) {
            return false;
        }
        rdev.clear(Rdev.Flag.IN_SYNC);
        rdev.set(Rdev.Flag.FAULTY);
        mddev.log(prefix() + "Disk failure on " + rdev.name() + ", disabling device.");
        mddev.log(prefix() + "Operation continuing on " + (disks - degraded()) + " devices.");
        return true;
    }

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

    /**
     * raid10_status: "64K chunks" unless every member is a near copy, "N near-copies" / "N far-copies" /
     * "N offset-copies" for more than one, then "[4/4] [UUUU]".
     */
    @Override
    public String status() {
        StringBuilder sb = new StringBuilder();
        if (near < disks) {
            sb.append(chunkSectors / 2).append("K chunks ");
        }
        if (near > 1) {
            sb.append(near).append(" near-copies ");
        }
        if (far > 1) {
            sb.append(far).append(offset ? " offset-copies " : " far-copies ");
        }
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

    /**
     * As md_do_sync counts for raid10: resync, check and repair walk the array's (virtual) sectors
     * (resync_max_sectors = the array size); recovery walks the members' used sectors (dev_sectors as
     * calc_sectors sets it).
     */
    @Override
    public long syncSectors(SyncAction action) {
        return action == SyncAction.RECOVER ? devSectors : arraySectors();
    }

    /** raid10_add_disk: a spare takes the first empty role (or the one it asks for), to be recovered from 0. */
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
            if (mddev.rdev(role).has(Rdev.Flag.WANT_REPLACEMENT) && mddev.replacement(role) == null) {
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

    @Override
    public boolean hotRemove(Rdev rdev) {
        return rdev.faulty() || !rdev.inSync() || rdev.role() < 0;
    }

    /** raid10_spare_active: members (and replacements) recovered to the end become IN_SYNC. */
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
        raid10d.shutdown();
    }
}
