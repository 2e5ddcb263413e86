package jdm.block.dev;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.DataRegion;

/**
 * A sparse device in memory: 64 KiB pages allocated on first write, unwritten and discarded ranges read as zeros.
 * For RAM disks, tests and scratch volumes. Concurrent writes to the same bytes may interleave, as on a real disk.
 *
 * <p>Pages are direct (off-heap) buffers, so a bio's payload, itself direct, is copied in and out by one memory
 * copy, and gigabytes of disk content are never moved by the garbage collector (with heap arrays, every page a
 * sequential write allocated was copied once more by a young collection). They are found through a two-level table:
 * leaves of 4096 page slots (256 MiB), set by compare-and-set, under a map by leaf number, so a lookup is one map
 * probe (no allocation: small leaf numbers are cached boxes) and one array read.
 */
public final class MemoryDevice implements BlockDevice {
    private static final int PAGE_SHIFT = 16;
    private static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    private static final int LEAF_SHIFT = 12;
    private static final int LEAF_MASK = (1 << LEAF_SHIFT) - 1;
    /** Read by absolute bulk gets only, so shared freely. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(PAGE_SIZE);

    private final String name;
    private final long sizeSectors;
    private final ConcurrentHashMap<Long, AtomicReferenceArray<ByteBuffer>> leaves = new ConcurrentHashMap<>();
    private final AtomicInteger allocated = new AtomicInteger();

    public MemoryDevice(String name, long sizeSectors) {
        this.name = name;
        this.sizeSectors = sizeSectors;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long sizeSectors() {
        return sizeSectors;
    }

    /** How many 64 KiB pages hold data: lets tests see that discard frees space. */
    public int allocatedPages() {
        return allocated.get();
    }

    /** The page, or null when it was never written (create false). */
    private ByteBuffer page(long pageNo, boolean create) {
        Long key = pageNo >>> LEAF_SHIFT;
        AtomicReferenceArray<ByteBuffer> leaf = leaves.get(key);
        if (leaf == null) {
            if (!create) {
                return null;
            }
            leaf = leaves.computeIfAbsent(key, k -> new AtomicReferenceArray<>(1 << LEAF_SHIFT));
        }
        int i = (int) (pageNo & LEAF_MASK);
        ByteBuffer p = leaf.get(i);
        if (p == null && create) {
            ByteBuffer fresh = ByteBuffer.allocateDirect(PAGE_SIZE);
            p = leaf.compareAndExchange(i, null, fresh);
            if (p == null) {
                p = fresh;
                allocated.incrementAndGet();
            }
        }
        return p;
    }

    private void drop(long pageNo) {
        AtomicReferenceArray<ByteBuffer> leaf = leaves.get(pageNo >>> LEAF_SHIFT);
        if (leaf != null && leaf.getAndSet((int) (pageNo & LEAF_MASK), null) != null) {
            allocated.decrementAndGet();
        }
    }

    /** The pages' bytes themselves (unwritten ones as zeros), read-only: a reader sends them without a copy. */
    @Override
    public DataRegion readRegion(long sector, int sectors) {
        return region(sector, sectors, false);
    }

    /** The pages themselves (allocated now if need be): a writer fills them straight from its socket. */
    @Override
    public DataRegion writeRegion(long sector, int sectors) {
        return region(sector, sectors, true);
    }

    private DataRegion region(long sector, int sectors, boolean write) {
        long pos = sector << Bio.SECTOR_SHIFT;
        long end = pos + ((long) sectors << Bio.SECTOR_SHIFT);
        ByteBuffer[] out = new ByteBuffer[(int) (((end - 1) >>> PAGE_SHIFT) - (pos >>> PAGE_SHIFT) + 1)];
        for (int i = 0; pos < end; i++) {
            int off = (int) (pos & (PAGE_SIZE - 1));
            int n = (int) Math.min(PAGE_SIZE - off, end - pos);
            ByteBuffer page = page(pos >>> PAGE_SHIFT, write);
            if (write) {
                out[i] = page.slice(off, n);
            } else {
                out[i] = (page == null ? ZEROS.slice(0, n) : page.slice(off, n)).asReadOnlyBuffer();
            }
            pos += n;
        }
        return DataRegion.ofMemory(out);
    }

    @Override
    public void submitBio(Bio bio) {
        long pos = bio.sector() << Bio.SECTOR_SHIFT;
        long len = (long) bio.sectors() << Bio.SECTOR_SHIFT;
        ByteBuffer buf = bio.data();
        int base = buf == null ? 0 : buf.position();
        for (long done = 0; done < len; ) {
            long at = pos + done;
            long pageNo = at >>> PAGE_SHIFT;
            int off = (int) (at & (PAGE_SIZE - 1));
            int n = (int) Math.min(PAGE_SIZE - off, len - done);
            int to = base + (int) done;
            switch (bio.op()) {
                case READ -> {
                    ByteBuffer page = page(pageNo, false);
                    buf.put(to, page == null ? ZEROS : page, page == null ? 0 : off, n);
                }
                case WRITE -> page(pageNo, true).put(off, buf, to, n);
                case DISCARD, WRITE_ZEROES -> {
                    if (n == PAGE_SIZE) {
                        drop(pageNo);
                    } else {
                        ByteBuffer page = page(pageNo, false);
                        if (page != null) {
                            page.put(off, ZEROS, 0, n);
                        }
                    }
                }
                case FLUSH -> { }
            }
            done += n;
        }
        bio.endio(BlkStatus.OK);
    }
}
