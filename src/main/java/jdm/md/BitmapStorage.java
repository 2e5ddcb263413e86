package jdm.md;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.md.sb.BitmapSuper;

/**
 * The on-disk side of an internal bitmap (md-bitmap.c's {@code struct bitmap_storage} with write_sb_page): the
 * image of the bitmap area, header then one bit per chunk in set_bit_le order, in 4 KiB pages; which pages changed;
 * and the writes that put changed pages on every working member with FUA, one flush at a time.
 *
 * <p>Changes are numbered: setting a bit gives its page a new sequence number, and {@link #whenDurable} runs a
 * callback once a flush that started after that number has completed on every member, so a data write never
 * reaches a member before the bit that covers it (md_bitmap_unplug before the write).
 */
final class BitmapStorage {
    static final int PAGE_SIZE = 4096;

    private final Mddev mddev;
    private final long startSector;
    private final byte[] image;
    private final int bytes;
    private final boolean[] pageDirty;
    private final long[] pageSetSeq;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private long dirtySeq;
    private long durableSeq;
    private boolean flushing;

    private record Waiter(long seq, Runnable then) {
    }

    /**
     * @param startSector where the area starts on each member (super_offset + bitmap_offset)
     * @param chunks the bits the area holds after the header
     * @param bits the area's bytes after the header as read from disk (bits past the last chunk included)
     */
    BitmapStorage(Mddev mddev, long startSector, int chunks, byte[] bits) {
        this.mddev = mddev;
        this.startSector = startSector;
        this.bytes = BitmapSuper.BYTES + (chunks + 7) / 8;
        int pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
        this.image = new byte[pages * PAGE_SIZE];
        this.pageDirty = new boolean[pages];
        this.pageSetSeq = new long[pages];
        System.arraycopy(bits, 0, image, BitmapSuper.BYTES, Math.min(bits.length, image.length - BitmapSuper.BYTES));
    }

    /** The area's length in sectors (header and bits, the last sector partly used). */
    int sectors() {
        return (bytes + 511) >> 9;
    }

    /** Counter pages' worth of the image: how many 4 KiB pages it takes. */
    int pages() {
        return pageDirty.length;
    }

    /** The members the bitmap is written to: every one in a role and not faulty (write_sb_page's next_active_rdev). */
    static List<Rdev> writeTargets(Mddev mddev) {
        List<Rdev> out = new ArrayList<>();
        for (Rdev r : mddev.rdevs()) {
            if (r.role() >= 0 && !r.faulty()) {
                out.add(r);
            }
        }
        return out;
    }

    private static int page(int chunk) {
        return (BitmapSuper.BYTES + (chunk >> 3)) / PAGE_SIZE;
    }

    synchronized boolean bit(int c) {
        return (image[BitmapSuper.BYTES + (c >> 3)] & (1 << (c & 7))) != 0;
    }

    /** Sets chunk c's bit; its page is numbered as the newest change. */
    synchronized void setBit(int c) {
        image[BitmapSuper.BYTES + (c >> 3)] |= (byte) (1 << (c & 7));
        pageSetSeq[page(c)] = ++dirtySeq;
        pageDirty[page(c)] = true;
    }

    /** Sets a bit as it was loaded: in the image only (the whole image is written at start). */
    synchronized void loadBit(int c) {
        image[BitmapSuper.BYTES + (c >> 3)] |= (byte) (1 << (c & 7));
    }

    synchronized void clearBit(int c) {
        image[BitmapSuper.BYTES + (c >> 3)] &= (byte) ~(1 << (c & 7));
        pageDirty[page(c)] = true;
    }

    /** The sequence number chunk c's bit must be durable at before a write to c may go on. */
    synchronized long requiredSeq(int c) {
        return pageSetSeq[page(c)];
    }

    /** Puts the header's 256 bytes at the front of page 0 and marks it for writing. */
    synchronized void putHeader(ByteBuffer header) {
        header.duplicate().get(0, image, 0, BitmapSuper.BYTES);
        pageDirty[0] = true;
    }

    /** Marks every page for writing (after a load: the image is what the disk should hold). */
    synchronized void markAllDirty() {
        Arrays.fill(pageDirty, true);
    }

    /** Runs then once everything numbered up to seq is on disk: at once when it is, else after a flush, never blocking. */
    void whenDurable(long seq, Runnable then) {
        boolean start = false;
        synchronized (this) {
            if (seq > durableSeq) {
                waiters.add(new Waiter(seq, then));
                then = null;
                if (!flushing) {
                    flushing = true;
                    start = true;
                }
            }
        }
        if (start) {
            flush();
        }
        if (then != null) {
            then.run();
        }
    }

    /** Writes every changed page and waits until they are on disk. Not from inside a bio submission. */
    void writeAndWait() {
        long target;
        synchronized (this) {
            if (anyDirty()) {
                dirtySeq++;
            }
            target = dirtySeq;
        }
        CountDownLatch latch = new CountDownLatch(1);
        whenDurable(target, latch::countDown);
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Writes every changed page to every member, FUA, then releases the callbacks waiting for them; repeats while
     * more pages changed meanwhile. The caller set {@link #flushing}.
     */
    private void flush() {
        long seq;
        List<Integer> pages = new ArrayList<>();
        List<byte[]> copies = new ArrayList<>();
        synchronized (this) {
            seq = dirtySeq;
            for (int p = 0; p < pageDirty.length; p++) {
                if (pageDirty[p]) {
                    pageDirty[p] = false;
                    // the last page only to the end of the bits, whole sectors (write_sb_page)
                    int len = Math.min(PAGE_SIZE, (bytes - p * PAGE_SIZE + 511) & ~511);
                    pages.add(p);
                    copies.add(Arrays.copyOfRange(image, p * PAGE_SIZE, p * PAGE_SIZE + len));
                }
            }
        }
        List<Rdev> targets = writeTargets(mddev);
        AtomicInteger remaining = new AtomicInteger(1 + pages.size() * targets.size());
        Runnable oneDone = () -> {
            if (remaining.decrementAndGet() == 0) {
                flushed(seq);
            }
        };
        for (Rdev r : targets) {
            for (int i = 0; i < pages.size(); i++) {
                byte[] copy = copies.get(i);
                r.metadataBio(Op.WRITE, Bio.FUA, startSector + ((long) pages.get(i) * PAGE_SIZE >> 9),
                        copy.length >> 9, ByteBuffer.wrap(copy), b -> {
                            if (b.status() != BlkStatus.OK) {
                                mddev.log("md/bitmap:" + mddev.name() + ": write to " + r.name() + " failed: "
                                        + b.status());
                                mddev.error(r);
                            }
                            oneDone.run();
                        }).submit();
            }
        }
        oneDone.run();
    }

    private void flushed(long seq) {
        List<Runnable> ready = new ArrayList<>();
        boolean again;
        synchronized (this) {
            durableSeq = Math.max(durableSeq, seq);
            for (var it = waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (w.seq() <= durableSeq) {
                    ready.add(w.then());
                    it.remove();
                }
            }
            again = anyDirty();
            flushing = again;
        }
        for (Runnable r : ready) {
            r.run();
        }
        if (again) {
            flush();
        }
    }

    private boolean anyDirty() {
        for (boolean d : pageDirty) {
            if (d) {
                return true;
            }
        }
        return false;
    }
}
