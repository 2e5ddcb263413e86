package jdm.md;

import jdm.md.sb.Superblock1;

/**
 * One member of a lifecycle-managed array: its {@link Rdev} and the v1.2 superblock the array keeps for it (the
 * kernel's rdev->sb_page), rewritten by every superblock update. {@code path} is how the member was named when
 * it joined (what messages and --detail print).
 */
public final class MdMember {
    private final Rdev rdev;
    private final Superblock1 sb;
    private final String path;

    MdMember(Rdev rdev, Superblock1 sb, String path) {
        this.rdev = rdev;
        this.sb = sb;
        this.path = path;
    }

    public Rdev rdev() {
        return rdev;
    }

    /** The member's superblock as last written (or read). Not to be changed outside the array's update. */
    public Superblock1 sb() {
        return sb;
    }

    public String path() {
        return path;
    }

    /** desc_nr: the member's index into dev_roles. */
    public int devNumber() {
        return sb.devNumber();
    }

    /** The sysfs name of the member's directory: "dev-" and the device name ("dev-loop0"; here the path's file name). */
    public String sysfsName() {
        int slash = path.lastIndexOf('/');
        return "dev-" + (slash >= 0 ? path.substring(slash + 1) : path);
    }
}
