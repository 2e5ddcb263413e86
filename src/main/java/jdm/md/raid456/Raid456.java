package jdm.md.raid456;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.md.ArrayGeometry;
import jdm.md.MdException;
import jdm.md.Mddev;
import jdm.md.Personality;
import jdm.md.PersonalityType;
import jdm.md.Rdev;
import jdm.md.SyncAction;
import jdm.md.layout.ParityAlgorithm;
import jdm.md.layout.StripedParityLayout;

/**
 * raid4, raid5 and raid6 (drivers/md/raid5.c with lib/raid6): data striped in chunks with one (P) or two (P and
 * Q) parity chunks per stripe, placed as {@link StripedParityLayout} computes. Reads of members that are in sync go
 * straight to the member, split at chunk boundaries (raid5_read_one_chunk / chunk_aligned_read); every other piece
 * of work -- writes, degraded reads, reads that failed, the sync thread's windows -- becomes a {@link StripeHead}
 * on its stripe (chunk row), run in order per stripe by a {@link StripeQueue} and in parallel across stripes.
 */
public final class Raid456 implements Personality {
    public static final PersonalityType TYPE = new PersonalityType("raid456", List.of(4, 5, 6), Raid456::run);

    private final Mddev mddev;
    private final StripedParityLayout layout;
    private final int maxDegraded;
    private final long devSectors;
    private final StripeQueue stripes = new StripeQueue();
    private final Object gate = new Object();
    private int active;                       // bios and sync windows in flight (for quiesce)
    private boolean held;
    private final List<Bio> deferred = new ArrayList<>();
    private volatile ByteBuffer zeros;
    /** Members a recovery window failed to rebuild: their recovery offset stays until they are added again. */
    private final java.util.Set<Rdev> stalled = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private Raid456(Mddev mddev, StripedParityLayout layout, long devSectors) {
        this.mddev = mddev;
        this.layout = layout;
        this.maxDegraded = layout.level() == 6 ? 2 : 1;
        this.devSectors = devSectors;
        Parities.best();   // starts choosing the parity code
    }

    /** raid5_run / setup_conf: checks the geometry and that enough members are in sync. */
    private static Personality run(Mddev mddev) throws MdException {
        ArrayGeometry g = mddev.geometry();
        String md = "md/raid:" + mddev.name() + ": ";
        int chunk = g.chunkSectors();
        if (chunk < StripeHead.PAGE_SECTORS || Integer.bitCount(chunk) != 1) {
            throw MdException.invalid(md + "invalid chunk size " + chunk * 512);
        }
        ParityAlgorithm algorithm;
        try {
            algorithm = g.level() == 4 ? ParityAlgorithm.PARITY_N : ParityAlgorithm.ofNumber(g.layout());
        } catch (IllegalArgumentException e) {
            throw MdException.invalid(md + "layout " + g.layout() + " not supported");
        }
        int maxDegraded = g.level() == 6 ? 2 : 1;
        if (g.raidDisks() < maxDegraded + (g.level() == 6 ? 2 : 1)) {
            throw MdException.invalid(md + "not enough operational devices (" + g.raidDisks() + " raid disks)");
        }
        long devSectors = g.devSectors() / chunk * chunk;
        StripedParityLayout layout = new StripedParityLayout(g.level(), g.raidDisks(), chunk, algorithm, devSectors);
        int failed = 0;
        for (int role = 0; role < g.raidDisks(); role++) {
            Rdev r = mddev.rdev(role);
            if (r == null || !r.inSync()) {
                failed++;
            }
            if (r != null && r.sectors() < devSectors) {
                throw MdException.invalid(md + r.name() + " is smaller than the array's " + devSectors + " sectors");
            }
        }
        if (failed > maxDegraded) {
            throw MdException.invalid(md + "not enough operational devices (" + failed + "/" + g.raidDisks()
                    + " failed)");
        }
        for (int role = 0; role < g.raidDisks(); role++) {
            Rdev r = mddev.rdev(role);
            if (r != null && r.inSync()) {
                mddev.log(md + "device " + r.name() + " operational as raid disk " + role);
            }
        }
        mddev.log(md + "raid level " + g.level() + " active with " + (g.raidDisks() - failed) + " out of "
                + g.raidDisks() + " devices, algorithm " + g.layout());
        return new Raid456(mddev, layout, devSectors);
    }

