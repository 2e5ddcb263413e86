package jdm.md;

/**
 * The shape of an array as md keeps it in the mddev and the superblock: level (-1 linear, 0, 1, 4, 5, 6, 10),
 * layout (md's number: the raid5/6 algorithm, raid10's near/far/offset word, raid0's 1 or 2), chunk size in
 * sectors (0 where the level has none), raid_disks, and devSectors, the part of each member's data area the array
 * uses (md's {@code dev_sectors}, the superblock's {@code size}).
 */
public record ArrayGeometry(int level, int layout, int chunkSectors, int raidDisks, long devSectors) {
    public static final int LINEAR = -1;

    public ArrayGeometry {
        if (raidDisks < 1) {
            throw new IllegalArgumentException("raid_disks " + raidDisks);
        }
        if (chunkSectors < 0 || devSectors < 0) {
            throw new IllegalArgumentException("chunk " + chunkSectors + ", dev_sectors " + devSectors);
        }
    }

    /** md's name of the level: "linear", "raid0", ... (sysfs level, mdstat). */
    public String levelName() {
        return level == LINEAR ? "linear" : "raid" + level;
    }
}
