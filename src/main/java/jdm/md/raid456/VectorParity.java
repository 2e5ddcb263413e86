package jdm.md.raid456;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SwarParity}'s loops widened to the machine's vectors with the Vector API (jdk.incubator.vector): XOR on
 * 64-bit lanes, Q's multiply-by-2 on byte lanes (an add and a compare-blend, where the int64 code needs a
 * shift/mask sequence), two vectors per step so the Horner chains overlap. Only loaded when the module is present
 * ({@link Parities}). Lengths are multiples of 64 bytes.
 */
final class VectorParity implements ParityKernel {
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, L.vectorShape());
    private static final int W = L.vectorByteSize();
    private static final SwarParity TAIL = new SwarParity();
    private static final ByteVector POLY_B = ByteVector.broadcast(B, (byte) 0x1d);
    private static final ByteVector ZERO_B = ByteVector.zero(B);

    private static LongVector load(byte[] b, int off) {
        return ByteVector.fromArray(B, b, off).reinterpretAsLongs();
    }

    private static void store(LongVector v, byte[] b, int off) {
        v.reinterpretAsBytes().intoArray(b, off);
    }

    /**
     * Q's multiply by g = 2 in GF(2^8) on byte lanes: each byte doubled (an add, which cannot carry into its
     * neighbour), and 0x1d folded back in where the top bit fell off (the lanes that were negative as bytes).
     */
    private static ByteVector mul2(ByteVector v) {
        return v.add(v).lanewise(VectorOperators.XOR, POLY_B.blend(ZERO_B, v.compare(VectorOperators.GE, (byte) 0)));
    }

    /** Bytes the vector loop covers; the rest (less than one vector) goes to the scalar code. */
    private static int body(int len) {
        return len - len % W;
    }

    @Override
    public void xor(byte[] dst, int dOff, byte[] src, int sOff, int len) {
        int n = body(len);
        for (int i = 0; i < n; i += W) {
            store(load(dst, dOff + i).lanewise(VectorOperators.XOR, load(src, sOff + i)), dst, dOff + i);
        }
        if (n < len) {
            TAIL.xor(dst, dOff + n, src, sOff + n, len - n);
        }
    }

    @Override
    public void gen(byte[][] data, int[] offs, int len, byte[] p, int pOff, byte[] q, int qOff) {
        int z0 = data.length - 1;
        int n = body(len);
        int i = 0;
        if (q == null) {
            for (; i < n; i += W) {
                LongVector wp = load(data[z0], offs[z0] + i);
                for (int z = z0 - 1; z >= 0; z--) {
                    wp = wp.lanewise(VectorOperators.XOR, load(data[z], offs[z] + i));
                }
                store(wp, p, pOff + i);
            }
        } else {
            for (; i + 2 * W <= n; i += 2 * W) {
                ByteVector wp0 = ByteVector.fromArray(B, data[z0], offs[z0] + i);
                ByteVector wp1 = ByteVector.fromArray(B, data[z0], offs[z0] + i + W);
                ByteVector wq0 = wp0;
                ByteVector wq1 = wp1;
                for (int z = z0 - 1; z >= 0; z--) {
                    ByteVector wd0 = ByteVector.fromArray(B, data[z], offs[z] + i);
                    ByteVector wd1 = ByteVector.fromArray(B, data[z], offs[z] + i + W);
                    wp0 = wp0.lanewise(VectorOperators.XOR, wd0);
                    wp1 = wp1.lanewise(VectorOperators.XOR, wd1);
                    wq0 = mul2(wq0).lanewise(VectorOperators.XOR, wd0);
                    wq1 = mul2(wq1).lanewise(VectorOperators.XOR, wd1);
                }
                wp0.intoArray(p, pOff + i);
                wp1.intoArray(p, pOff + i + W);
                wq0.intoArray(q, qOff + i);
                wq1.intoArray(q, qOff + i + W);
            }
            for (; i < n; i += W) {
                ByteVector wp = ByteVector.fromArray(B, data[z0], offs[z0] + i);
                ByteVector wq = wp;
                for (int z = z0 - 1; z >= 0; z--) {
                    ByteVector wd = ByteVector.fromArray(B, data[z], offs[z] + i);
                    wp = wp.lanewise(VectorOperators.XOR, wd);
                    wq = mul2(wq).lanewise(VectorOperators.XOR, wd);
                }
                wp.intoArray(p, pOff + i);
                wq.intoArray(q, qOff + i);
            }
        }
        if (i < len) {
            int[] tailOffs = new int[offs.length];
            for (int z = 0; z < offs.length; z++) {
                tailOffs[z] = offs[z] + i;
            }
            TAIL.gen(data, tailOffs, len - i, p, pOff + i, q, q == null ? 0 : qOff + i);
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
        int n = body(len);
        int i = 0;
        for (; i < n; i += W) {
            ByteVector wp = ZERO_B;
            ByteVector wq = ZERO_B;
            for (int z = stop; z >= start; z--) {
                wq = mul2(wq);
                if (data[z] != null) {
                    ByteVector wd = ByteVector.fromArray(B, data[z], offs[z] + i);
                    wp = wp.lanewise(VectorOperators.XOR, wd);
                    wq = wq.lanewise(VectorOperators.XOR, wd);
                }
            }
            for (int z = start; z > 0; z--) {
                wq = mul2(wq);
            }
            if (p != null) {
                ByteVector.fromArray(B, p, pOff + i).lanewise(VectorOperators.XOR, wp).intoArray(p, pOff + i);
            }
            if (q != null) {
                ByteVector.fromArray(B, q, qOff + i).lanewise(VectorOperators.XOR, wq).intoArray(q, qOff + i);
            }
        }
        if (i < len) {
            int[] tailOffs = new int[offs.length];
            for (int z = 0; z < offs.length; z++) {
                tailOffs[z] = offs[z] + i;
            }
            TAIL.xorSyndrome(data, tailOffs, len - i, p, pOff + i, q, qOff + i);
        }
    }

    @Override
    public String name() {
        return "Vector API " + L.vectorBitSize() + "-bit";
    }
}
