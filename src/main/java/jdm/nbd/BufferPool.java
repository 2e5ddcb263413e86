package jdm.nbd;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Direct buffers for request payloads, pooled by power-of-two size class so that a steady stream of requests
 * allocates nothing: a read's data goes from the device into one of these and from it to the socket, a write's
 * payload comes from the socket into one and the bio uses it as is. Each class is a bounded lock-free ring (take
 * and give are one CAS each, no allocation). A miss allocates a new buffer; a buffer given back beyond the total
 * retention budget is left to the garbage collector, so the pool keeps what the workload actually uses.
 */
final class BufferPool {
    private static final int MIN_SHIFT = 12;               // 4 KiB: smaller requests use a 4 KiB buffer
    private static final int MAX_SHIFT = 25;               // 32 MiB: the largest payload we accept
    private static final int MAX_PER_CLASS = 1024;         // ring capacity of the small classes
    static final long DEFAULT_RETAIN_BYTES = 256L << 20;   // what the whole pool keeps at most

    private final Ring[] classes = new Ring[MAX_SHIFT - MIN_SHIFT + 1];
    private final long retainBytes;
    private final AtomicLong retained = new AtomicLong();

    BufferPool() {
        this(DEFAULT_RETAIN_BYTES);
    }

    BufferPool(long retainBytes) {
        this.retainBytes = retainBytes;
        for (int i = 0; i < classes.length; i++) {
            long fit = Math.clamp(retainBytes >>> (MIN_SHIFT + i), 1, MAX_PER_CLASS);
            classes[i] = new Ring(Integer.highestOneBit((int) fit));
        }
    }

    /** A direct buffer with position 0 and limit {@code size} (0 &lt; size &le; 32 MiB); give it back when done. */
    ByteBuffer take(int size) {
        int c = sizeClass(size);
        ByteBuffer b = classes[c].poll();
        if (b == null) {
            return ByteBuffer.allocateDirect(1 << (MIN_SHIFT + c)).limit(size);
        }
        retained.addAndGet(-b.capacity());
        return b.clear().limit(size);
    }

    /** Returns a buffer from {@link #take}; the caller must not touch it afterwards. */
    void give(ByteBuffer b) {
        int cap = b.capacity();
        int c = Integer.numberOfTrailingZeros(cap) - MIN_SHIFT;
        if (c < 0 || c >= classes.length || Integer.bitCount(cap) != 1 || !b.isDirect()) {
            return; // not one of ours
        }
        if (retained.addAndGet(cap) > retainBytes || !classes[c].offer(b)) {
            retained.addAndGet(-cap); // over budget or ring full: let the collector have it
        }
    }

    private static int sizeClass(int size) {
        if (size <= 0 || size > 1 << MAX_SHIFT) {
            throw new IllegalArgumentException("buffer size " + size);
        }
        int shift = 32 - Integer.numberOfLeadingZeros(size - 1); // ceil(log2(size))
        return Math.max(shift, MIN_SHIFT) - MIN_SHIFT;
    }

    /**
     * A bounded multi-producer multi-consumer ring (D. Vyukov's): each slot's sequence number says whether it is
     * free for the producer at ticket t (seq == t) or full for the consumer at ticket t (seq == t + 1).
     */
    private static final class Ring {
        private final int mask;
        private final AtomicLongArray seq;
        private final ByteBuffer[] items;   // published by the release store of seq, read after its acquire load
        private final AtomicLong head = new AtomicLong();
        private final AtomicLong tail = new AtomicLong();

        Ring(int capacity) {
            mask = capacity - 1;
            seq = new AtomicLongArray(capacity);
            items = new ByteBuffer[capacity];
            for (int i = 0; i < capacity; i++) {
                seq.set(i, i);
            }
        }

        boolean offer(ByteBuffer b) {
            long t = tail.get();
            while (true) {
                int i = (int) t & mask;
                long d = seq.getAcquire(i) - t;
                if (d == 0) {
                    if (tail.compareAndSet(t, t + 1)) {
                        items[i] = b;
                        seq.setRelease(i, t + 1);
                        return true;
                    }
                    t = tail.get();
                } else if (d < 0) {
                    return false; // full
                } else {
                    t = tail.get();
                }
            }
        }

        ByteBuffer poll() {
            long h = head.get();
            while (true) {
                int i = (int) h & mask;
                long d = seq.getAcquire(i) - (h + 1);
                if (d == 0) {
                    if (head.compareAndSet(h, h + 1)) {
                        ByteBuffer b = items[i];
                        items[i] = null;
                        seq.setRelease(i, h + mask + 1);
                        return b;
                    }
                    h = head.get();
                } else if (d < 0) {
                    return null; // empty
                } else {
                    h = head.get();
                }
            }
        }
    }
}
