package jdm.md.raid456;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.md.SyncAction;

/**
 * The array side of bench/md-parity.sh (not a test): sequential 1 MiB writes and reads through raid5 (8+1) and
 * raid6 (8+2) arrays of 512 KiB chunks over memory disks, 8 bios in flight, MiB/s of array data; and a check pass
 * (read everything, compare parity) in MiB/s per member, as md's sync_speed counts. Arguments: [MiB per member].
 */
public final class StripeBench {
    private StripeBench() {
    }

    public static void main(String[] args) throws Exception {
        long memberMib = args.length > 0 ? Long.parseLong(args[0]) : 32;
        Parities.awaitFastest();
        System.out.println("| array (memory disks) | seq write MiB/s | member reads per MiB written | seq read MiB/s"
                + " | check MiB/s per member |");
        System.out.println("|---|---|---|---|---|");
        for (int[] shape : new int[][] {{5, 9}, {6, 10}}) {
            try (TestArray a = TestArray.create(shape[0], 2, 1024, shape[1], memberMib * 2048)) {
                long bytes = a.md.sizeSectors() * 512;
                ByteBuffer data = ByteBuffer.allocateDirect(1 << 20);
                byte[] junk = new byte[1 << 20];
                new Random(1).nextBytes(junk);
                data.put(junk).flip();
                stream(a, Op.WRITE, data, bytes);                  // warm-up
                int r0 = reads(a);
                double w = stream(a, Op.WRITE, data, bytes);
                double readsPerMib = (reads(a) - r0) / (bytes / 1048576.0);
                double r = stream(a, Op.READ, ByteBuffer.allocateDirect(1 << 20), bytes);
                long t0 = System.nanoTime();
                AtomicLong mismatches = new AtomicLong();
                for (long s = 0; s < a.md.personality().syncSectors(SyncAction.CHECK); ) {
                    s += a.md.personality().syncRequest(s, 2048, SyncAction.CHECK, mismatches);
                }
                double check = memberMib / ((System.nanoTime() - t0) / 1e9);
                System.out.printf("| raid%d, %d members, 512k chunk | %.0f | %.2f | %.0f | %.0f%s |%n", shape[0],
                        shape[1], w, readsPerMib, r, check, mismatches.get() == 0 ? "" : " (mismatches!)");
            }
        }
    }

    private static int reads(TestArray a) {
        int n = 0;
        for (var f : a.faulty) {
            n += f.submits(Op.READ);
        }
        return n;
    }

    /** Streams the whole array in 1 MiB bios, 8 in flight; MiB/s. */
    private static double stream(TestArray a, Op op, ByteBuffer buf, long bytes) throws InterruptedException {
        Semaphore slots = new Semaphore(8);
        AtomicLong errors = new AtomicLong();
        long t0 = System.nanoTime();
        for (long off = 0; off < bytes; off += 1 << 20) {
            slots.acquire();
            ByteBuffer b = op == Op.WRITE ? buf.duplicate() : ByteBuffer.allocateDirect(1 << 20);
            new Bio(op, 0, a.md, off / 512, 2048, b, bio -> {
                if (bio.status() != BlkStatus.OK) {
                    errors.incrementAndGet();
                }
                slots.release();
            }).submit();
        }
        slots.acquire(8);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (errors.get() > 0) {
            throw new IllegalStateException(errors + " failed bios");
        }
        return bytes / 1048576.0 / secs;
    }
}
