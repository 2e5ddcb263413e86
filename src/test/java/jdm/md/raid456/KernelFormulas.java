package jdm.md.raid456;

/**
 * An independent reference for the tests, written from the kernel's own formulas rather than the layout classes:
 * raid5.c's raid5_compute_sector (per level and ALGORITHM_*), raid6_d0/raid6_idx_to_slot for the Q order, and
 * GF(2^8) mod 0x11d through log/exp tables as lib/raid6/mktables.c builds them.
 */
final class KernelFormulas {
    private static final int[] EXP = new int[512];
    private static final int[] LOG = new int[256];

    static {
        int x = 1;
        for (int i = 0; i < 255; i++) {
            EXP[i] = x;
            EXP[i + 255] = x;
            LOG[x] = i;
            x <<= 1;
            if ((x & 0x100) != 0) {
                x ^= 0x11d;
            }
        }
    }

    private KernelFormulas() {
    }

    static int gfMul(int a, int b) {
        return a == 0 || b == 0 ? 0 : EXP[LOG[a] + LOG[b]];
    }

    static int gfPow2(int z) {
        return EXP[z % 255];
    }

    /** raid5_compute_sector's answer: the data member, P, Q (-1) and the member sector. */
    record Place(int dd, int pd, int qd, long sector, long stripe) {
    }

    static Place compute(long rSector, int level, int algorithm, int raidDisks, int chunk) {
        int maxDegraded = level == 6 ? 2 : 1;
        int dataDisks = raidDisks - maxDegraded;
        long chunkOffset = rSector % chunk;
        long chunkNumber = rSector / chunk;
        int dd = (int) (chunkNumber % dataDisks);
        long stripe = chunkNumber / dataDisks;
        int pd = -1;
        int qd = -1;
        int rot = (int) (stripe % raidDisks);
        if (level == 4) {
            pd = dataDisks;
        } else if (level == 5) {
            switch (algorithm) {
                case 0 -> { pd = dataDisks - rot; if (dd >= pd) { dd++; } }
                case 1 -> { pd = rot; if (dd >= pd) { dd++; } }
                case 2 -> { pd = dataDisks - rot; dd = (pd + 1 + dd) % raidDisks; }
                case 3 -> { pd = rot; dd = (pd + 1 + dd) % raidDisks; }
                case 4 -> { pd = 0; dd++; }
                case 5 -> pd = dataDisks;
                default -> throw new IllegalArgumentException();
            }
        } else {
            switch (algorithm) {
                case 0, 1 -> {
                    pd = algorithm == 0 ? raidDisks - 1 - rot : rot;
                    qd = pd + 1;
                    if (pd == raidDisks - 1) {
                        dd++;
                        qd = 0;
                    } else if (dd >= pd) {
                        dd += 2;
                    }
                }
                case 2, 3 -> {
                    pd = algorithm == 2 ? raidDisks - 1 - rot : rot;
                    qd = (pd + 1) % raidDisks;
                    dd = (pd + 2 + dd) % raidDisks;
                }
                case 4 -> { pd = 0; qd = 1; dd += 2; }
                case 5 -> { pd = dataDisks; qd = dataDisks + 1; }
                default -> throw new IllegalArgumentException();
            }
        }
        return new Place(dd, pd, qd, stripe * chunk + chunkOffset, stripe);
    }

    /** raid6_idx_to_slot: the syndrome slot of member idx in a stripe with Q at qd (walk from raid6_d0). */
    static int slot(int idx, int pd, int qd, int disks) {
        int d0 = qd == disks - 1 ? 0 : qd + 1;
        int slot = 0;
        for (int i = d0; ; i = (i + 1) % disks) {
            if (i == idx) {
                return slot;
            }
            if (i != pd && i != qd) {
                slot++;
            }
        }
    }
}
