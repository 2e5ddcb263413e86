package jdm.nbd;

import java.nio.ByteBuffer;

/**
 * Direct buffers for request payloads, pooled by power-of-two size class so that a steady stream of requests
 * allocates nothing: a read's data goes from the device into one of these and from it to the socket, a write's
 * payload comes from the socket into one and the bio uses it as is. Each class is a stack: the buffer given back
 * last is taken first, so a busy connection keeps reusing buffers that are still in the CPU cache (measured: a
 * FIFO ring cycling through cold buffers cost 15-20% of nbdcopy throughput). A class's critical section is a few
 * field writes under its own monitor. A miss allocates a new buffer; beyond the retention budget a returned buffer
 * is left to the garbage collector, so the pool keeps about what the workload has in flight at its peak.
 */
final class BufferPool {
    private static final int MIN_SHIFT = 12;               // 4 KiB: smaller requests use a 4 KiB buffer
    private static final int MAX_SHIFT = 25;               // 32 MiB: the largest payload we accept
    private static final int MAX_PER_CLASS = 1024;
    static final long DEFAULT_RETAIN_BYTES = 256L << 20;   // what each size class keeps at most

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

    private static int sizeClass(int size) {
        if (size <= 0 || size > 1 << MAX_SHIFT) {
            throw new IllegalArgumentException("buffer size " + size);
        }
        int shift = 32 - Integer.numberOfLeadingZeros(size - 1); // ceil(log2(size))
        return Math.max(shift, MIN_SHIFT) - MIN_SHIFT;
    }

    /** A bounded LIFO of free buffers. */
    private static final class Stack {
        private final ByteBuffer[] items;
        private int size;

        Stack(int capacity) {
            items = new ByteBuffer[capacity];
        }

        synchronized ByteBuffer pop() {
            if (size == 0) {
                return null;
            }
            ByteBuffer b = items[--size];
            items[size] = null;
            return b;
        }

        synchronized void push(ByteBuffer b) {
            if (size < items.length) {
                items[size++] = b;
            }
        }
    }
}
