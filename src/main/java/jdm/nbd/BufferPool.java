package jdm.nbd;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Direct buffers for request payloads, pooled by power-of-two size class so that a steady stream of requests
 * allocates nothing: a read's data goes from the device into one of these and from it to the socket, a write's
 * payload comes from the socket into one and the bio uses it as is. Each class is a stack: the buffer given back
 * last is taken first, so a busy connection keeps reusing buffers that are still in the CPU cache (measured: a
 * FIFO ring cycling through cold buffers cost 15-20% of nbdcopy throughput). A class's critical section is a few
 * field writes under its own monitor. A miss allocates a new buffer; beyond the retention budget a returned buffer
 * is left to the garbage collector, so the pool keeps about what the workload has in flight at its peak.
 *
 * <p>Memory goes back after a burst: {@link #trim} (run by the server every {@link #TRIM_PERIOD_SECONDS} s) drops
 * the buffers that sat unused in a class for the whole period since the last trim, beyond {@link #IDLE_KEEP_BYTES}
 * per class. A class knows which ones those are from its low-water mark, the fewest buffers it held at any moment
 * of the period: with a stack, the buffers below that mark were not taken once, so a steady workload loses none of
 * the buffers it cycles through, while a burst's surplus is gone two periods after the burst at the latest. The
 * fast path pays one comparison inside the critical section it already has (no clock read, no timestamp per
 * buffer: those would add work to every request, and a per-buffer age gives nothing the mark does not); trim
 * takes the oldest buffers, at the bottom of the stack, under the same monitor. A dropped buffer's native memory
 * is freed when the garbage collector next finds it unreachable, as for any direct buffer.
 */
final class BufferPool {
    private static final int MIN_SHIFT = 12;               // 4 KiB: smaller requests use a 4 KiB buffer
    private static final int MAX_SHIFT = 25;               // 32 MiB: the largest payload we accept
    private static final int MAX_PER_CLASS = 1024;
    static final long DEFAULT_RETAIN_BYTES = 256L << 20;   // what each size class keeps at most
    /** How often the server trims: buffers idle for one to two periods go. */
    static final long TRIM_PERIOD_SECONDS = 2;
    /** Idle bytes a class keeps through a trim (none of the classes above this size): the small working set. */
    static final long IDLE_KEEP_BYTES = 2L << 20;

    private final Stack[] classes = new Stack[MAX_SHIFT - MIN_SHIFT + 1];

    BufferPool() {
        this(DEFAULT_RETAIN_BYTES);
    }

    BufferPool(long retainBytesPerClass) {
        for (int i = 0; i < classes.length; i++) {
            classes[i] = new Stack(Math.clamp(retainBytesPerClass >>> (MIN_SHIFT + i), 1, MAX_PER_CLASS));
        }
    }

    /** A direct buffer with position 0 and limit {@code size} (0 &lt; size &le; 32 MiB); give it back when done. */
    ByteBuffer take(int size) {
        int c = sizeClass(size);
        ByteBuffer b = classes[c].pop();
        if (b == null) {
            b = ByteBuffer.allocateDirect(1 << (MIN_SHIFT + c));
        }
        return b.clear().limit(size);
    }

    /** Returns a buffer from {@link #take}; the caller must not touch it afterwards. */
    void give(ByteBuffer b) {
        int cap = b.capacity();
        int c = Integer.numberOfTrailingZeros(cap) - MIN_SHIFT;
        if (c >= 0 && c < classes.length && Integer.bitCount(cap) == 1 && b.isDirect()) {
            classes[c].push(b); // dropped when full
        }
    }

    /**
     * Drops the buffers that were idle in their class since the previous trim, keeping up to
     * {@link #IDLE_KEEP_BYTES} of them per class; returns the bytes dropped.
     */
    long trim() {
        long dropped = 0;
        for (int i = 0; i < classes.length; i++) {
            int shift = MIN_SHIFT + i;
            dropped += (long) classes[i].trim((int) (IDLE_KEEP_BYTES >>> shift)) << shift;
        }
        return dropped;
    }

    /** The bytes the pool holds now (free buffers only). */
    long retainedBytes() {
        long bytes = 0;
        for (int i = 0; i < classes.length; i++) {
            bytes += (long) classes[i].size() << (MIN_SHIFT + i);
        }
        return bytes;
    }

    private static int sizeClass(int size) {
        if (size <= 0 || size > 1 << MAX_SHIFT) {
            throw new IllegalArgumentException("buffer size " + size);
        }
        int shift = 32 - Integer.numberOfLeadingZeros(size - 1); // ceil(log2(size))
        return Math.max(shift, MIN_SHIFT) - MIN_SHIFT;
    }

    /** A bounded LIFO of free buffers with the low-water mark of its size since the last trim. */
    private static final class Stack {
        private final ByteBuffer[] items;
        private int size;
        private int low;   // the fewest buffers held since the last trim: items[0..low) were not taken since

        Stack(int capacity) {
            items = new ByteBuffer[capacity];
        }

        synchronized ByteBuffer pop() {
            if (size == 0) {
                return null;
            }
            ByteBuffer b = items[--size];
            items[size] = null;
            if (size < low) {
                low = size;
            }
            return b;
        }

        /** Drops the idle buffers beyond {@code keep} from the bottom (the oldest); returns how many went. */
        synchronized int trim(int keep) {
            int drop = Math.max(0, low - keep);
            if (drop > 0) {
                System.arraycopy(items, drop, items, 0, size - drop);
                Arrays.fill(items, size - drop, size, null);
                size -= drop;
            }
            low = size;
            return drop;
        }

        synchronized int size() {
            return size;
        }

        synchronized void push(ByteBuffer b) {
            if (size < items.length) {
                items[size++] = b;
            }
        }
    }
}
