package jdm.md.raid456;

/**
 * The parity loops of lib/raid6 and crypto/xor as one interface with a fast implementation picked at start
 * (raid6_select_algo / calibrate_xor_blocks): {@link VectorParity} when the Vector API is in the JVM, else
 * {@link SwarParity}, the int64 code. Syndrome slot z weighs data with g^z, g = 2 in GF(2^8) mod 0x11d. Lengths are
 * multiples of 64 bytes (the callers work in 4 KiB pages).
 */
interface ParityKernel {
    /** dst ^= src over len bytes (xor_blocks). */
    void xor(byte[] dst, int dOff, byte[] src, int sOff, int len);

    /**
     * gen_syndrome: P = xor of data[z], Q = sum of g^z * data[z] (q may be null: P only), data in syndrome order.
     */
    void gen(byte[][] data, int[] offs, int len, byte[] p, int pOff, byte[] q, int qOff);

    /**
     * xor_syndrome: P ^= xor of the non-null data[z] and Q ^= sum of g^z * data[z] over them (p or q may be null):
     * how read-modify-write takes old data out of the parity and puts new data in.
     */
    void xorSyndrome(byte[][] data, int[] offs, int len, byte[] p, int pOff, byte[] q, int qOff);

    /** A name for benchmark output. */
    String name();
}
