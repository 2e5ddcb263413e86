package jdm.md.raid456;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reuses the stripe buffers (the stripe cache's pages, raid5's grow_stripes): a piece of stripe work takes one
 * buffer per member and gives them back when it ends, so the I/O path does not allocate (and zero) megabytes per
 * full-stripe write. Buffers are kept by length up to a bound on the bytes held; contents are stale, which is fine:
 * a stripe head only uses bytes it has read, rebuilt or computed.
 */
final class PagePool {
    private static final long MAX_HELD = 64L << 20;
    private static final ConcurrentHashMap<Integer, ConcurrentLinkedDeque<byte[]>> FREE = new ConcurrentHashMap<>();
    private static final AtomicLong HELD = new AtomicLong();

    private PagePool() {
    }

    static byte[] take(int len) {
        ConcurrentLinkedDeque<byte[]> q = FREE.get(len);
        byte[] b = q == null ? null : q.pollFirst();
        if (b == null) {
            return new byte[len];
        }
        HELD.addAndGet(-len);
        return b;
    }

    static void give(byte[] b) {
        if (b == null || HELD.addAndGet(b.length) > MAX_HELD) {
            if (b != null) {
                HELD.addAndGet(-b.length);
            }
            return;
        }
        FREE.computeIfAbsent(b.length, k -> new ConcurrentLinkedDeque<>()).offerFirst(b);
    }
}
