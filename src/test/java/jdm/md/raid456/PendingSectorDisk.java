package jdm.md.raid456;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;

/**
 * A disk with unreadable sectors that a write repairs, as a real disk remaps a pending sector: reads touching a
 * bad sector fail with MEDIUM, a write covering it makes it good again.
 */
final class PendingSectorDisk implements BlockDevice {
    private final BlockDevice inner;
    private final Set<Long> bad = ConcurrentHashMap.newKeySet();

    PendingSectorDisk(BlockDevice inner) {
        this.inner = inner;
    }

    void markBad(long sector, int sectors) {
        for (long s = sector; s < sector + sectors; s++) {
            bad.add(s);
        }
    }

    boolean isBad(long sector) {
        return bad.contains(sector);
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public long sizeSectors() {
        return inner.sizeSectors();
    }

    @Override
    public void submitBio(Bio bio) {
        if (bio.op() == Op.READ) {
            for (long s = bio.sector(); s < bio.endSector(); s++) {
                if (bad.contains(s)) {
                    bio.endio(BlkStatus.MEDIUM);
                    return;
                }
            }
        } else if (bio.op() == Op.WRITE) {
            for (long s = bio.sector(); s < bio.endSector(); s++) {
                bad.remove(s);
            }
        }
        bio.remap(inner, bio.sector());
        bio.submit();
    }
}
