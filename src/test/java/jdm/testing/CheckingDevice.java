package jdm.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.QueueLimits;

/**
 * Asserts the {@link BlockDevice} contract around any device, both ways: what reaches it (a range inside the
 * device, a buffer of exactly the bio's size, data only for READ and WRITE, no write to a read-only device) and
 * what it does with each bio (ends it exactly once). A bad bio is recorded and ended with IOERR instead of being
 * passed on; {@link #assertQuiescent()} fails the test with every violation seen, and with every bio still not
 * ended. Use {@link DeviceChecks} to have that done after each test.
 *
 * <p>Each bio is passed on as a clone whose end this wrapper observes; after the first end the clone is re-armed
 * ({@link Bio#chain()}), so a second end by the device calls back again and is caught here rather than thrown
 * somewhere inside the device.
 */
public final class CheckingDevice implements BlockDevice {
    private final BlockDevice inner;
    private final Map<Bio, Bio> outstanding = new ConcurrentHashMap<>(); // clone -> bio it stands for
    private final List<AssertionError> violations = new CopyOnWriteArrayList<>();
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong ended = new AtomicLong();

    public CheckingDevice(BlockDevice inner) {
        this.inner = inner;
    }

    public BlockDevice inner() {
        return inner;
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

    /** Forwards the allocation query, recording a range outside the device as a violation. */
    @Override
    public boolean extents(long sector, long sectors, jdm.block.ExtentSink sink) {
        if (sector < 0 || sectors < 0 || sector + sectors > inner.sizeSectors()) {
            violations.add(new AssertionError("extents " + sector + "+" + sectors + " beyond " + inner.sizeSectors()));
        }
        return inner.extents(sector, sectors, sink);
    }

    /** Bios that reached this device (bad ones included). */
    public long submitted() {
        return submitted.get();
    }

    /** Bios passed on that have not ended yet. */
    public int outstanding() {
        return outstanding.size();
    }

    /** Violations seen so far, each with the stack where it was detected. */
    public List<AssertionError> violations() {
        return List.copyOf(violations);
    }

    @Override
    public void submitBio(Bio bio) {
        submitted.incrementAndGet();
        String bad = contractBreach(bio);
        if (bad != null) {
            violations.add(new AssertionError(name() + ": " + bad + ": " + bio));
            bio.endio(BlkStatus.IOERR);
            return;
        }
        Bio clone = bio.clone(0, bio.sectors(), this::cloneEnded);
        outstanding.put(clone, bio);
        clone.remap(inner, clone.sector());
        clone.submit(); // queued behind this submission: no recursion into inner
    }

    private String contractBreach(Bio bio) {
        long size = inner.sizeSectors();
        if (bio.sector() < 0 || bio.sectors() < 0) {
            return "negative range";
        }
        if (bio.sector() > size || bio.sectors() > size - bio.sector()) {
            return "range beyond the device's " + size + " sectors";
        }
        if (bio.op().hasData() != (bio.data() != null)) {
            return bio.data() == null ? "no buffer" : "a buffer on a data-less op";
        }
        if (bio.data() != null && bio.data().remaining() != (long) bio.sectors() << Bio.SECTOR_SHIFT) {
            return "buffer of " + bio.data().remaining() + " bytes for " + bio.sectors() + " sectors";
        }
        if (bio.op().isWrite() && inner.readOnly()) {
            return "write to a read-only device";
        }
        return null;
    }

    private void cloneEnded(Bio clone) {
        Bio original = outstanding.remove(clone);
        clone.chain(); // re-arm: another end calls back here again
        if (original == null) {
            violations.add(new AssertionError(name() + ": bio ended twice: " + clone));
            return;
        }
        ended.incrementAndGet();
        original.endio(clone.status());
    }

    /**
     * Waits up to 5 s for every passed-on bio to end, then fails with each violation seen and each bio never
     * ended.
     */
    public void assertQuiescent() {
        assertQuiescent(Duration.ofSeconds(5));
    }

    public void assertQuiescent(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!outstanding.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<String> problems = new ArrayList<>();
        for (AssertionError v : violations) {
            problems.add(v.getMessage());
        }
        for (Bio b : outstanding.values()) {
            problems.add(name() + ": bio never ended: " + b);
        }
        if (!problems.isEmpty()) {
            AssertionError e = new AssertionError(String.join("\n", problems));
            violations.forEach(e::addSuppressed);
            throw e;
        }
    }

    /** Closes the wrapped device; bios still outstanding at that point are a violation. */
    @Override
    public void close() {
        if (!outstanding.isEmpty()) {
            violations.add(new AssertionError(name() + ": closed with " + outstanding.size() + " bios not ended"));
        }
        inner.close();
    }
}
