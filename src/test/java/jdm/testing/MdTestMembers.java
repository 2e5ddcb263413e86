package jdm.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.HeldDevice;
import jdm.md.Personality;
import jdm.md.Rdev;
import jdm.md.SyncAction;

/** What the md personality tests build arrays from and drive them with: members over memory, sync passes, load. */
public final class MdTestMembers {
    private MdTestMembers() {
    }

    /** Member i ("m" + i, 7:i) over d with its data area at offset; in sync when it has a role. */
    public static Rdev rdev(BlockDevice d, int i, long offset, long sectors, int role) {
        Rdev r = new Rdev(HeldDevice.of(d, 7, i, () -> { }), "m" + i, offset, sectors, role);
        if (role >= 0) {
            r.set(Rdev.Flag.IN_SYNC);
            r.setRecoveryOffset(Rdev.MAX_SECTOR);
        }
        return r;
    }

    /** n zeroed memory disks "m0".."m(n-1)" of sectors each. */
    public static MemoryDisk[] disks(int n, long sectors) {
        MemoryDisk[] d = new MemoryDisk[n];
        for (int i = 0; i < n; i++) {
            d[i] = new MemoryDisk("m" + i, sectors);
        }
        return d;
    }

    public static byte[] random(int sectors, long seed) {
        byte[] b = new byte[sectors * 512];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Runs one whole pass of action the way the sync thread drives it; returns the mismatches it counted. */
    public static long pass(Personality p, SyncAction action) throws InterruptedException {
        AtomicLong mismatches = new AtomicLong();
        long total = p.syncSectors(action);
        for (long s = 0; s < total; ) {
            long n = p.syncRequest(s, total - s, action, mismatches);
            assertThat(n).isPositive();
            s += n;
        }
        return mismatches.get();
    }

    /**
     * Four threads, each in its own quarter of the first sizeSectors of dev, write 200 random runs of 1-64 sectors
     * and after each read back readSectors somewhere in their quarter against the model; returns the model of
     * everything written (the rest zero).
     */
    public static byte[] concurrentWritesVerified(BlockDevice dev, int sizeSectors, int readSectors)
            throws Exception {
        byte[] model = new byte[sizeSectors * 512];
        int threads = 4;
        int region = sizeSectors / threads;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * region;
                long seed = t;
                fs.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    for (int i = 0; i < 200; i++) {
                        int len = 1 + rnd.nextInt(64);
                        int at = base + rnd.nextInt(region - len);
                        byte[] data = random(len, rnd.nextLong());
                        assertThat(SyncIo.write(dev, at, data)).isEqualTo(BlkStatus.OK);
                        synchronized (model) {
                            System.arraycopy(data, 0, model, at * 512, data.length);
                        }
                        int r = base + rnd.nextInt(region - readSectors);
                        byte[] want;
                        synchronized (model) {
                            want = Arrays.copyOfRange(model, r * 512, (r + readSectors) * 512);
                        }
                        assertThat(SyncIo.read(dev, r, readSectors)).isEqualTo(want);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        return model;
    }
}
