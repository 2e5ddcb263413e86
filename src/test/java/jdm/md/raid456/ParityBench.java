package jdm.md.raid456;

import java.util.Random;

/**
 * The parity benchmark behind bench/md-parity.sh (not a test): GB/s of data (1e9 bytes, parity output not
 * counted, as raid-parity-bench.c and the kernel's "raid6: ... gen()" lines count) for XOR (P only) and P+Q over
 * k data blocks of len bytes, the same stripe again and again (in cache); median of 3 timed runs after a warm-up.
 * Prints Markdown rows. Arguments: [seconds per figure] (default 0.5).
 */
public final class ParityBench {
    private ParityBench() {
    }

    public static void main(String[] args) throws InterruptedException {
        double secs = args.length > 0 ? Double.parseDouble(args[0]) : 0.5;
        ParityKernel[] kernels = {Parities.awaitFastest(), new SwarParity()};
        int[][] shapes = {{8, 65536}, {6, 4096}, {4, 65536}};
        System.out.println("| jdm parity | data disks | block | XOR (P) GB/s | P+Q GB/s | XOR per CPU-s | P+Q per CPU-s |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (ParityKernel k : kernels) {
            for (int[] shape : shapes) {
                double[] xor = rate(k, shape[0], shape[1], false, secs);
                double[] pq = rate(k, shape[0], shape[1], true, secs);
                System.out.printf("| %s | %d | %d KiB | %.1f | %.1f | %.1f | %.1f |%n", k.name(), shape[0],
                        shape[1] >> 10, xor[0], pq[0], xor[1], pq[1]);
            }
        }
    }

    /** {wall-clock GB/s, GB per CPU-second of this thread}, each the median of 3. */
    private static double[] rate(ParityKernel k, int disks, int len, boolean pq, double secs) {
        byte[][] data = new byte[disks][len];
        int[] offs = new int[disks];
        Random rnd = new Random(1);
        for (byte[] d : data) {
            rnd.nextBytes(d);
        }
        byte[] p = new byte[len];
        byte[] q = pq ? new byte[len] : null;
        run(k, data, offs, len, p, q, Math.max(0.3, secs));   // warm-up: let C2 compile the loops
        double[] wall = new double[3];
        double[] cpu = new double[3];
        for (int i = 0; i < 3; i++) {
            double[] r = run(k, data, offs, len, p, q, secs);
            wall[i] = r[0];
            cpu[i] = r[1];
        }
        java.util.Arrays.sort(wall);
        java.util.Arrays.sort(cpu);
        return new double[] {wall[1], cpu[1]};
    }

    private static double[] run(ParityKernel k, byte[][] data, int[] offs, int len, byte[] p, byte[] q,
            double secs) {
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long calls = 0;
        long c0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        long t;
        do {
            for (int r = 0; r < 16; r++, calls++) {
                k.gen(data, offs, len, p, 0, q, 0);
            }
            t = System.nanoTime() - t0;
        } while (t < secs * 1e9);
        long c = mx.getCurrentThreadCpuTime() - c0;
        double bytes = (double) calls * data.length * len;
        return new double[] {bytes / (t / 1e9) / 1e9, bytes / (c / 1e9) / 1e9};
    }
}
