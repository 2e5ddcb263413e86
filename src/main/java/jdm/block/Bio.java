package jdm.block;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * One block I/O request, the kernel's {@code struct bio}: an operation on {@code sectors} 512-byte sectors of
 * {@code device} from {@code sector}, with a data buffer for READ and WRITE (its remaining bytes are exactly the
 * payload), flags, and an end-io callback.
 *
 * <p>Completion counts like the kernel's {@code __bi_remaining}: a bio starts with one reference; {@link #chain()}
 * takes one more for each piece it is split into; {@link #endio} drops one and records the first error; the last
 * drop calls the end-io callback once.
 *
 * <p>{@link #submit()} resolves stacked devices without recursion, as {@code submit_bio_noacct}'s on-stack bio list:
 * a bio submitted while this thread is already inside a device's {@code submitBio} is queued and run by the
 * outermost submit, so a stack of any depth uses constant Java stack.
 */
public final class Bio {
    public static final int SECTOR_SIZE = 512;
    public static final int SECTOR_SHIFT = 9;

    /** Forced unit access: the write is durable when it completes. */
    public static final int FUA = 1;
    /** WRITE_ZEROES only: keep the range allocated (no hole punching). */
    public static final int NOUNMAP = 2;
    /**
     * WRITE_ZEROES only: fail with NOTSUPP rather than write zeros the slow way, as BLKDEV_ZERO_NOFALLBACK (what
     * NBD's fast-zero request asks): a device zeroes fast or not at all.
     */
    public static final int NOFALLBACK = 4;

    private static final VarHandle REMAINING;
    private static final VarHandle STATUS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            REMAINING = l.findVarHandle(Bio.class, "remaining", int.class);
            STATUS = l.findVarHandle(Bio.class, "status", BlkStatus.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Op op;
    private final int flags;
    private BlockDevice device;
    private long sector;
    private int sectors;
    private ByteBuffer data;
    private BioEndIo endIo;
    private Object targetData;
    private int targetBioNr;
    private Bio next;
    @SuppressWarnings("unused") // through REMAINING
    private volatile int remaining = 1;
    @SuppressWarnings("unused") // through STATUS
    private volatile BlkStatus status = BlkStatus.OK;

    /**
     * @param data for READ and WRITE, a buffer whose remaining bytes are {@code sectors * 512}; else null
     */
    public Bio(Op op, int flags, BlockDevice device, long sector, int sectors, ByteBuffer data, BioEndIo endIo) {
        if (sectors < 0 || sector < 0) {
            throw new IllegalArgumentException("negative bio range: sector " + sector + ", sectors " + sectors);
        }
        if (op.hasData() != (data != null)
                || (data != null && data.remaining() != (long) sectors << SECTOR_SHIFT)) {
            throw new IllegalArgumentException(op + " of " + sectors + " sectors with buffer " + data);
        }
        this.op = op;
        this.flags = flags;
        this.device = device;
        this.sector = sector;
        this.sectors = sectors;
        this.data = data;
        this.endIo = endIo;
    }

    /** A new bio for {@code sectors} sectors of this one from {@code offsetSectors}, sharing its buffer. */
    public Bio clone(int offsetSectors, int sectors, BioEndIo endIo) {
        if (offsetSectors < 0 || sectors < 0 || offsetSectors + sectors > this.sectors) {
            throw new IllegalArgumentException("clone " + offsetSectors + "+" + sectors + " of " + this);
        }
        ByteBuffer slice = data == null ? null
                : data.slice(data.position() + (offsetSectors << SECTOR_SHIFT), sectors << SECTOR_SHIFT);
        return new Bio(op, flags, device, sector + offsetSectors, sectors, slice, endIo);
    }

    public Op op() {
        return op;
    }

    public int flags() {
        return flags;
    }

    public boolean fua() {
        return (flags & FUA) != 0;
    }

    public BlockDevice device() {
        return device;
    }

    public long sector() {
        return sector;
    }

    public int sectors() {
        return sectors;
    }

    public long endSector() {
        return sector + sectors;
    }

    /** The payload (READ, WRITE), else null. Use absolute or duplicate access: its position is the payload start. */
    public ByteBuffer data() {
        return data;
    }

    /** Which of a target's fanned-out bios this is (flush to each stripe): the kernel's {@code target_bio_nr}. */
    public int targetBioNr() {
        return targetBioNr;
    }

    public void setTargetBioNr(int nr) {
        this.targetBioNr = nr;
    }

    /**
     * What the target that maps this bio keeps with it until end-io (the kernel's per-bio data, dm_per_bio_data):
     * one slot per bio, owned by the target the bio is at. Read it with the type the target stored; another type
     * fails at once with a ClassCastException naming both, rather than later and elsewhere.
     */
    public <T> T targetData(Class<T> type) {
        return type.cast(targetData);
    }

    public void setTargetData(Object data) {
        this.targetData = data;
    }

    /**
     * Keeps only the first {@code sectors} sectors of the bio (its data buffer shrinks to match): the kernel's
     * bio_trim from the start, as a target that maps only part of a bio does (stripe_map_range, and the core's
     * dm_accept_partial_bio).
     */
    public void trim(int sectors) {
        if (sectors < 0 || sectors > this.sectors) {
            throw new IllegalArgumentException("trim " + this + " to " + sectors + " sectors");
        }
        this.sectors = sectors;
        if (data != null) {
            data = data.slice(data.position(), sectors << SECTOR_SHIFT);
        }
    }

    /** The end-io callback, for a layer that wraps it (md's write-intent accounting). */
    public BioEndIo endIo() {
        return endIo;
    }

    public void setEndIo(BioEndIo endIo) {
        this.endIo = endIo;
    }

    /** Points the bio at another device and sector: what a target's map does. */
    public void remap(BlockDevice device, long sector) {
        this.device = device;
        this.sector = sector;
    }

    /**
     * Re-arms a bio that has ended so it can be submitted or ended once more: one completion reference, status OK.
     * For a stacking driver that takes a finished clone back (dm's DM_ENDIO_INCOMPLETE) to retry it.
     */
    public void rearm() {
        STATUS.setVolatile(this, BlkStatus.OK);
        REMAINING.setVolatile(this, 1);
    }

    /** The first error recorded, or OK. */
    public BlkStatus status() {
        return (BlkStatus) STATUS.getVolatile(this);
    }

    /** Takes one more completion reference: the bio ends after one more {@link #endio} call. */
    public void chain() {
        REMAINING.getAndAdd(this, 1);
    }

    /** Drops one completion reference with the given outcome; the last one calls the end-io callback. */
    public void endio(BlkStatus s) {
        if (s != BlkStatus.OK) {
            STATUS.compareAndSet(this, BlkStatus.OK, s);
        }
        int left = (int) REMAINING.getAndAdd(this, -1) - 1;
        if (left == 0) {
            complete(this);
        } else if (left < 0) {
            throw new IllegalStateException("bio ended more often than it was chained: " + this);
        }
    }

    /**
     * Runs end-io callbacks without recursion: a bio that ends inside another's callback on this thread (a clone
     * ending its parent, through a deep stack) is queued and called back by the outermost loop, as bio_endio's
     * loop over chained bios.
     */
    private static void complete(Bio b) {
        Pending p = PENDING.get().done;
        if (p.active) {
            p.add(b);
            return;
        }
        p.active = true;
        try {
            do {
                if (b.endIo != null) {
                    b.endIo.bioEndIo(b);
                }
            } while ((b = p.poll()) != null);
        } finally {
            p.active = false;
        }
    }

    /** Submits the bio to its device; stacked submissions are queued and run by the outermost call (see class). */
    public void submit() {
        Pending p = PENDING.get().submit;
        if (p.active) {
            p.add(this);
            return;
        }
        p.active = true;
        try {
            Bio b = this;
            do {
                dispatch(b);
            } while ((b = p.poll()) != null);
        } finally {
            p.active = false;
        }
    }

    private static void dispatch(Bio b) {
        try {
            b.device.submitBio(b);
        } catch (RuntimeException e) {
            // A device that throws has not ended the bio; end it so its submitter is not left waiting.
            System.err.println("jdm: " + b.device.name() + ": " + e);
            b.endio(BlkStatus.IOERR);
        }
    }

    /**
     * Submits and waits for the end; returns the status. For control paths and tests: it must not be called from
     * inside a device's submitBio (the bio would wait on the queue its own caller runs).
     */
    public BlkStatus submitAndWait() {
        if (PENDING.get().submit.active) {
            throw new IllegalStateException("submitAndWait inside a submission");
        }
        Thread waiter = Thread.currentThread();
        boolean[] done = new boolean[1];
        BioEndIo inner = endIo;
        endIo = b -> {
            if (inner != null) {
                inner.bioEndIo(b);
            }
            synchronized (done) {
                done[0] = true;
            }
            LockSupport.unpark(waiter);
        };
        submit();
        while (true) {
            synchronized (done) {
                if (done[0]) {
                    break;
                }
            }
            LockSupport.park(this);
        }
        return status();
    }

    @Override
    public String toString() {
        return op + "(" + (device == null ? "?" : device.name()) + " " + sector + "+" + sectors
                + (flags != 0 ? " flags=" + flags : "") + ")";
    }

    private static final ThreadLocal<PerThread> PENDING = ThreadLocal.withInitial(PerThread::new);

    /** This thread's bios waiting to be submitted and bios waiting for their end-io callback. */
    private static final class PerThread {
        final Pending submit = new Pending();
        final Pending done = new Pending();
    }

    /**
     * An on-stack bio list: a FIFO threaded through {@link Bio#next}. A bio is on at most one list at a time: it
     * leaves the submit list before its device sees it, and joins the done list only once it has ended.
     */
    private static final class Pending {
        boolean active;
        Bio head;
        Bio tail;

        void add(Bio b) {
            b.next = null;
            if (tail == null) {
                head = b;
            } else {
                tail.next = b;
            }
            tail = b;
        }

        Bio poll() {
            Bio b = head;
            if (b != null) {
                head = b.next;
                if (head == null) {
                    tail = null;
                }
                b.next = null;
            }
            return b;
        }
    }
}