    Mddev mddev() {
        return mddev;
    }

    StripedParityLayout layout() {
        return layout;
    }

    int maxDegraded() {
        return maxDegraded;
    }

    ParityKernel parity() {
        return Parities.best();
    }

    @Override
    public long arraySectors() {
        return devSectors * layout.dataDisks();
    }

    // ---- I/O ---------------------------------------------------------------------------------------------------

    @Override
    public void makeRequest(Bio bio) {
        if (bio.op() == Op.DISCARD || bio.op() == Op.WRITE_ZEROES && (bio.flags() & Bio.NOFALLBACK) != 0) {
            // raid456 takes no discards (devices_handle_discard_safely is off) and has no fast zeroing; a plain
            // write-zeroes becomes a write of zero pages, as the block layer's fallback does for raid5
            bio.endio(BlkStatus.NOTSUPP);
            return;
        }
        synchronized (gate) {
            if (held) {
                deferred.add(bio);
                return;
            }
            active++;
        }
        EndHook.wrap(bio, this::ioDone);
        if (bio.op() == Op.READ) {
            read(bio);
        } else {
            write(bio);
        }
        bio.endio(BlkStatus.OK);
    }

    private void ioDone() {
        synchronized (gate) {
            if (--active == 0) {
                gate.notifyAll();
            }
        }
    }

    /** chunk_aligned_read: each chunk piece straight to its member when it is in sync there, else via the stripe. */
    private void read(Bio bio) {
        int chunk = layout.chunkSectors();
        int done = 0;
        while (done < bio.sectors()) {
            long sector = bio.sector() + done;
            int n = (int) Math.min(bio.sectors() - done, chunk - (sector & (chunk - 1)));
            StripedParityLayout.Location loc = layout.map(sector);
            Rdev r = mddev.rdev(loc.member());
            bio.chain();
            if (r != null && (r.inSync() || r.recoveryOffset() >= loc.memberSector() + n)) {
                Bio piece = bio.clone(done, n, b -> {
                    if (b.status() == BlkStatus.OK) {
                        bio.endio(BlkStatus.OK);
                    } else {
                        stripeRead(bio, b.data(), loc, n);   // retry through the stripe: reconstruct, rewrite
                    }
                });
                r.remap(piece, loc.memberSector());
                piece.submit();
            } else {
                stripeRead(bio, bio.data().slice(bio.data().position() + done * Bio.SECTOR_SIZE,
                        n * Bio.SECTOR_SIZE), loc, n);
            }
            done += n;
        }
    }

    private void stripeRead(Bio parent, ByteBuffer data, StripedParityLayout.Location loc, int n) {
        int inChunk = (int) (loc.memberSector() % layout.chunkSectors());
        int c0 = inChunk / StripeHead.PAGE_SECTORS;
        int c1 = (inChunk + n + StripeHead.PAGE_SECTORS - 1) / StripeHead.PAGE_SECTORS;
        List<Piece> pieces = List.of(new Piece(loc.dataIndex(), inChunk, n, data));
        stripes.submit(loc.stripe(), () -> parent.endio(guarded(loc.stripe(), c0, c1, h -> h.read(pieces))));
    }

