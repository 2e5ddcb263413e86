package jdm.md.raid1;

import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.block.Op;
import jdm.md.Rdev;

/**
 * One array read (raid1_read_request with its r1bio): a clone of the bio goes to the mirror read_balance picks. When
 * that read fails, the request leaves the submission path for raid1d ({@link #handleReadError}), which freezes the
 * range, reads it from the other mirrors until one succeeds, rewrites the good data onto each mirror that failed
 * (fix_read_error: corrected, and counted in the member's errors) and ends the bio with the good data.
 */
final class Raid1Read {
    private final Raid1 conf;
    private final Bio bio;
    /** Roles whose read of this range failed. */
    private long failedRoles;

    Raid1Read(Raid1 conf, Bio bio) {
        this.conf = conf;
        this.bio = bio;
    }

    void start() {
        int role = conf.readBalance(bio.sector(), bio.sectors(), 0);
        Rdev r = role < 0 ? null : conf.mddev.rdev(role);
        if (r == null) {
            conf.endRequest(bio, BlkStatus.IOERR);
            return;
        }
        Bio clone = bio.clone(0, bio.sectors(), c -> {
            if (c.status() == BlkStatus.OK) {
                conf.endRequest(bio, BlkStatus.OK);
            } else {
                failedRoles |= 1L << role;
                // leave the barrier so that raid1d can raise it over this range, then retry there
                conf.barrier.exit(bio.sector(), bio.sectors());
                conf.toRaid1d(this::handleReadError, bio);
            }
        });
        r.remap(clone, bio.sector());
        clone.submit();
    }

    /** handle_read_error on raid1d: may block; ends the bio. */
    private void handleReadError() {
        long sector = bio.sector();
        int sectors = bio.sectors();
        try {
            conf.barrier.raise(sector, sectors);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            bio.endio(BlkStatus.IOERR);
            return;
        }
        BlkStatus status;
        try {
            status = readFromAnotherMirror();
        } finally {
            conf.barrier.lower(sector, sectors);
        }
        bio.endio(status);
    }

    private BlkStatus readFromAnotherMirror() {
        long sector = bio.sector();
        int sectors = bio.sectors();
        int good = -1;
        while (good < 0) {
            int role = conf.readBalance(sector, sectors, failedRoles);
            if (role < 0) {
                break;
            }
            Rdev r = conf.mddev.rdev(role);
            if (r != null && r.bio(Op.READ, 0, sector, sectors, bio.data().duplicate(), null).submitAndWait()
                    == BlkStatus.OK) {
                good = role;
            } else {
                failedRoles |= 1L << role;
            }
        }
        if (good < 0) {
            Rdev first = conf.mddev.rdev(Long.numberOfTrailingZeros(failedRoles));
            conf.mddev.log(conf.prefix() + (first == null ? "" : first.name() + ": ")
                    + "unrecoverable I/O read error for block " + sector);
            return BlkStatus.IOERR;
        }
        fixReadError(sector, sectors);
        return BlkStatus.OK;
    }

    /**
     * fix_read_error: writes the good data (now in the bio's buffer) over each mirror whose read failed; a mirror
     * that takes it has corrected the error, one that fails the write is failed (md_error).
     */
    private void fixReadError(long sector, int sectors) {
        for (int role = 0; role < conf.disks; role++) {
            if ((failedRoles & (1L << role)) == 0) {
                continue;
            }
            Rdev r = conf.mddev.rdev(role);
            if (r == null) {
                continue;
            }
            BlkStatus s = r.bio(Op.WRITE, 0, sector, sectors, bio.data().duplicate(), null).submitAndWait();
            if (s != BlkStatus.OK) {
                conf.mddev.error(r);
                continue;
            }
            r.addCorrectedErrors(sectors);
            conf.mddev.log(conf.prefix() + "read error corrected (" + sectors + " sectors at " + (sector + r.dataOffset()) + " on "
                    + r.name() + ")");
        }
    }
}
