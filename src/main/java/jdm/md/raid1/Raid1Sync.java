package jdm.md.raid1;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.block.Op;
import jdm.md.Rdev;
import jdm.md.SyncAction;

/**
 * raid1_sync_request and sync_request_write for one window of at most 64 KiB (RESYNC_BLOCK_SIZE) at a time, with
 * the barrier raised over it so normal I/O there waits: RESYNC reads one in-sync mirror and writes it to the others;
 * RECOVER reads one and writes it to the members being rebuilt from below this sector, moving their recovery offset;
 * CHECK reads every in-sync mirror and counts the window's sectors once per mirror that differs from the first
 * (process_checks); REPAIR does the same and rewrites the differing ones from the first. A mirror whose read fails
 * gets the good data written back (corrected); a member whose write fails is failed.
 */
final class Raid1Sync {
    /** RESYNC_SECTORS: the window one call covers. */
    static final int WINDOW = 128;

    private final Raid1 conf;

    Raid1Sync(Raid1 conf) {
        this.conf = conf;
    }

    long request(long sector, long maxSectors, SyncAction action, AtomicLong mismatches) throws InterruptedException {
        if (sector >= conf.devSectors) {
            return Math.max(1, maxSectors);
        }
        int n = (int) Math.min(Math.min(maxSectors, WINDOW), conf.devSectors - sector);
        if (n <= 0) {
            return 1;
        }
        conf.barrier.raise(sector, n);
        try {
            switch (action) {
                case RECOVER -> recover(sector, n);
                case RESYNC -> resync(sector, n);
                case CHECK, REPAIR -> check(sector, n, action == SyncAction.REPAIR, mismatches);
                default -> throw new UnsupportedOperationException("raid1 cannot " + action.sysfsName());
            }
        } finally {
            conf.barrier.lower(sector, n);
        }
        return n;
    }

    private void recover(long sector, int n) {
        List<Rdev> targets = new ArrayList<>();
        for (Rdev r : conf.writeTargets()) {
            if (!r.inSync() && r.recoveryOffset() <= sector) {
                targets.add(r);
            }
        }
        if (targets.isEmpty()) {
            return;
        }
        byte[] data = readSource(sector, n, targets);
        if (data == null) {
            for (Rdev t : targets) {
                conf.mddev.error(t); // nothing to rebuild it from
            }
            return;
        }
        for (Rdev t : targets) {
            if (write(t, sector, data)) {
                t.setRecoveryOffset(sector + n);
            }
        }
    }

    private void resync(long sector, int n) {
        List<Rdev> sources = new ArrayList<>();
        byte[] data = readSource(sector, n, sources);
        if (data == null) {
            return;
        }
        for (Rdev r : conf.writeTargets()) {
            if (!sources.contains(r)) {
                write(r, sector, data);
            }
        }
    }

    private void check(long sector, int n, boolean repair, AtomicLong mismatches) {
        byte[] reference = null;
        List<Rdev> differing = new ArrayList<>();
        List<Rdev> unreadable = new ArrayList<>();
        for (int role = 0; role < conf.disks; role++) {
            Rdev r = conf.mddev.rdev(role);
            if (r == null || !r.inSync()) {
                continue;
            }
            byte[] copy = new byte[n << Bio.SECTOR_SHIFT];
            if (io(r, Op.READ, sector, copy) != BlkStatus.OK) {
                unreadable.add(r);
            } else if (reference == null) {
                reference = copy;
            } else if (!Arrays.equals(reference, copy)) {
                mismatches.addAndGet(n);
                differing.add(r);
            }
        }
        if (reference == null) {
            return;
        }
        fixUnreadable(unreadable, sector, reference);
        if (repair) {
            for (Rdev r : differing) {
                write(r, sector, reference);
            }
        }
    }

    /**
     * Reads the window from the first in-sync mirror that can (skipping {@code skip}); mirrors whose read failed on
     * the way are rewritten with the good data. Adds the mirror read to {@code skip}; null when none could be read.
     */
    private byte[] readSource(long sector, int n, List<Rdev> skip) {
        byte[] data = new byte[n << Bio.SECTOR_SHIFT];
        List<Rdev> unreadable = new ArrayList<>();
        for (int role = 0; role < conf.disks; role++) {
            Rdev r = conf.mddev.rdev(role);
            if (r == null || !r.inSync() || skip.contains(r)) {
                continue;
            }
            if (io(r, Op.READ, sector, data) == BlkStatus.OK) {
                fixUnreadable(unreadable, sector, data);
                skip.add(r);
                skip.addAll(unreadable);
                return data;
            }
            unreadable.add(r);
        }
        conf.mddev.log(conf.prefix() + "unrecoverable I/O read error for block " + sector);
        return null;
    }

    /** fix_sync_read_error: the good data over each mirror that could not read it. */
    private void fixUnreadable(List<Rdev> unreadable, long sector, byte[] good) {
        for (Rdev r : unreadable) {
            if (write(r, sector, good)) {
                r.addCorrectedErrors(good.length >> Bio.SECTOR_SHIFT);
                conf.mddev.log(conf.prefix() + "read error corrected (" + (good.length >> Bio.SECTOR_SHIFT)
                        + " sectors at " + (sector + r.dataOffset()) + " on " + r.name() + ")");
            }
        }
    }

    private boolean write(Rdev r, long sector, byte[] data) {
        if (io(r, Op.WRITE, sector, data) == BlkStatus.OK) {
            return true;
        }
        r.set(Rdev.Flag.WRITE_ERROR_SEEN);
        conf.mddev.error(r);
        return false;
    }

    private static BlkStatus io(Rdev r, Op op, long sector, byte[] buf) {
        return r.bio(op, 0, sector, buf.length >> Bio.SECTOR_SHIFT, ByteBuffer.wrap(buf), null).submitAndWait();
    }
}
