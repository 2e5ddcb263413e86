package jdm.md.layout;

/**
 * raid0 over equal members (one strip zone), as raid0.c's map_sector with a power-of-two chunk: chunk c of the
 * array is on member {@code c % disks}, at member chunk {@code c / disks}. Members are used up to a whole number of
 * chunks, as md rounds them down.
 */
public final class Raid0Layout {
    private final int disks;
    private final int chunkSectors;
    private final long memberSectors;

    /** @param memberSectors each member's data-area size; rounded down to a chunk multiple */
    public Raid0Layout(int disks, int chunkSectors, long memberSectors) {
        Geometry.checkChunk(chunkSectors);
        if (disks < 1) {
            throw new IllegalArgumentException("raid0 needs at least 1 member: " + disks);
        }
        this.disks = disks;
        this.chunkSectors = chunkSectors;
        this.memberSectors = memberSectors / chunkSectors * chunkSectors;
    }

    public long arraySectors() {
        return memberSectors * disks;
    }

    public MemberSector map(long arraySector) {
        Geometry.checkSector(arraySector, arraySectors());
        long chunk = arraySector / chunkSectors;
        long inChunk = arraySector % chunkSectors;
        return new MemberSector((int) (chunk % disks), chunk / disks * chunkSectors + inChunk);
    }
}
