package jdm.md.raid1;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import jdm.block.BioEndIo;
import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.block.Op;
import jdm.md.Rdev;

/**
 * One array WRITE, DISCARD or WRITE_ZEROES (raid1_write_request with its r1bio): a clone to every write target,
 * flags (FUA) kept; the bio ends when every copy has, OK when at least one copy succeeded (raid1_end_write_request
 * sets R1BIO_Uptodate on any success). A copy that fails a write fails its member (md_error); a failed discard is
 * ignored as the kernel does, and a WRITE_ZEROES a member does not support is reported as such, failing no one.
 */
final class Raid1Write implements BioEndIo {
    private final Raid1 conf;
    private final Bio bio;
    private final AtomicInteger remaining;
    private volatile boolean uptodate;
    private volatile BlkStatus error = BlkStatus.IOERR;

    private Raid1Write(Raid1 conf, Bio bio, int copies) {
        this.conf = conf;
        this.bio = bio;
        this.remaining = new AtomicInteger(copies);
    }

    static void start(Raid1 conf, Bio bio) {
        List<Rdev> targets = conf.writeTargets();
        if (targets.isEmpty()) {
            conf.endRequest(bio, BlkStatus.IOERR);
            return;
        }
        Raid1Write w = new Raid1Write(conf, bio, targets.size());
        for (Rdev r : targets) {
            Bio clone = bio.clone(0, bio.sectors(), w);
            clone.setTargetData(r);
            r.remap(clone, bio.sector());
            clone.submit();
        }
    }

    @Override
    public void bioEndIo(Bio clone) {
        BlkStatus s = clone.status();
        if (s == BlkStatus.OK || bio.op() == Op.DISCARD) {
            uptodate = true;
        } else if (s == BlkStatus.NOTSUPP && bio.op() == Op.WRITE_ZEROES) {
            error = s;
        } else {
            Rdev r = clone.targetData(Rdev.class);
            r.set(Rdev.Flag.WRITE_ERROR_SEEN);
            conf.mddev.error(r);
        }
        if (remaining.decrementAndGet() == 0) {
            boolean notSupported = error == BlkStatus.NOTSUPP;
            conf.endRequest(bio, uptodate && !notSupported ? BlkStatus.OK : error);
        }
    }
}
