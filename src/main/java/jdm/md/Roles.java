package jdm.md;

/**
 * The role bookkeeping the redundant personalities (raid1, raid10, raid456) share, as each of the kernel's does it
 * in the same words: {@code mddev->degraded} (roles without an in-sync member), the roster /proc/mdstat prints
 * ("[3/2] [UU_]"), a spare taking a role (the loop of raid1_add_disk / raid10_add_disk / raid5_add_disk) and
 * spare_active once a recovery pass has rebuilt members to the end.
 */
public final class Roles {
    private Roles() {
    }

    /** Roles 0..disks-1 without an in-sync, non-faulty member. */
    public static int degraded(Mddev mddev, int disks) {
        int n = 0;
        for (int role = 0; role < disks; role++) {
            Rdev r = mddev.rdev(role);
            if (r == null || !r.inSync()) {
                n++;
            }
        }
        return n;
    }

    /** "[disks/working] [U_U]": 'U' for a role with an in-sync member, '_' for one without. */
    public static String roster(Mddev mddev, int disks) {
        StringBuilder s = new StringBuilder();
        s.append('[').append(disks).append('/').append(disks - degraded(mddev, disks)).append("] [");
        for (int role = 0; role < disks; role++) {
            Rdev r = mddev.rdev(role);
            s.append(r != null && r.inSync() ? 'U' : '_');
        }
        return s.append(']').toString();
    }

    /**
     * A spare takes the first role in [first, last] that has no working member, out of sync and to be recovered
     * from sector 0; with none empty it becomes the replacement of a member there that wants one
     * (WANT_REPLACEMENT: --replace). Returns whether it took a role.
     */
    public static boolean take(Mddev mddev, Rdev spare, int first, int last) {
        for (int role = first; role <= last; role++) {
            if (mddev.rdev(role) == null) {
                spare.clear(Rdev.Flag.REPLACEMENT);
                assign(spare, role);
                return true;
            }
        }
        for (int role = first; role <= last; role++) {
            if (mddev.rdev(role).has(Rdev.Flag.WANT_REPLACEMENT) && mddev.replacement(role) == null) {
                spare.set(Rdev.Flag.REPLACEMENT);
                assign(spare, role);
                return true;
            }
        }
        return false;
    }

    private static void assign(Rdev spare, int role) {
        spare.clear(Rdev.Flag.IN_SYNC);
        spare.setRecoveryOffset(0);
        spare.setRole(role);
    }

    /**
     * spare_active: members recovered to devSectors become IN_SYNC (recoveryOffset MAX_SECTOR); a replacement
     * rebuilt to the end takes its role over and the member it replaced is failed, never to come back. Returns how
     * many roles became whole again.
     */
    public static int activate(Mddev mddev, int disks, long devSectors) {
        int count = 0;
        for (int role = 0; role < disks; role++) {
            Rdev repl = mddev.replacement(role);
            if (repl != null && repl.recoveryOffset() >= devSectors) {
                Rdev old = mddev.rdev(role);
                repl.setRecoveryOffset(Rdev.MAX_SECTOR);
                repl.set(Rdev.Flag.IN_SYNC);
                if (old == null || !old.clear(Rdev.Flag.IN_SYNC)) {
                    count++; // a role that was degraded is whole again
                }
                if (old != null) {
                    old.set(Rdev.Flag.FAULTY);
                }
                repl.clear(Rdev.Flag.REPLACEMENT);
            }
            Rdev r = mddev.rdev(role);
            if (r != null && !r.inSync() && r.recoveryOffset() >= devSectors) {
                r.setRecoveryOffset(Rdev.MAX_SECTOR);
                r.set(Rdev.Flag.IN_SYNC);
                count++;
            }
        }
        return count;
    }
}
