package jdm.dm;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;

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

    private volatile String name;
    private final DevT devt;
    private final boolean createdReadOnly;
    private volatile String uuid;
    private volatile Table live;
    private Table inactive;

    private final AtomicLong gate = new AtomicLong();
    private final Object ioLock = new Object();
    private final ArrayDeque<Bio> deferred = new ArrayDeque<>();
    private volatile boolean suspended;
    private volatile boolean noflushSuspend;

    /** io_opt of the live table's stacked limits in bytes, set when a table goes live. */
    private volatile long optimalIoBytes;

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

    /** Gives the device a new name; the namespace checks it and keeps its index (dm_hash_rename). */
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

    /**
     * The read-ahead in sectors, as the kernel's disk_update_readahead sets it when a table goes live: twice the
     * stacked optimal I/O size, at least VM_READAHEAD_PAGES (128 KiB).
     */
    public int readAheadSectors() {
        return (int) Math.max(optimalIoBytes * 2 / 512, 256);
    }

    /**
     * io_opt as blk_stack_limits combines it: the least common multiple of every target's own and of the optimal
     * sizes of the devices it maps to (0 counts as no preference).
     */
    private static long stackedOptimalIoBytes(Table t) {
        long opt = 0;
        for (int i = 0; i < t.size(); i++) {
            Target target = t.entry(i).target();
            opt = lcmNotZero(opt, target.optimalIoBytes());
            long[] lower = {0};
            try {
                target.iterateDevices((dev, start, len) -> {
                    if (dev.device() instanceof MappedDevice md) {
                        lower[0] = lcmNotZero(lower[0], md.optimalIoBytes);
                    }
                });
            } catch (DmException e) {
                // a table that was built has visited its devices before; no limits from this target then
            }
            opt = lcmNotZero(opt, lower[0]);
        }
        return opt;
    }

    private static long lcmNotZero(long a, long b) {
        if (a == 0 || b == 0) {
            return a + b;
        }
        long x = a;
        long y = b;
        while (y != 0) {
            long r = x % y;
            x = y;
            y = r;
        }
        return a / x * b;
    }

    public int eventNr() {
        return eventNr.get();
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

    // ---- control: the table lifecycle (callers serialize these through the namespace) ----

    /** Makes table the inactive one, destroying a previous inactive table: the load ioctl. */
    synchronized void load(Table table) {
        Table old = inactive;
        inactive = table;
        if (old != null) {
            old.release();
        }
    }

    /** Destroys the inactive table: the clear ioctl. Returns false when there was none. */
    synchronized boolean clearInactive() {
        Table old = inactive;
        inactive = null;
        if (old != null) {
            old.release();
        }
        return old != null;
    }

    /**
     * Stops new I/O (it is queued) and waits for I/O in flight to end. With noflush, I/O a target asks to requeue
     * stays queued for resume instead of failing.
     */
    public synchronized void suspend(boolean noflush) throws InterruptedException {
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
        }
        if (t != null) {
            t.postsuspend();
        }
    }

    /**
     * Swaps in the inactive table when there is one (suspending first if needed), then lets I/O flow again,
     * resubmitting what was queued: the resume ioctl. Returns true when a table was swapped.
     */
    public synchronized boolean resume() throws InterruptedException {
        Table old = null;
        boolean swapped = false;
        if (inactive != null) {
            suspend(false);
            old = live;
            live = inactive;
            inactive = null;
            optimalIoBytes = stackedOptimalIoBytes(live);
            swapped = true;
        }
        if (!suspended) {
            return swapped;
        }
        Table t = live;
        if (t != null) {
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
        if (old != null) {
            old.release();
        }
        for (Bio b : queued) {
            b.submit();
        }
        return swapped;
    }

    /** Destroys both tables; the device must be unused (the namespace checks). */
    synchronized void destroy() throws InterruptedException {
        if (live != null && !suspended) {
            suspend(false);
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
            long maxIo = e.target().maxIoLenSectors();
            if (maxIo > 0) {
                long rel = sector - e.beginSector();
                len = Math.min(len, maxIo - rel % maxIo);
            }
            mapClone(e, io, bio.clone((int) (sector - bio.sector()), (int) len, null), 0);
            sector += len;
            if (sector >= e.endSector()) {
                i++;
            }
        }
    }

    private void changeExtents(Table t, MappedIo io) {
        Bio bio = io.orig;
        long sector = bio.sector();
        long end = bio.endSector();
        for (int i = t.find(sector); sector < end; i++) {
            Table.Entry e = t.entry(i);
            long len = Math.min(end, e.endSector()) - sector;
            int copies = bio.op() == Op.DISCARD ? e.target().numDiscardBios() : e.target().numWriteZeroesBios();
            if (copies == 0) {
                io.error(BlkStatus.NOTSUPP);
            }
            for (int n = 0; n < copies; n++) {
                mapClone(e, io, bio.clone((int) (sector - bio.sector()), (int) len, null), n);
            }
            sector += len;
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

    private void mapClone(Table.Entry e, MappedIo io, Bio clone, int targetBioNr) {
        Target target = e.target();
        io.get();
        clone.setTargetBioNr(targetBioNr);
        clone.setEndIo(c -> {
            target.endIo(c, c.status());
            io.put(c.status());
        });
        if (io.orig.op() != Op.FLUSH) {
            clone.remap(this, clone.sector() - e.beginSector());
        }
        switch (target.map(clone)) {
            case REMAPPED -> clone.submit();
            case SUBMITTED -> { }
            case KILL -> clone.endio(BlkStatus.IOERR);
            case REQUEUE -> {
                io.requeue = true;
                clone.endio(BlkStatus.OK);
            }
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
            if (s != BlkStatus.OK) {
                error(s);
            }
            if (remaining.decrementAndGet() != 0) {
                return;
            }
            if (requeue && status == BlkStatus.OK) {
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
