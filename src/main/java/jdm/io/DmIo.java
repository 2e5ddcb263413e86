package jdm.io;

import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;

/**
 * dm-io: one I/O to several regions at once, reporting which regions failed (drivers/md/dm-io.c). A write goes to
 * every region with the same data (mirror legs, metadata copies); a read comes from one region. The result is a
 * bit set with bit i set when region i failed, as dm-io's {@code error_bits}. Targets and services (mirror,
 * kcopyd, snapshot metadata) use it instead of building bios by hand.
 */
public final class DmIo {
    private DmIo() {
    }

    /** A range of a device: the kernel's {@code struct dm_io_region}. */
    public record Region(BlockDevice device, long sector, int sectors) {
    }

    /** Called once with the failed regions (empty when all succeeded). */
    @FunctionalInterface
    public interface Callback {
        void done(BitSet errorBits);
    }

    /**
     * Starts op on every region; data (READ, WRITE) holds exactly one region's bytes and is shared by all writes,
     * so it must not change until the callback runs. READ takes exactly one region.
     */
    public static void submit(Op op, int flags, List<Region> regions, ByteBuffer data, Callback callback) {
        if (op == Op.READ && regions.size() != 1) {
            throw new IllegalArgumentException("dm-io reads from exactly one region, got " + regions.size());
        }
        if (regions.isEmpty()) {
            callback.done(new BitSet());
            return;
        }
        BitSet errors = new BitSet(regions.size());
        AtomicInteger remaining = new AtomicInteger(regions.size());
        for (int i = 0; i < regions.size(); i++) {
            Region r = regions.get(i);
            int index = i;
            ByteBuffer buf = op.hasData() ? data.duplicate() : null;
            int sectors = op == Op.FLUSH ? 0 : r.sectors();
            Bio bio = new Bio(op, flags, r.device(), op == Op.FLUSH ? 0 : r.sector(), sectors, buf, b -> {
                if (b.status() != BlkStatus.OK) {
                    synchronized (errors) {
                        errors.set(index);
                    }
                }
                if (remaining.decrementAndGet() == 0) {
                    BitSet result;
                    synchronized (errors) {
                        result = (BitSet) errors.clone();
                    }
                    callback.done(result);
                }
            });
            bio.submit();
        }
    }

    /** The synchronous form: runs op on every region and returns the failed regions' bits. */
    public static BitSet run(Op op, int flags, List<Region> regions, ByteBuffer data) throws InterruptedException {
        CompletableFuture<BitSet> f = new CompletableFuture<>();
        submit(op, flags, regions, data, f::complete);
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }
}