    /** Cuts a write into one piece of work per stripe it touches; stripes run in parallel. */
    private void write(Bio bio) {
        int chunk = layout.chunkSectors();
        long rowSectors = (long) chunk * layout.dataDisks();
        int done = 0;
        while (done < bio.sectors()) {
            long start = bio.sector() + done;
            long stripe = start / rowSectors;
            int n = (int) Math.min(bio.sectors() - done, (stripe + 1) * rowSectors - start);
            List<Piece> pieces = new ArrayList<>(4);
            int lo = chunk;
            int hi = 0;
            for (int off = 0; off < n; ) {
                long s = start + off;
                int inChunk = (int) (s & (chunk - 1));
                int len = Math.min(n - off, chunk - inChunk);
                int dataIndex = (int) (s / chunk % layout.dataDisks());
                ByteBuffer src = bio.op() == Op.WRITE_ZEROES ? zeros().slice(0, len * Bio.SECTOR_SIZE)
                        : bio.data().slice(bio.data().position() + (done + off) * Bio.SECTOR_SIZE,
                                len * Bio.SECTOR_SIZE);
                pieces.add(new Piece(dataIndex, inChunk, len, src));
                lo = Math.min(lo, inChunk);
                hi = Math.max(hi, inChunk + len);
                off += len;
            }
            bio.chain();
            stripes.submit(stripe, new StripeWrite(stripe, pieces, lo, hi, bio));
            done += n;
        }
    }

    /**
     * The writes waiting on one stripe, done as one piece of work (the bios on a stripe_head's towrite lists):
     * writes queued behind each other on a stripe join, so sequential writes that together fill the stripe need
     * no reads. A write that leaves the stripe partly unwritten while other I/O is in flight waits a moment for
     * the rest to arrive, as raid5 holds back partial stripes (STRIPE_DELAYED) until the queue is unplugged.
     */
    private final class StripeWrite implements StripeQueue.Batch {
        private static final long DELAY_NANOS = 200_000;

        private final long stripe;
        private final List<Piece> pieces;
        private final List<Bio> bios = new ArrayList<>(1);
        private int lo;
        private int hi;
        private int flags;

        StripeWrite(long stripe, List<Piece> pieces, int lo, int hi, Bio bio) {
            this.stripe = stripe;
            this.pieces = pieces;
            this.lo = lo;
            this.hi = hi;
            this.flags = bio.flags();
            bios.add(bio);
        }

        @Override
        public boolean absorb(Runnable next) {
            if (!(next instanceof StripeWrite w) || w.stripe != stripe || bios.size() >= 64) {
                return false;
            }
            pieces.addAll(w.pieces);
            bios.addAll(w.bios);
            lo = Math.min(lo, w.lo);
            hi = Math.max(hi, w.hi);
            flags |= w.flags;
            return true;
        }

