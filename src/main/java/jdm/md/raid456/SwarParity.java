package jdm.md.raid456;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Parity eight bytes at a time in a long, as lib/raid6/int.uc's int64 code: multiplying each byte by 2 is a shift
 * plus 0x1d where the byte's top bit was set (int.uc's MASK/SHLBYTE), then Horner from the highest slot down.
 * The fallback when the Vector API module is absent.
 */
final class SwarParity implements ParityKernel {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH = 0x8080808080808080L;
    private static final long LOW7 = 0xfefefefefefefefeL;
    private static final long POLY = 0x1d1d1d1d1d1d1d1dL;

    static long mul2(long v) {
        long top = v & HIGH;
        long mask = (top << 1) - (top >>> 7);   // 0xff in every byte whose top bit was set
        return ((v << 1) & LOW7) ^ (mask & POLY);
    }

    private static long get(byte[] b, int off) {
        return (long) LONGS.get(b, off);
    }

    private static void put(byte[] b, int off, long v) {
        LONGS.set(b, off, v);
    }

    @Override
    public void xor(byte[] dst, int dOff, byte[] src, int sOff, int len) {
        for (int i = 0; i < len; i += 8) {
            put(dst, dOff + i, get(dst, dOff + i) ^ get(src, sOff + i));
        }
    }

    @Override
    public void gen(byte[][] data, int[] offs, int len, byte[] p, int pOff, byte[] q, int qOff) {
        int z0 = data.length - 1;
        for (int i = 0; i < len; i += 8) {
            long wp = get(data[z0], offs[z0] + i);
            long wq = wp;
            for (int z = z0 - 1; z >= 0; z--) {
                long wd = get(data[z], offs[z] + i);
                wp ^= wd;
                wq = mul2(wq) ^ wd;
            }
            put(p, pOff + i, wp);
            if (q != null) {
                put(q, qOff + i, wq);
            }
        }
    }

    @Override
    public void xorSyndrome(byte[][] data, int[] offs, int len, byte[] p, int pOff, byte[] q, int qOff) {
        int stop = data.length - 1;
        while (stop >= 0 && data[stop] == null) {
            stop--;
        }
        int start = 0;
        while (start <= stop && data[start] == null) {
            start++;
        }
        if (start > stop) {
            return;
        }
        for (int i = 0; i < len; i += 8) {
            long wp = 0;
            long wq = 0;
            for (int z = stop; z >= start; z--) {
                wq = mul2(wq);
                if (data[z] != null) {
                    long wd = get(data[z], offs[z] + i);
                    wp ^= wd;
                    wq ^= wd;
                }
            }
            for (int z = start; z > 0; z--) {   // the slots below start weigh nothing but multiply what is above
                wq = mul2(wq);
            }
            if (p != null) {
                put(p, pOff + i, get(p, pOff + i) ^ wp);
            }
            if (q != null) {
                put(q, qOff + i, get(q, qOff + i) ^ wq);
            }
        }
    }

    @Override
    public String name() {
        return "int64 (SWAR)";
    }
}
