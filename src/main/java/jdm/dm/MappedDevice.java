package jdm.dm;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.DataRegion;
import jdm.block.ExtentSink;
import jdm.block.Op;
import jdm.block.QueueLimits;

/**
 * A mapped device (drivers/md/dm.c): a live table that maps every bio, an inactive table waiting for resume, and
 * the suspend gate.
 *
 * <p>The request path: a bio passes the gate (counted in flight), the live table finds the target for each piece
 * in O(log n), the bio is split at target and {@link Target#maxIoLenSectors()} boundaries into clones whose
 * sectors are relative to their target, each target maps its clone, and remapped clones are submitted to the
 * lower device. The original ends when its last clone ends.
 *
 * <p>Suspend closes the gate: new bios are queued, and suspend returns once every bio in flight has ended. Resume
 * swaps in the inactive table (if one was loaded), opens the gate and resubmits the queued bios, so a table swap
 * loses no I/O. The gate is one atomic word (a BLOCKED bit plus the in-flight count), so the fast path costs one
 * atomic increment and one decrement.
 */
public final class MappedDevice implements BlockDevice {
    private static final long BLOCKED = 1L << 62;
    /** How long suspend waits for open read regions (see {@link #readRegion}). */
    static final long REGION_WAIT_NANOS = 5_000_000_000L;
    private static final int PAGE_BYTES = 4096;
    private static final int READAHEAD_MIN_PAGES = (128 << 10) / PAGE_BYTES;

    private volatile String name;
    private final DevT devt;
    private final boolean createdReadOnly;
    private volatile String uuid;
    private volatile Table live;
    /** The immutable target type the device has had live, which later tables must keep (md->immutable_target_type). */
    private volatile TargetType immutableType;
    private Table inactive;

    /** Serializes suspend, resume and destroy, held while draining I/O: the kernel's suspend_lock. */
    private final Object suspendLock = new Object();
    private final AtomicLong gate = new AtomicLong();
    /** Read regions handed out and not yet closed (see {@link #readRegion}). */
    private final AtomicInteger regions = new AtomicInteger();
    private final Object ioLock = new Object();
    private final ArrayDeque<Bio> deferred = new ArrayDeque<>();
    private volatile boolean suspended;
    private volatile boolean noflushSuspend;

    private final AtomicInteger openCount = new AtomicInteger();
    private final AtomicInteger eventNr = new AtomicInteger();

    public MappedDevice(String name, String uuid, DevT devt, boolean readOnly) {
        this.name = name;
        this.uuid = uuid;
        this.devt = devt;
        this.createdReadOnly = readOnly;
    }

    @Override
    public String name() {
        return name;
    }

    void setName(String name) {
        this.name = name;
    }

    public String uuid() {
        return uuid;
    }

    void setUuid(String uuid) {
        this.uuid = uuid;
    }

    public DevT devt() {
        return devt;
    }

    /**
     * Read-only follows the live table's mode, as the kernel's do_resume sets the disk read-only from the table;
     * before any table, it is what the device was created with.
     */
    @Override
    public boolean readOnly() {
        Table t = live;
        return t != null ? t.readOnly() : createdReadOnly;
    }

    @Override
    public long sizeSectors() {
        Table t = live;
        return t == null ? 0 : t.sizeSectors();
    }

    /** The live table's stacked limits; with no table, a stacking device's defaults. */
    @Override
    public QueueLimits limits() {
        Table t = live;
        return t == null ? QueueLimits.STACKING : t.limits();
    }

    /**
     * The read-ahead dmsetup info prints, in sectors, as the kernel's disk_update_readahead sets it: twice io_opt in
     * 4 KiB pages, at least VM_READAHEAD_PAGES (128 KiB).
     */
    public int readAheadSectors() {
        int pages = Math.max((int) (limits().ioOptBytes() * 2L / PAGE_BYTES), READAHEAD_MIN_PAGES);
        return pages * (PAGE_BYTES / Bio.SECTOR_SIZE);
    }

