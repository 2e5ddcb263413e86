package jdm.md.raid456;

/**
 * Picks the parity code once (raid6_select_algo): the Vector API version when the jdk.incubator.vector module was
 * added to the JVM (bin/jdm and the tests add it), else the int64 SWAR code, so {@code java -jar jdm.jar} works
 * without the module. Also the GF(2^8) tables lib/raid6/mktables.c makes (products, exponents, inverses) for the
 * raid6 recovery math.
 */
final class Parities {
    private static final java.util.concurrent.CountDownLatch READY = new java.util.concurrent.CountDownLatch(1);
    private static volatile ParityKernel current;
    private static final byte[][] MUL = new byte[256][256];
    private static final int[] EXP = new int[256];
    private static final int[] INV = new int[256];

    static {
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                MUL[a][b] = (byte) slowMul(a, b);
            }
        }
        int x = 1;
        for (int i = 0; i < 256; i++) {
            EXP[i] = x;
            x = slowMul(x, 2);
        }
        for (int a = 1; a < 256; a++) {
            for (int b = 1; b < 256; b++) {
                if (slowMul(a, b) == 1) {
                    INV[a] = b;
                    break;
                }
            }
        }
    }

    private Parities() {
    }

    /**
     * The int64 code at once; the Vector API code replaces it once a background thread has warmed it up (so no
     * array start waits for the JIT, and no stripe runs interpreted vector code, which is far slower than scalar).
     */
    private static ParityKernel choose() {
        SwarParity swar = new SwarParity();
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                || Boolean.getBoolean("jdm.md.noVector")) {
            READY.countDown();
            return swar;
        }
        Thread.ofPlatform().daemon().name("raid6-select-algo").start(() -> {
            try {
                ParityKernel k = (ParityKernel) Class.forName("jdm.md.raid456.VectorParity")
                        .getDeclaredConstructor().newInstance();
                warmUp(k);
                synchronized (Parities.class) {
                    current = k;
                }
            } catch (ReflectiveOperationException | LinkageError e) {
                // keep the scalar code
            } finally {
                READY.countDown();
            }
        });
        return swar;
    }

    /** Waits until the fastest parity code is in use (tests and the benchmark). */
    static ParityKernel awaitFastest() throws InterruptedException {
        best();
        READY.await();
        return current;
    }

    /**
     * Runs the loops on small blocks until the JIT has compiled them: interpreted, Vector API code is orders of
     * magnitude slower than the scalar loop, and a first large stripe would run that way for seconds.
     */
    private static void warmUp(ParityKernel k) {
        int len = 256;
        byte[][] data = new byte[4][len];
        int[] offs = new int[4];
        byte[] p = new byte[len];
        byte[] q = new byte[len];
        data[1][3] = 1;
        for (int i = 0; i < 20_000; i++) {
            k.gen(data, offs, len, p, 0, q, 0);
            k.gen(data, offs, len, p, 0, null, 0);
            k.xorSyndrome(data, offs, len, p, 0, q, 0);
            k.xor(p, 0, q, 0, len);
        }
    }

    /** The parity code to use now. */
    static ParityKernel best() {
        ParityKernel k = current;
        if (k == null) {
            synchronized (Parities.class) {
                if (current == null) {
                    current = choose();
                }
                k = current;
            }
        }
        return k;
    }

    private static int slowMul(int a, int b) {
        int r = 0;
        while (b != 0) {
            if ((b & 1) != 0) {
                r ^= a;
            }
            a = (a << 1) ^ ((a & 0x80) != 0 ? 0x11d : 0);
            b >>= 1;
        }
        return r & 0xff;
    }

    /** g^i (raid6_gfexp). */
    static int exp(int i) {
        return EXP[Math.floorMod(i, 255)];
    }

    /** 1/a (raid6_gfinv). */
    static int inv(int a) {
        return INV[a & 0xff];
    }

    static int mul(int a, int b) {
        return MUL[a & 0xff][b & 0xff] & 0xff;
    }

    /** dst = c * src, byte by byte (the raid6_gfmul table walk of recov.c). */
    static void mulInto(byte[] dst, int dOff, byte[] src, int sOff, int len, int c) {
        byte[] t = MUL[c & 0xff];
        for (int i = 0; i < len; i++) {
            dst[dOff + i] = t[src[sOff + i] & 0xff];
        }
    }
}
