package jdm.md.raid10;

import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.block.Op;
import jdm.md.Rdev;
import jdm.md.layout.MemberSector;

/**
 * One read piece (raid10_read_request with its r10bio): a clone goes to the copy read_balance picks. When it fails,
 * the piece goes to raid10d ({@link #handleReadError}), which freezes the range, reads the other copies until one
 * succeeds, rewrites the good data over each copy that failed (fix_read_error, counted as corrected) and ends the
 * piece with the good data.
 */
final class Raid10Read {
    private final Raid10 conf;
    private final Bio piece;
    private final MemberSector[] copies;
    /** Slots whose read failed. */
    private long failedSlots;

    Raid10Read(Raid10 conf, Bio piece, MemberSector[] copies) {
        this.conf = conf;
        this.piece = piece;
        this.copies = copies;
    }

    void start() {
        int slot = conf.readBalance(copies, piece.sectors(), 0);
        Rdev r = slot < 0 ? null : conf.mddev.rdev(copies[slot].member());
        if (r == null) {
            conf.endRequest(piece, BlkStatus.IOERR);
            return;
        }
        Bio clone = piece.clone(0, piece.sectors(), c -> {
            if (c.status() == BlkStatus.OK) {
                conf.endRequest(piece, BlkStatus.OK);
            } else {
                failedSlots |= 1L << slot;
                conf.barrier.exit(piece.sector(), piece.sectors());
                conf.toRaid10d(this::handleReadError, piece);
            }
        });
        r.remap(clone, copies[slot].sector());
        clone.submit();
    }

    /** handle_read_error on raid10d: may block; ends the piece. */
    private void handleReadError() {
        try {
            conf.barrier.raise(piece.sector(), piece.sectors());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            piece.endio(BlkStatus.IOERR);
            return;
        }
        BlkStatus status;
        try {
            status = readAnotherCopy();
        } finally {
            conf.barrier.lower(piece.sector(), piece.sectors());
        }
        piece.endio(status);
    }

    private BlkStatus readAnotherCopy() {
        int sectors = piece.sectors();
        int good = -1;
        while (good < 0) {
            int slot = conf.readBalance(copies, sectors, failedSlots);
            if (slot < 0) {
                break;
            }
            Rdev r = conf.mddev.rdev(copies[slot].member());
            if (r != null && r.bio(Op.READ, 0, copies[slot].sector(), sectors, piece.data().duplicate(), null)
                    .submitAndWait() == BlkStatus.OK) {
                good = slot;
            } else {
                failedSlots |= 1L << slot;
            }
        }
        if (good < 0) {
            Rdev first = conf.mddev.rdev(copies[Long.numberOfTrailingZeros(failedSlots)].member());
            conf.mddev.log(conf.prefix() + (first == null ? "" : first.name() + ": ")
                    + "unrecoverable I/O read error for block " + piece.sector());
            return BlkStatus.IOERR;
        }
        fixReadError(sectors);
        return BlkStatus.OK;
    }

    /** fix_read_error: the good data (in the piece's buffer) over each copy whose read failed. */
    private void fixReadError(int sectors) {
        for (int slot = 0; slot < copies.length; slot++) {
            if ((failedSlots & (1L << slot)) == 0) {
                continue;
            }
            Rdev r = conf.mddev.rdev(copies[slot].member());
            if (r == null) {
                continue;
            }
            long at = copies[slot].sector();
            if (r.bio(Op.WRITE, 0, at, sectors, piece.data().duplicate(), null).submitAndWait() != BlkStatus.OK) {
                conf.mddev.error(r);
                continue;
            }
            r.addCorrectedErrors(sectors);
            conf.mddev.log(conf.prefix() + "read error corrected (" + sectors + " sectors at "
                    + (at + r.dataOffset()) + " on " + r.name() + ")");
        }
    }
}