    public Table liveTable() {
        return live;
    }

    public synchronized Table inactiveTable() {
        return inactive;
    }

    public boolean suspended() {
        return suspended;
    }

    public int openCount() {
        return openCount.get();
    }

    public int eventNr() {
        return eventNr.get();
    }

    /** Sets the event number a restarted daemon recorded for the device (state restore). */
    void restoreEventNr(int nr) {
        eventNr.set(nr);
    }

    /** Counts an opener (an NBD connection, a table that uses this device). */
    public void open() {
        openCount.incrementAndGet();
    }

    /** Drops an opener. */
    public void release() {
        openCount.decrementAndGet();
    }

    /** Raises an event: dm_table_event. Waiters in {@link #waitEvent} wake up. */
    public void event() {
        eventNr.incrementAndGet();
        synchronized (eventNr) {
            eventNr.notifyAll();
        }
    }

    /** Waits until the event number differs from {@code seen} or the timeout passes; returns the current number. */
    public int waitEvent(int seen, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (eventNr) {
            while (eventNr.get() == seen) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    break;
                }
                eventNr.wait(left);
            }
        }
        return eventNr.get();
    }

    // ---- control: the table lifecycle. The monitor of this object guards the inactive table only and is never
    // held while waiting; suspend, resume and destroy serialize on suspendLock, which is held while I/O drains. ----

    /** Makes table the inactive one, destroying a previous inactive table: the load ioctl. */
    void load(Table table) throws DmException {
        TargetType keep = immutableType;
        if (keep != null && keep != table.immutableType() && !table.hasWildcard()) {
            table.release();
            throw DmException.invalid("can't replace immutable target type " + keep.name());
        }
        Table old = swapInactive(table);
        if (old != null) {
            old.release(); // outside this device's monitor: releasing takes the namespace's lock
        }
    }

    /** Destroys the inactive table: the clear ioctl. Returns false when there was none. */
    boolean clearInactive() {
        Table old = swapInactive(null);
        if (old != null) {
            old.release();
        }
        return old != null;
    }

    private synchronized Table swapInactive(Table table) {
        Table old = inactive;
        inactive = table;
        return old;
    }

    /**
     * Stops new I/O (it is queued) and waits for I/O in flight to end. With noflush, I/O a target asks to requeue
     * stays queued for resume instead of failing.
     */
    public void suspend(boolean noflush) throws InterruptedException {
        synchronized (suspendLock) {
            suspendLocked(noflush);
        }
    }

    private void suspendLocked(boolean noflush) throws InterruptedException {
        if (suspended) {
            return;
        }
        Table t = live;
        if (t != null) {
            t.presuspend();
        }
        synchronized (ioLock) {
            noflushSuspend = noflush;
            gate.getAndAdd(BLOCKED);
            suspended = true;
            while (gate.get() != BLOCKED) {
                ioLock.wait();
            }
            long deadline = System.nanoTime() + REGION_WAIT_NANOS;
            for (long left = REGION_WAIT_NANOS; regions.get() > 0 && left > 0; left = deadline - System.nanoTime()) {
                ioLock.wait(Math.max(1, left / 1_000_000));
            }
        }
        if (t != null) {
            t.postsuspend();
        }
    }

    /**
     * Swaps in the inactive table when there is one (suspending first if needed), then lets I/O flow again,
     * resubmitting what was queued: the resume ioctl. Returns true when a table was swapped.
     *
     * <p>Before I/O flows, each target's {@link Target#preresume()} runs; when one refuses, the device stays
     * suspended (with the new table live, as the kernel's do_resume leaves it) and the refusal is thrown.
     */
    public boolean resume() throws DmException, InterruptedException {
        synchronized (suspendLock) {
            Table next = takeInactive();
            Table old = null;
            if (next != null) {
                suspendLocked(false);
                old = live;
                live = next;
                if (immutableType == null) {
                    immutableType = next.immutableType();
                }
            }
            if (old != null) {
                old.release();
            }
            if (!suspended) {
                return next != null;
            }
            Table t = live;
            if (t != null) {
                t.preresume();
                t.resumeTargets();
            }
            List<Bio> queued;
            synchronized (ioLock) {
                queued = List.copyOf(deferred);
                deferred.clear();
                suspended = false;
                noflushSuspend = false;
                gate.getAndAdd(-BLOCKED);
            }
            for (Bio b : queued) {
                b.submit();
            }
            return next != null;
        }
    }

    private Table takeInactive() {
        return swapInactive(null);
    }

    /** Destroys both tables; the device must be unused (the namespace checks). */
    void destroy() throws InterruptedException {
        synchronized (suspendLock) {
            if (live != null && !suspended) {
                suspendLocked(false);
            }
            clearInactive();
            Table t = live;
            live = null;
            if (t != null) {
                t.release();
            }
            List<Bio> queued;
            synchronized (ioLock) {
                queued = List.copyOf(deferred);
                deferred.clear();
            }
            for (Bio b : queued) {
                b.endio(BlkStatus.IOERR);
            }
        }
    }

    /**
     * The live table's answer, target by target (each asked with target-relative sectors). A query, not I/O: it
     * does not wait for a suspended device, and a reload in between only makes the hint stale.
     */
    @Override
    public boolean extents(long sector, long sectors, ExtentSink sink) {
        Table t = live;
        if (t == null) {
            return BlockDevice.super.extents(sector, sectors, sink);
        }
        long end = Math.min(sector + sectors, t.sizeSectors());
        for (int i = t.find(sector); sector < end; i++) {
            Table.Entry e = t.entry(i);
            long len = Math.min(end, e.endSector()) - sector;
            if (!e.target().extents(sector - e.beginSector(), len, sink)) {
                return false;
            }
            sector += len;
        }
        return true;
    }

    /**
     * The live table's region for a range inside one target; null while suspended (the READ bio then waits as bios
     * do) and for ranges no target can give (they cross targets or a target transforms them). An open region is
     * I/O in flight: suspend waits for its close, so that no reply goes out from a table already swapped out, but
     * only so long ({@link #REGION_WAIT_NANOS}): a region is closed when its reply has reached the client's socket,
     * and a client that stops reading must not hold the device's suspend (dmsetup's reload) forever.
     */
    @Override
    public DataRegion readRegion(long sector, int sectors) {
        regions.incrementAndGet(); // before the test: a suspend that blocks the gate after it then waits for us
        DataRegion region = null;
        try {
            if ((gate.get() & BLOCKED) == 0) {
                region = targetRegion(live, sector, sectors, false);
            }
        } finally {
            if (region == null) {
                regionClosed();
            }
        }
        return region == null ? null : region.heldBy(this::regionClosed);
    }

    /**
     * The live table's memory for a write by reference inside one target, held as a write in flight (as a bio:
     * suspend waits for it without limit; the caller bounds how long it fills it); null while suspended, for a
     * read-only table, and where no target can give one.
     */
    @Override
    public DataRegion writeRegion(long sector, int sectors) {
        if ((gate.getAndIncrement() & BLOCKED) != 0) {
            exitIo();
            return null;
        }
        DataRegion region = null;
        try {
            Table t = live;
            if (t != null && !t.readOnly()) {
                region = targetRegion(t, sector, sectors, true);
            }
        } finally {
            if (region == null) {
                exitIo();
            }
        }
        return region == null ? null : region.heldBy(this::exitIo);
    }

    /** The region of the one target holding the whole range, or null (no table, or the range crosses targets). */
    private static DataRegion targetRegion(Table t, long sector, int sectors, boolean write) {
        if (t == null || sector + sectors > t.sizeSectors()) {
            return null;
        }
        Table.Entry e = t.entry(t.find(sector));
        if (sector + sectors > e.endSector()) {
            return null;
        }
        long relative = sector - e.beginSector();
        return write ? e.target().writeRegion(relative, sectors) : e.target().readRegion(relative, sectors);
    }

    private void regionClosed() {
        if (regions.decrementAndGet() == 0 && (gate.get() & BLOCKED) != 0) {
            synchronized (ioLock) {
                ioLock.notifyAll();
            }
        }
    }

    // ---- the request path ----

    @Override
    public void submitBio(Bio bio) {
        while ((gate.getAndIncrement() & BLOCKED) != 0) {
            exitIo();
            synchronized (ioLock) {
                if ((gate.get() & BLOCKED) != 0) {
                    deferred.add(bio);
                    return;
                }
            }
        }
        Table t = live;
        BlkStatus refuse = check(t, bio);
        if (refuse != null) {
            exitIo();
            bio.endio(refuse);
            return;
        }
        MappedIo io = new MappedIo(bio);
        switch (bio.op()) {
            case FLUSH -> flush(t, io);
            case DISCARD, WRITE_ZEROES -> changeExtents(t, io);
            default -> readWrite(t, io);
        }
        io.put(BlkStatus.OK);
    }

    private BlkStatus check(Table t, Bio bio) {
        if (t == null) {
            return BlkStatus.IOERR;
        }
        if (bio.op() != Op.FLUSH && bio.endSector() > t.sizeSectors()) {
            return BlkStatus.IOERR; // beyond the end of the device: the kernel's bio_check_eod
        }
        if (bio.op().isWrite() && t.readOnly()) {
            return BlkStatus.PERM;
        }
        return null;
    }

    private void readWrite(Table t, MappedIo io) {
        Bio bio = io.orig;
        long sector = bio.sector();
        long end = bio.endSector();
        int i = t.find(sector);
        while (sector < end) {
            Table.Entry e = t.entry(i);
            long len = Math.min(end, e.endSector()) - sector;
            len = Math.min(len, toBoundary(sector - e.beginSector(), e.target().maxIoLenSectors()));
            // a target may accept only the front of its clone (acceptPartialBio): the rest is the next clone
            sector += mapClone(e, io, bio.clone((int) (sector - bio.sector()), (int) len, null), 0);
            if (sector >= e.endSector()) {
                i++;
            }
        }
    }

    /** Sectors from a target-relative sector to the next multiple of boundary (no limit when boundary is 0). */
    private static long toBoundary(long relativeSector, long boundary) {
        return boundary > 0 ? boundary - relativeSector % boundary : Long.MAX_VALUE;
    }

    /**
     * Lets a target map only the first {@code sectors} sectors of a READ or WRITE clone it is mapping: the core
     * sends the rest as a further clone after this one, as the kernel's dm_accept_partial_bio. Call it inside
     * {@link Target#map}, before the clone is submitted or remapped.
     */
    public static void acceptPartialBio(Bio clone, int sectors) {
        if (clone.op() != Op.READ && clone.op() != Op.WRITE) {
            throw new IllegalArgumentException("acceptPartialBio on " + clone + ": only reads and writes split");
        }
        if (sectors <= 0) {
            throw new IllegalArgumentException("acceptPartialBio on " + clone + ": " + sectors + " sectors");
        }
        clone.trim(sectors);
    }

    private void changeExtents(Table t, MappedIo io) {
        Bio bio = io.orig;
        long sector = bio.sector();
        long end = bio.endSector();
        long maxDiscard = t.limits().maxDiscardSectors();
        for (int i = t.find(sector); sector < end; ) {
            Table.Entry e = t.entry(i);
            Target target = e.target();
            long len = Math.min(end, e.endSector()) - sector;
            if (bio.op() == Op.DISCARD && target.splitDiscards()) {
                len = Math.min(len, toBoundary(sector - e.beginSector(), maxDiscard));
            }
            int copies = bio.op() == Op.DISCARD ? target.numDiscardBios() : target.numWriteZeroesBios();
            if (copies == 0) {
                io.error(BlkStatus.NOTSUPP);
            }
            for (int n = 0; n < copies; n++) {
                mapClone(e, io, bio.clone((int) (sector - bio.sector()), (int) len, null), n);
            }
            sector += len;
            if (sector >= e.endSector()) {
                i++;
            }
        }
    }

    private void flush(Table t, MappedIo io) {
        for (int i = 0; i < t.size(); i++) {
            Table.Entry e = t.entry(i);
            for (int n = 0; n < e.target().numFlushBios(); n++) {
                Bio c = io.orig.clone(0, 0, null);
                c.remap(this, 0);
                mapClone(e, io, c, n);
            }
        }
    }

    /** Maps one clone and acts on the verdict (__map_bio); returns how many sectors the target took of it. */
    private int mapClone(Table.Entry e, MappedIo io, Bio clone, int targetBioNr) {
        Target target = e.target();
        io.get();
        clone.setTargetBioNr(targetBioNr);
        clone.setEndIo(c -> endClone(target, io, c));
        if (io.orig.op() != Op.FLUSH) {
            clone.remap(this, clone.sector() - e.beginSector());
        }
        int sectorsBefore = clone.sectors();
        MapResult verdict = target.map(clone);
        int accepted = clone.sectors();
        if (accepted != sectorsBefore && io.orig.op() != Op.READ && io.orig.op() != Op.WRITE) {
            accepted = sectorsBefore; // a discard's share trimmed by its target: the rest is not ours to resend
        }
        switch (verdict) {
            case REMAPPED -> clone.submit();
            case SUBMITTED -> { }
            case KILL -> io.put(BlkStatus.IOERR);          // the clone never went down: no end_io for it
            case REQUEUE -> io.put(BlkStatus.DM_REQUEUE);
        }
        return accepted;
    }

    /** A mapped clone has ended: the target's end_io verdict decides what reaches the original (clone_endio). */
    private static void endClone(Target target, MappedIo io, Bio clone) {
        BlkStatus s = clone.status();
        clone.rearm(); // before end_io: a target that keeps it may resubmit it at once, from any thread
        switch (target.endIo(clone, s)) {
            case DONE -> io.put(s);
            case INCOMPLETE -> { }
            case REQUEUE -> io.put(BlkStatus.DM_REQUEUE);
        }
    }

    private void exitIo() {
        if (gate.decrementAndGet() == BLOCKED) {
            synchronized (ioLock) {
                ioLock.notifyAll();
            }
        }
    }

    /** The original bio's bookkeeping while its clones are out: the kernel's struct dm_io. */
    private final class MappedIo {
        final Bio orig;
        final AtomicInteger remaining = new AtomicInteger(1);
        volatile BlkStatus status = BlkStatus.OK;
        volatile boolean requeue;

        MappedIo(Bio orig) {
            this.orig = orig;
        }

        void get() {
            remaining.incrementAndGet();
        }

        void error(BlkStatus s) {
            if (status == BlkStatus.OK) {
                status = s;
            }
        }

        void put(BlkStatus s) {
            if (s == BlkStatus.DM_REQUEUE) {
                requeue = true;
            } else if (s != BlkStatus.OK) {
                error(s);
            }
            if (remaining.decrementAndGet() != 0) {
                return;
            }
            if (requeue) {
                // a push-back supersedes errors while a noflush suspend holds it; otherwise it fails (dm_io_complete)
                synchronized (ioLock) {
                    if (suspended && noflushSuspend) {
                        deferred.add(orig); // resubmitted whole on resume
                        exitIo();
                        return;
                    }
                }
                error(BlkStatus.IOERR);
            }
            exitIo();
            orig.endio(status);
        }
    }

    @Override
    public String toString() {
        return "MappedDevice[" + name + " " + devt + "]";
    }
}
