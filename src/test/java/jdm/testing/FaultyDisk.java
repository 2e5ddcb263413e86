package jdm.testing;

import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.block.QueueLimits;

/**
 * A device that misbehaves as a test tells it, in front of a real one (usually a {@link MemoryDisk}): fails bios
 * that touch chosen sector ranges with a chosen status, ends bios late on another thread, blocks inside submit,
 * and records every bio it is given. Faults can change while I/O runs.
 */
public final class FaultyDisk implements BlockDevice {
    /** One bio as the disk saw it. */
    public record Seen(Op op, int flags, long sector, int sectors) {
    }

    private record Fault(Set<Op> ops, long startSector, long endSector, BlkStatus status) {
        boolean hits(Bio bio) {
            // an empty bio (flush) touches its start sector for matching
            long end = Math.max(bio.endSector(), bio.sector() + 1);
            return ops.contains(bio.op()) && bio.sector() < endSector && end > startSector;
        }
    }

    private static final ScheduledExecutorService LATER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "faulty-disk-completions");
        t.setDaemon(true);
        return t;
    });

    private final BlockDevice inner;
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Map<Op, AtomicInteger> submits = new EnumMap<>(Op.class);
    private final AtomicInteger inSubmit = new AtomicInteger();
    private final AtomicInteger maxInSubmit = new AtomicInteger();
    private volatile Duration completionDelay = Duration.ZERO;
    private volatile Duration submitDelay = Duration.ZERO;

    public FaultyDisk(BlockDevice inner) {
        this.inner = inner;
        for (Op op : Op.values()) {
            submits.put(op, new AtomicInteger());
        }
    }

    /** Fails bios of these ops that touch [startSector, startSector + sectors) with status. */
    public FaultyDisk fail(Set<Op> ops, long startSector, long sectors, BlkStatus status) {
        faults.add(new Fault(EnumSet.copyOf(ops), startSector, startSector + sectors, status));
        return this;
    }

    public FaultyDisk failReads(long startSector, long sectors, BlkStatus status) {
        return fail(EnumSet.of(Op.READ), startSector, sectors, status);
    }

    /** Fails every op that changes contents (WRITE, DISCARD, WRITE_ZEROES) on the range. */
    public FaultyDisk failWrites(long startSector, long sectors, BlkStatus status) {
        return fail(EnumSet.of(Op.WRITE, Op.DISCARD, Op.WRITE_ZEROES), startSector, sectors, status);
    }

    /** Fails every bio, flushes included. */
    public FaultyDisk failAll(BlkStatus status) {
        return fail(EnumSet.allOf(Op.class), 0, Long.MAX_VALUE, status);
    }

    public FaultyDisk clearFaults() {
        faults.clear();
        return this;
    }

    /** Ends each bio this long after the real device ended it, on another thread. */
    public FaultyDisk delayCompletions(Duration delay) {
        this.completionDelay = delay;
        return this;
    }

    /** Blocks the submitting thread this long inside submit, as a device that does its I/O synchronously. */
    public FaultyDisk delaySubmits(Duration delay) {
        this.submitDelay = delay;
        return this;
    }

    /** Every bio given to this disk, in arrival order. */
    public List<Seen> seen() {
        return seen;
    }

    /** How many bios of op reached this disk. */
    public int submits(Op op) {
        return submits.get(op).get();
    }

    /** The most submits that were inside this disk at once (needs {@link #delaySubmits} to mean much). */
    public int maxConcurrentSubmits() {
        return maxInSubmit.get();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public long sizeSectors() {
        return inner.sizeSectors();
    }

    @Override
    public QueueLimits limits() {
        return inner.limits();
    }

    @Override
    public boolean readOnly() {
        return inner.readOnly();
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public void submitBio(Bio bio) {
        seen.add(new Seen(bio.op(), bio.flags(), bio.sector(), bio.sectors()));
        submits.get(bio.op()).incrementAndGet();
        blockInSubmit();
        for (Fault f : faults) {
            if (f.hits(bio)) {
                endLater(bio, f.status());
                return;
            }
        }
        Duration delay = completionDelay;
        if (delay.isZero()) {
            bio.remap(inner, bio.sector());
            bio.submit(); // queued behind this submission: no recursion into inner
            return;
        }
        Bio clone = bio.clone(0, bio.sectors(), c -> endLater(bio, c.status()));
        clone.remap(inner, clone.sector());
        clone.submit();
    }

    private void blockInSubmit() {
        Duration d = submitDelay;
        if (d.isZero()) {
            return;
        }
        maxInSubmit.accumulateAndGet(inSubmit.incrementAndGet(), Math::max);
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inSubmit.decrementAndGet();
        }
    }

    private void endLater(Bio bio, BlkStatus status) {
        Duration delay = completionDelay;
        if (delay.isZero()) {
            bio.endio(status);
        } else {
            LATER.schedule(() -> bio.endio(status), delay.toNanos(), TimeUnit.NANOSECONDS);
        }
    }
}
