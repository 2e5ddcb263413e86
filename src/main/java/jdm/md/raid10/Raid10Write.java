package jdm.md.raid10;

import java.util.concurrent.atomic.AtomicInteger;
import jdm.block.BioEndIo;
import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.block.Op;
import jdm.md.Rdev;
import jdm.md.layout.MemberSector;

/**
 * One WRITE, DISCARD or WRITE_ZEROES piece (raid10_write_request): a clone to every copy whose member is not faulty
 * (a member being recovered and a replacement included), flags kept; the piece ends when all copies have, OK when
 * one copy took it. A copy that fails a write fails its member (md_error); a failed discard is ignored, and a
 * WRITE_ZEROES a member does not support is reported as such, failing no one.
 */
final class Raid10Write implements BioEndIo {
    private final Raid10 conf;
    private final Bio piece;
    private final AtomicInteger remaining = new AtomicInteger(1);
    private volatile boolean uptodate;
    private volatile BlkStatus error = BlkStatus.IOERR;

    private Raid10Write(Raid10 conf, Bio piece) {
        this.conf = conf;
        this.piece = piece;
    }

    static void start(Raid10 conf, Bio piece, MemberSector[] copies) {
        Raid10Write w = new Raid10Write(conf, piece);
        for (MemberSector c : copies) {
            w.submit(conf.mddev.rdev(c.member()), c.sector());
            w.submit(conf.mddev.replacement(c.member()), c.sector());
        }
        w.done();
    }

    private void submit(Rdev r, long sector) {
        if (r == null) {
            return;
        }
        remaining.incrementAndGet();
        Bio clone = piece.clone(0, piece.sectors(), this);
        clone.setTargetData(r);
        r.remap(clone, sector);
        clone.submit();
    }

    @Override
    public void bioEndIo(Bio clone) {
        BlkStatus s = clone.status();
        if (s == BlkStatus.OK || piece.op() == Op.DISCARD) {
            uptodate = true;
        } else if (s == BlkStatus.NOTSUPP && piece.op() == Op.WRITE_ZEROES) {
            error = s;
        } else {
            Rdev r = clone.targetData(Rdev.class);
            r.set(Rdev.Flag.WRITE_ERROR_SEEN);
            conf.mddev.error(r);
        }
        done();
    }

    private void done() {
        if (remaining.decrementAndGet() == 0) {
            conf.endRequest(piece, uptodate && error != BlkStatus.NOTSUPP ? BlkStatus.OK : error);
        }
    }
}
