package jdm.md.layout;

/**
 * raid10 with near, far and offset copies, as raid10.c's __raid10_find_phys and calc_sectors (the far set is all
 * members: layout bit 17 unset). Layout word as md's: near copies in bits 0-7, far copies in bits 8-15, bit 16 =
 * far copies are "offset" (o2) rather than "far" (f2).
 */
public final class Raid10Layout {
    private final int disks;
    private final int near;
    private final int far;
    private final boolean offset;
    private final int chunkSectors;
    private final long arrayChunks;
    private final long stride;

    public Raid10Layout(int disks, int layout, int chunkSectors, long memberSectors) {
        Geometry.checkChunk(chunkSectors);
        this.near = layout & 0xff;
        this.far = (layout >> 8) & 0xff;
        this.offset = (layout & 0x10000) != 0;
        if ((layout & ~0x1ffff) != 0 || near < 1 || far < 1 || near * far > disks || disks < 2) {
            throw new IllegalArgumentException("unsupported raid10 layout 0x" + Integer.toHexString(layout)
                    + " on " + disks + " members");
        }
        this.disks = disks;
        this.chunkSectors = chunkSectors;
        long chunks = memberSectors / chunkSectors / far * disks / near;   // calc_sectors: chunks of the array
        this.arrayChunks = chunks;
        long used = (chunks * near * far + disks - 1) / disks;             // used chunks per member, rounded up
        this.stride = offset ? chunkSectors : used / far * chunkSectors;
    }

    /** md's layout word for n copies near, f copies far (or offset). */
    public static int layoutWord(int near, int far, boolean offset) {
        return near | far << 8 | (offset ? 0x10000 : 0);
    }

    /** mdadm's names: n2, f2, o2 (nK, fK, oK). */
    public static int layoutWord(String name) {
        if (name.length() < 2) {
            throw new IllegalArgumentException("raid10 layout " + name);
        }
        int k = Integer.parseInt(name.substring(1));
        return switch (name.charAt(0)) {
            case 'n' -> layoutWord(k, 1, false);
            case 'f' -> layoutWord(1, k, false);
            case 'o' -> layoutWord(1, k, true);
            default -> throw new IllegalArgumentException("raid10 layout " + name);
        };
    }

    public int copies() {
        return near * far;
    }

    public long arraySectors() {
        return arrayChunks * chunkSectors;
    }

    /** Every copy of the array sector, in the kernel's slot order (the first is where a near/far read prefers). */
    public MemberSector[] copies(long arraySector) {
        Geometry.checkSector(arraySector, arraySectors());
        long chunk = arraySector / chunkSectors * near;
        long sector = arraySector % chunkSectors;
        long stripe = chunk / disks;
        int dev = (int) (chunk % disks);
        if (offset) {
            stripe *= far;
        }
        sector += stripe * chunkSectors;
        MemberSector[] out = new MemberSector[near * far];
        int slot = 0;
        for (int n = 0; n < near; n++) {
            int d = dev;
            long s = sector;
            out[slot++] = new MemberSector(d, s);
            for (int f = 1; f < far; f++) {
                d = (d + near) % disks;
                s += stride;
                out[slot++] = new MemberSector(d, s);
            }
            dev++;
            if (dev >= disks) {
                dev = 0;
                sector += chunkSectors;
            }
        }
        return out;
    }
}
