package jdm.md.layout;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * raid5's P (XOR) and raid6's Q syndrome over GF(2^8) with the polynomial 0x11d and generator 2 (lib/raid6):
 * Q = sum over data slots z of g^z * D_z, computed as lib/raid6/int.uc does, Horner from the highest slot down,
 * eight bytes at a time in a long (multiplying each byte by 2 is a shift plus 0x1d where the top bit was set).
 * Plain long-at-a-time code (no Vector API: it needs --add-modules jdk.incubator.vector in the build). Lengths
 * must be multiples of 8 bytes (sectors are 512).
 */
public final class Parity {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH = 0x8080808080808080L;
    private static final long LOW7 = 0xfefefefefefefefeL;

    private Parity() {
    }

    /** dst[dOff..+len) ^= src[sOff..+len). */
    public static void xorInto(byte[] dst, int dOff, byte[] src, int sOff, int len) {
        checkLen(len);
        for (int i = 0; i < len; i += 8) {
            long v = (long) LONGS.get(dst, dOff + i) ^ (long) LONGS.get(src, sOff + i);
            LONGS.set(dst, dOff + i, v);
        }
    }

    /** Multiplies each of the eight bytes of v by 2 in GF(2^8) mod 0x11d. */
    static long mul2(long v) {
        long top = v & HIGH;
        return ((v << 1) & LOW7) ^ ((top >>> 7) * 0x1d);
    }

    /**
     * P and Q of data blocks {@code data[z]} at offsets {@code offs[z]} (z = syndrome slot), into p and q (which
     * may be null for P only) at pOff / qOff.
     */
    public static void syndrome(byte[][] data, int[] offs, int len, byte[] p, int pOff, byte[] q, int qOff) {
        checkLen(len);
        int z0 = data.length - 1;
        if (z0 < 0) {
            throw new IllegalArgumentException("no data blocks");
        }
        for (int i = 0; i < len; i += 8) {
            long wp = (long) LONGS.get(data[z0], offs[z0] + i);
            long wq = wp;
            for (int z = z0 - 1; z >= 0; z--) {
                long wd = (long) LONGS.get(data[z], offs[z] + i);
                wp ^= wd;
                wq = mul2(wq) ^ wd;
            }
            if (p != null) {
                LONGS.set(p, pOff + i, wp);
            }
            if (q != null) {
                LONGS.set(q, qOff + i, wq);
            }
        }
    }

    /** GF(2^8) product mod 0x11d, one byte (for tests and recovery math). */
    public static int gfMul(int a, int b) {
        int r = 0;
        a &= 0xff;
        b &= 0xff;
        while (b != 0) {
            if ((b & 1) != 0) {
                r ^= a;
            }
            a = (a << 1) ^ ((a & 0x80) != 0 ? 0x11d : 0);
            b >>= 1;
        }
        return r & 0xff;
    }

    private static void checkLen(int len) {
        if (len < 0 || (len & 7) != 0) {
            throw new IllegalArgumentException("length must be a multiple of 8: " + len);
        }
    }
}
