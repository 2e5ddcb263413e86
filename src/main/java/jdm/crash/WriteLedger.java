package jdm.crash;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a block workload did and what it may expect after a crash, per block: the sequence numbers written to it,
 * and the newest one that was made durable (acknowledged with FUA, or acknowledged before a FLUSH that completed).
 * Writes to one block never overlap in time (a workload waits for a block's write before writing it again), so a
 * larger sequence number is a later write. Thread-safe.
 */
public final class WriteLedger {
    private final List<Set<Long>> written = new ArrayList<>();
    private final long[] durable;
    private final long[] acknowledged;

    public WriteLedger(int blocks) {
        durable = new long[blocks];
        acknowledged = new long[blocks];
        for (int i = 0; i < blocks; i++) {
            written.add(new HashSet<>());
        }
    }

    public int blocks() {
        return durable.length;
    }

    /** A copy that knows every write sent but holds none durable yet: a replay's checker starts from it. */
    public synchronized WriteLedger withNothingDurable() {
        WriteLedger copy = new WriteLedger(blocks());
        for (int b = 0; b < blocks(); b++) {
            copy.written.get(b).addAll(written.get(b));
        }
        return copy;
    }

    /** Called before the write is sent. */
    public synchronized void sent(int block, long seq) {
        written.get(block).add(seq);
    }

    /** Called when the write was acknowledged (with or without FUA). */
    public synchronized void acknowledged(int block, long seq) {
        acknowledged[block] = Math.max(acknowledged[block], seq);
    }

    public synchronized void durable(int block, long seq) {
        durable[block] = Math.max(durable[block], seq);
    }

    /** Accepts what a block was read back as (after a check), making it the block's only history. */
    public synchronized void settle(int block, long seq) {
        written.get(block).clear();
        if (seq > 0) {
            written.get(block).add(seq);
        }
        durable[block] = seq;
        acknowledged[block] = seq;
    }

    /**
     * The stricter check for a process crash over file-backed devices, where the kernel's page cache keeps every
     * write the server made: the last acknowledged write (durable or not) or a later one must be there.
     */
    public synchronized String checkAcknowledged(int block, byte[] data, int offset) {
        long seq = BlockPattern.decode(block, data, offset);
        return seq >= 0 && seq < acknowledged[block] ? "block " + block + " lost acknowledged write "
                + acknowledged[block] + " (reads " + (seq == 0 ? "zeroes" : "older write " + seq) + ")" : null;
    }

    /**
     * Checks one block's content read back after a crash; returns null when it is allowed, else what is wrong.
     * Allowed: the durable write or any later write to that block; zeroes only while nothing was durable.
     */
    public String check(int block, byte[] data, int offset) {
        long seq = BlockPattern.decode(block, data, offset);
        String problem = check(block, seq);
        return seq < 0 ? problem + " (" + pieces(block, data, offset) + ")" : problem;
    }

    private synchronized String pieces(int block, byte[] data, int offset) {
        return BlockPattern.pieces(block, data, offset, written.get(block));
    }

    /** As {@link #check(int, byte[], int)} for a block already decoded with {@link BlockPattern#decode}. */
    public synchronized String check(int block, long seq) {
        long need = durable[block];
        if (seq < 0) {
            return "block " + block + " holds bytes no write put there";
        }
        if (seq > 0 && !written.get(block).contains(seq)) {
            return "block " + block + " holds write " + seq + ", which was never sent to it";
        }
        if (seq < need) {
            return "block " + block + " lost acknowledged write " + need + " (reads " + (seq == 0 ? "zeroes"
                    : "older write " + seq) + ")";
        }
        return null;
    }
}
