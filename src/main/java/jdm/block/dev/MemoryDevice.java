package jdm.block.dev;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;

/**
 * A sparse device in memory: 64 KiB pages allocated on first write, unwritten and discarded ranges read as zeros.
 * For tests and scratch volumes. Concurrent writes to the same bytes may interleave, as on a real disk.
 */
public final class MemoryDevice implements BlockDevice {
    private static final int PAGE_SHIFT = 16;
    private static final int PAGE_SIZE = 1 << PAGE_SHIFT;

    private final String name;
    private final long sizeSectors;
    private final ConcurrentHashMap<Long, byte[]> pages = new ConcurrentHashMap<>();

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
        return pages.size();
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
            switch (bio.op()) {
                case READ -> {
                    byte[] page = pages.get(pageNo);
                    if (page == null) {
                        for (int i = 0; i < n; i++) {
                            buf.put(base + (int) done + i, (byte) 0);
                        }
                    } else {
                        buf.put(base + (int) done, page, off, n);
                    }
                }
                case WRITE -> buf.get(base + (int) done, pages.computeIfAbsent(pageNo, k -> new byte[PAGE_SIZE]), off, n);
                case DISCARD, WRITE_ZEROES -> {
                    if (n == PAGE_SIZE) {
                        pages.remove(pageNo);
                    } else {
                        byte[] page = pages.get(pageNo);
                        if (page != null) {
                            Arrays.fill(page, off, off + n, (byte) 0);
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
