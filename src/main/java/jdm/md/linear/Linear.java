package jdm.md.linear;

import java.util.concurrent.atomic.AtomicBoolean;
import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.md.MdException;
import jdm.md.Mddev;
import jdm.md.Personality;
import jdm.md.PersonalityType;
import jdm.md.Rdev;
import jdm.md.ArrayGeometry;

/**
 * linear (drivers/md/md-linear.c): the members' data areas one after the other, in role order. With a chunk size
 * ("rounding") each member's size is first rounded down to a whole number of chunks, as linear_conf does to
 * rdev->sectors. A bio is split where it crosses from one member into the next (linear_make_request); a member's
 * I/O error just fails the I/O: there is nothing to fail over to.
 */
public final class Linear implements Personality {
    public static final PersonalityType TYPE = new PersonalityType("linear", ArrayGeometry.LINEAR, Linear::run);

    private final Mddev mddev;
    private final Rdev[] members;
    /** Array sector where each member's part ends (dev_info.end_sector). */
    private final long[] endSector;
    private final AtomicBoolean broken = new AtomicBoolean();

    private Linear(Mddev mddev, Rdev[] members, long[] endSector) {
        this.mddev = mddev;
        this.members = members;
        this.endSector = endSector;
    }

    /** linear_conf: every role filled once, sizes rounded to the chunk, end sectors summed up. */
    private static Personality run(Mddev mddev) throws MdException {
        var g = mddev.geometry();
        Rdev[] members = new Rdev[g.raidDisks()];
        int count = 0;
        for (Rdev r : mddev.rdevs()) {
            if (r.faulty() || r.role() < 0) {
                continue;
            }
            if (r.role() >= members.length || members[r.role()] != null) {
                throw MdException.invalid("md/linear:" + mddev.name() + ": disk numbering problem. Aborting!");
            }
            members[r.role()] = r;
            count++;
        }
        if (count != members.length) {
            throw MdException.invalid("md/linear:" + mddev.name() + ": not enough drives present. Aborting!");
        }
        long[] end = new long[members.length];
        long sum = 0;
        for (int i = 0; i < members.length; i++) {
            Rdev r = members[i];
            if (g.chunkSectors() > 0) {
                r.setSectors(r.sectors() / g.chunkSectors() * g.chunkSectors());
            }
            sum += r.sectors();
            end[i] = sum;
        }
        return new Linear(mddev, members, end);
    }

    @Override
    public long arraySectors() {
        return endSector[endSector.length - 1];
    }

    @Override
    public void makeRequest(Bio bio) {
        long sector = bio.sector();
        int done = 0;
        while (done < bio.sectors()) {
            int i = whichDev(sector + done);
            Rdev r = members[i];
            long start = endSector[i] - r.sectors();
            int n = (int) Math.min(bio.sectors() - done, endSector[i] - (sector + done));
            bio.chain();
            Bio piece = bio.clone(done, n, b -> bio.endio(b.status()));
            r.remap(piece, sector + done - start);
            piece.submit();
            done += n;
        }
        bio.endio(BlkStatus.OK);
    }

    /** which_dev: the first member whose end is past the sector (binary search). */
    private int whichDev(long sector) {
        int lo = 0;
        int hi = endSector.length - 1;
        while (hi > lo) {
            int mid = (lo + hi) >>> 1;
            if (sector < endSector[mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** linear_error: the array is broken (said once); the member is not failed. */
    @Override
    public boolean error(Rdev rdev) {
        if (broken.compareAndSet(false, true)) {
            // the kernel's message lacks the colon after "linear"
            mddev.log("md/linear" + mddev.name() + ": Disk failure on " + rdev.name() + " detected, failing array.");
        }
        return false;
    }

    @Override
    public int degraded() {
        return 0;
    }

    /** linear_status: the rounding in KiB. */
    @Override
    public String status() {
        return mddev.geometry().chunkSectors() / 2 + "k rounding";
    }
}
