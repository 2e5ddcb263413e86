package jdm.crash;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
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

    /**
     * What a block that {@link #decode} refused is made of, sector by sector, against the writes sent to it (0 for
     * zeroes): "sectors 0-3 write 51, sectors 4-7 write 47" for a write torn at a sector boundary, "sector 2 write
     * 51 to byte 192, then none" where a sector matches no write whole (it names the write sharing the longest start
     * with it). A torn write shows where it tore; invented bytes match nothing.
     */
    public static String pieces(long block, byte[] data, int offset, Collection<Long> seqs) {
        List<Long> candidates = new ArrayList<>(seqs);
        candidates.addFirst(0L);
        List<byte[]> bytes = new ArrayList<>();
        for (long seq : candidates) {
            bytes.add(seq == 0 ? new byte[BLOCK_BYTES] : encode(block, seq).array());
        }
        int sectors = BLOCK_BYTES / 512;
        String[] what = new String[sectors];
        for (int sector = 0; sector < sectors; sector++) {
            what[sector] = sectorMatch(data, offset, sector * 512, candidates, bytes);
        }
        List<String> runs = new ArrayList<>();
        for (int start = 0, end; start < sectors; start = end) {
            end = start + 1;
            while (end < sectors && what[end].equals(what[start])) {
                end++;
            }
            runs.add((end == start + 1 ? "sector " + start : "sectors " + start + "-" + (end - 1)) + " " + what[start]);
        }
        return String.join(", ", runs);
    }

    private static String sectorMatch(byte[] data, int offset, int at, List<Long> seqs, List<byte[]> bytes) {
        int best = -1;
        int bestLen = -1;
        for (int c = 0; c < seqs.size(); c++) {
            int m = Arrays.mismatch(data, offset + at, offset + at + 512, bytes.get(c), at, at + 512);
            if (m < 0) {
                return named(seqs.get(c));
            }
            if (m > bestLen) {
                best = c;
                bestLen = m;
            }
        }
        return bestLen == 0 ? "no write" : named(seqs.get(best)) + " to byte " + bestLen + ", then none";
    }

    private static String named(long seq) {
        return seq == 0 ? "zeroes" : "write " + seq;
    }
}
