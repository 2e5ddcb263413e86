package jdm.crash;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * The self-describing blocks of the crash workloads: each 4 KiB block carries a magic, its own block number, a
 * sequence number unique to the write, filler derived from both, and a CRC32C over the rest. A block read back
 * after a crash is therefore either all zeroes (never written), exactly one write the workload made to that very
 * block, or garbage that a checker reports: torn writes, misplaced writes and invented bytes all fail
 * {@link #decode}.
 */
public final class BlockPattern {
    public static final int BLOCK_BYTES = 4096;
    private static final long MAGIC = 0x6a646d2d63726173L; // "jdm-cras"
    private static final int HEADER = 24;

    private BlockPattern() {
    }

    /** The bytes write {@code seq} puts in block {@code block}. */
    public static ByteBuffer encode(long block, long seq) {
        ByteBuffer b = ByteBuffer.allocate(BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC).putLong(block).putLong(seq);
        byte[] fill = new byte[BLOCK_BYTES - HEADER - 4];
        new SplittableRandom(block * 0x9E3779B97F4A7C15L ^ seq).nextBytes(fill);
        b.put(fill);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, BLOCK_BYTES - 4);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /** What a block read back holds: 0 for all zeroes, the write's sequence number, or -1 if it is no such write. */
    public static long decode(long block, byte[] data, int offset) {
        boolean zero = true;
        for (int i = offset; i < offset + BLOCK_BYTES && zero; i++) {
            zero = data[i] == 0;
        }
        if (zero) {
            return 0;
        }
        ByteBuffer b = ByteBuffer.wrap(data, offset, BLOCK_BYTES).slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(0) != MAGIC || b.getLong(8) != block) {
            return -1;
        }
        long seq = b.getLong(16);
        return seq > 0 && encode(block, seq).equals(b) ? seq : -1;
    }
}
