package jdm.md.layout;

/** raid1: every member holds the whole array at the same sector of its data area. */
public final class Raid1Layout {
    private final int disks;
    private final long memberSectors;

    public Raid1Layout(int disks, long memberSectors) {
        if (disks < 1) {
            throw new IllegalArgumentException("raid1 needs at least 1 member: " + disks);
        }
        this.disks = disks;
        this.memberSectors = memberSectors;
    }

    public long arraySectors() {
        return memberSectors;
    }

    /** Every copy of the array sector, member 0 first. */
    public MemberSector[] copies(long arraySector) {
        Geometry.checkSector(arraySector, arraySectors());
        MemberSector[] out = new MemberSector[disks];
        for (int i = 0; i < disks; i++) {
            out[i] = new MemberSector(i, arraySector);
        }
        return out;
    }
}