        private boolean fillsStripe() {
            long[] per = new long[layout.dataDisks()];
            for (Piece p : pieces) {
                per[p.dataIndex()] += p.sectors();
            }
            for (long n : per) {
                if (n < layout.chunkSectors()) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void run() {
            if (!fillsStripe() && busy()) {
                java.util.concurrent.locks.LockSupport.parkNanos(DELAY_NANOS);
                stripes.absorbQueued(stripe, this);
            }
            int c0 = lo / StripeHead.PAGE_SECTORS;
            int c1 = (hi + StripeHead.PAGE_SECTORS - 1) / StripeHead.PAGE_SECTORS;
            BlkStatus status = guarded(stripe, c0, c1, h -> h.write(pieces, flags));
            for (Bio b : bios) {
                b.endio(status);
            }
        }
    }

    /** Whether more than one bio is in flight on the array (a stream, worth batching for). */
    private boolean busy() {
        synchronized (gate) {
            return active > 1;
        }
    }

    /** A chunk of zeros, the source of write-zeroes pieces. */
    private ByteBuffer zeros() {
        ByteBuffer z = zeros;
        if (z == null) {
            z = ByteBuffer.allocateDirect(layout.chunkSectors() * Bio.SECTOR_SIZE).asReadOnlyBuffer();
            zeros = z;
        }
        return z;
    }

    private interface Work {
        BlkStatus run(StripeHead head);
    }

    /**
     * Runs work on a stripe head over columns [c0, c1) of a stripe and gives its buffers back; an unexpected
     * failure fails the I/O rather than leaving it hanging.
     */
    private BlkStatus guarded(long stripe, int c0, int c1, Work work) {
        StripeHead head = null;
        try {
            head = new StripeHead(this, stripe, c0, c1);
            return work.run(head);
        } catch (RuntimeException e) {
            mddev.log("md/raid:" + mddev.name() + ": internal error: " + e);
            return BlkStatus.IOERR;
        } finally {
            if (head != null) {
                head.release();
            }
        }
    }

    // ---- failures and members ----------------------------------------------------------------------------------

    /** raid5_error: fails the member unless that leaves more failed than the level tolerates. */
    @Override
    public synchronized boolean error(Rdev rdev) {
        String md = "md/raid:" + mddev.name() + ": ";
        int role = rdev.role();
        boolean active = role >= 0 && role < layout.disks() && mddev.rdev(role) == rdev;
        int after = degraded() + (active && rdev.inSync() ? 1 : 0);
        if (after > maxDegraded) {
            mddev.log(md + "Cannot continue operation (" + after + "/" + layout.disks() + " failed).");
            return false;
        }
        mddev.log(md + "Disk failure on " + rdev.name() + ", disabling device.");
        rdev.set(Rdev.Flag.FAULTY);
        rdev.clear(Rdev.Flag.IN_SYNC);
        mddev.log(md + "Operation continuing on " + (layout.disks() - after) + " devices.");
        return true;
    }

    /** raid5_calc_degraded: roles without a member that is in sync. */
    @Override
    public int degraded() {
        int n = 0;
        for (int role = 0; role < layout.disks(); role++) {
            Rdev r = mddev.rdev(role);
            if (r == null || !r.inSync()) {
                n++;
            }
        }
        return n;
    }

    /** raid5_status. */
    @Override
    public String status() {
        StringBuilder s = new StringBuilder();
        s.append("level ").append(layout.level()).append(", ").append(layout.chunkSectors() / 2)
                .append("k chunk, algorithm ").append(mddev.geometry().layout()).append(" [")
                .append(layout.disks()).append('/').append(layout.disks() - degraded()).append("] [");
        for (int role = 0; role < layout.disks(); role++) {
            Rdev r = mddev.rdev(role);
            s.append(r != null && r.inSync() ? 'U' : '_');
        }
        return s.append(']').toString();
    }

    /**
     * raid5_add_disk: a spare takes the first role without a working member and starts from sector 0; with none
     * empty, it becomes the replacement of a member that wants one (WANT_REPLACEMENT, --replace).
     */
    @Override
    public synchronized boolean hotAdd(Rdev spare) {
        if (degraded() > maxDegraded) {
            return false;   // the array has failed: nothing to rebuild from
        }
        stalled.remove(spare);
        for (int role = 0; role < layout.disks(); role++) {
            if (mddev.rdev(role) == null) {
                spare.clear(Rdev.Flag.IN_SYNC);
                spare.clear(Rdev.Flag.REPLACEMENT);
                spare.setRecoveryOffset(0);
                spare.setRole(role);
                return true;
            }
        }
        for (int role = 0; role < layout.disks(); role++) {
            Rdev r = mddev.rdev(role);
            if (r.has(Rdev.Flag.WANT_REPLACEMENT) && mddev.replacement(role) == null) {
                spare.clear(Rdev.Flag.IN_SYNC);
                spare.setRecoveryOffset(0);
                spare.set(Rdev.Flag.REPLACEMENT);
                spare.setRole(role);
                return true;
            }
        }
        return false;
    }

    /**
     * raid5_remove_disk: faulty members and spares go; a working member in a role stays (-EBUSY), also one still
     * recovering, unless the array has failed and cannot recover anyway.
     */
    @Override
    public synchronized boolean hotRemove(Rdev rdev) {
        boolean active = rdev.role() >= 0 && rdev.role() < layout.disks() && mddev.rdev(rdev.role()) == rdev;
        return rdev.faulty() || !active || degraded() > maxDegraded;
    }

    /**
     * raid5_spare_active: members recovered to the end become in sync; a replacement rebuilt to the end takes its
     * role over and the member it replaced is failed.
     */
    @Override
    public synchronized int spareActive() {
        int n = 0;
        for (int role = 0; role < layout.disks(); role++) {
            Rdev repl = mddev.replacement(role);
            if (repl != null && repl.recoveryOffset() >= devSectors) {
                Rdev old = mddev.rdev(role);
                repl.setRecoveryOffset(Rdev.MAX_SECTOR);
                repl.set(Rdev.Flag.IN_SYNC);
                if (old == null || !old.clear(Rdev.Flag.IN_SYNC)) {
                    n++;
                }
                if (old != null) {
                    old.set(Rdev.Flag.FAULTY);
                }
                repl.clear(Rdev.Flag.REPLACEMENT);
            }
            Rdev r = mddev.rdev(role);
            if (r != null && !r.inSync() && r.recoveryOffset() >= devSectors) {
                r.setRecoveryOffset(Rdev.MAX_SECTOR);
                r.set(Rdev.Flag.IN_SYNC);
                n++;
            }
        }
        return n;
    }

    // ---- sync --------------------------------------------------------------------------------------------------

    @Override
    public long syncSectors(SyncAction action) {
        return devSectors;
    }

    /**
     * raid5 sync_request: one window, at most to the end of the stripe (chunk row), done on the stripe's queue so
     * normal I/O to it is ordered around it. RECOVER advances the recovery offset of the members it rebuilt to the
     * window's end; once a window could not be rebuilt (handle_failed_sync) a member's offset stays, so it does not
     * become active.
     */
    @Override
    public long syncRequest(long sector, long maxSectors, SyncAction action, AtomicLong mismatches)
            throws InterruptedException {
        if (action == SyncAction.RESHAPE) {
            throw new UnsupportedOperationException("raid456 reshape");
        }
        int chunk = layout.chunkSectors();
        if (sector >= devSectors) {
            return Math.max(1, maxSectors);
        }
        long stripe = sector / chunk;
        int inChunk = (int) (sector % chunk);
        long n = Math.min(Math.min(maxSectors, chunk - inChunk), devSectors - sector);
        int c0 = inChunk / StripeHead.PAGE_SECTORS;
        int c1 = (int) ((inChunk + n + StripeHead.PAGE_SECTORS - 1) / StripeHead.PAGE_SECTORS);
        long end = stripe * chunk + (long) c1 * StripeHead.PAGE_SECTORS;
        synchronized (gate) {
            while (held) {
                gate.wait();
            }
            active++;
        }
        try {
            List<Rdev> rebuilt = new ArrayList<>();
            BlkStatus[] status = new BlkStatus[1];
            stripes.runAndWait(stripe, () -> status[0] = guarded(stripe, c0, c1,
                    h -> h.sync(action, mismatches, rebuilt)));
            for (Rdev r : rebuilt) {
                if (status[0] != BlkStatus.OK) {
                    stalled.add(r);
                } else if (!r.faulty() && !stalled.contains(r) && r.recoveryOffset() < end) {
                    r.setRecoveryOffset(end);   // the sync thread may skip clean regions (bitmap): gaps allowed
                }
            }
        } finally {
            ioDone();
        }
        return end - sector;
    }

    // ---- lifecycle ---------------------------------------------------------------------------------------------

    @Override
    public void quiesce(boolean hold) throws InterruptedException {
        List<Bio> resume;
        synchronized (gate) {
            if (hold) {
                held = true;
                while (active > 0) {
                    gate.wait();
                }
                return;
            }
            held = false;
            gate.notifyAll();
            resume = new ArrayList<>(deferred);
            deferred.clear();
        }
        for (Bio b : resume) {
            makeRequest(b);
        }
    }
}
