package jdm.md.raid10;

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
import jdm.md.layout.MemberSector;

/**
 * raid10_sync_request and its write side for one window (at most 64 KiB, never past a chunk end), with the barrier
 * raised over the window's array sectors. RESYNC, CHECK and REPAIR walk array (virtual) sectors: every copy of the
 * window is read; RESYNC writes the first good copy over the others, CHECK counts the window's sectors once per copy
 * that differs from the first, REPAIR also rewrites those. RECOVER walks member sectors: for each member being
 * rebuilt from below this sector, raid10_find_virt gives the array sector stored there, whose other copies supply
 * the data; the member's recovery offset moves on.
 */
final class Raid10Sync {
    /** RESYNC_PAGES of 4 KiB: the longest window. */
    private static final int WINDOW = 128;

    private final Raid10 conf;

    Raid10Sync(Raid10 conf) {
        this.conf = conf;
    }

    long request(long sector, long maxSectors, SyncAction action, AtomicLong mismatches) throws InterruptedException {
        long end = conf.syncSectors(action);
        if (sector >= end) {
            return Math.max(1, maxSectors);
        }
        int mask = conf.chunkSectors - 1;
        int n = (int) Math.min(Math.min(Math.min(maxSectors, WINDOW), conf.chunkSectors - (sector & mask)),
                end - sector);
        if (n <= 0) {
            return 1;
        }
        switch (action) {
            case RECOVER -> recover(sector, n);
            case RESYNC, CHECK, REPAIR -> {
                conf.barrier.raise(sector, n);
                try {
                    resync(sector, n, action, mismatches);
                } finally {
                    conf.barrier.lower(sector, n);
                }
            }
            default -> throw new UnsupportedOperationException("raid10 cannot " + action.sysfsName());
        }
        return n;
    }

    /** raid10_find_virt: the array sector stored at {@code sector} of the member in {@code role}. */
    long findVirt(long sector, int role) {
        long inChunk = sector & (conf.chunkSectors - 1);
        int shift = Integer.numberOfTrailingZeros(conf.chunkSectors);
        long chunk;
        int dev = role;
        if (conf.offset) {
            chunk = sector >> shift;
            int fc = (int) (chunk % conf.far);
            chunk /= conf.far;
            dev -= fc * conf.near;
            if (dev < 0) {
                dev += conf.disks;
            }
        } else {
            while (sector >= conf.stride) {
                sector -= conf.stride;
                if (dev < conf.near) {
                    dev += conf.disks - conf.near;
                } else {
                    dev -= conf.near;
                }
            }
            chunk = sector >> shift;
        }
        long vchunk = (chunk * conf.disks + dev) / conf.near;
        return (vchunk << shift) + inChunk;
    }

    private void recover(long sector, int n) throws InterruptedException {
        List<Rdev> targets = new ArrayList<>();
        for (int role = 0; role < conf.disks; role++) {
            addTarget(targets, conf.mddev.rdev(role), sector);
            addTarget(targets, conf.mddev.replacement(role), sector);
        }
        for (Rdev t : targets) {
            long virt = findVirt(sector, t.role());
            if (virt >= conf.arraySectors()) {
                t.setRecoveryOffset(sector + n); // no array data lives here
                continue;
            }
            conf.barrier.raise(virt, n);
            try {
                MemberSector[] copies = conf.layout.copies(virt);
                int own = slotOf(copies, t.role(), sector);
                if (own < 0) {
                    throw new IllegalStateException("raid10_find_virt: " + t + " sector " + sector + " -> " + virt
                            + ", which is not stored there");
                }
                byte[] data = readCopy(copies, own, n);
                if (data == null) {
                    conf.mddev.log(conf.prefix() + "unrecoverable I/O read error for block " + virt);
                    conf.mddev.error(t);
                } else if (write(t, sector, data)) {
                    t.setRecoveryOffset(sector + n);
                }
            } finally {
                conf.barrier.lower(virt, n);
            }
        }
    }

    private static void addTarget(List<Rdev> targets, Rdev r, long sector) {
        if (r != null && !r.inSync() && r.recoveryOffset() <= sector) {
            targets.add(r);
        }
    }

    private static int slotOf(MemberSector[] copies, int role, long sector) {
        for (int slot = 0; slot < copies.length; slot++) {
            if (copies[slot].member() == role && copies[slot].sector() == sector) {
                return slot;
            }
        }
        return -1;
    }

    /** The window from the first in-sync copy other than {@code skip} that reads; failed copies are corrected. */
    private byte[] readCopy(MemberSector[] copies, int skip, int n) {
        byte[] data = new byte[n << Bio.SECTOR_SHIFT];
        List<MemberSector> unreadable = new ArrayList<>();
        for (int slot = 0; slot < copies.length; slot++) {
            Rdev r = conf.mddev.rdev(copies[slot].member());
            if (slot == skip || r == null || !r.inSync()) {
                continue;
            }
            if (io(r, Op.READ, copies[slot].sector(), data) == BlkStatus.OK) {
                fixUnreadable(unreadable, data);
                return data;
            }
            unreadable.add(copies[slot]);
        }
        return null;
    }

    private void resync(long sector, int n, SyncAction action, AtomicLong mismatches) {
        MemberSector[] copies = conf.layout.copies(sector);
        byte[] reference = null;
        List<MemberSector> unreadable = new ArrayList<>();
        List<MemberSector> rewrite = new ArrayList<>();
        for (MemberSector c : copies) {
            Rdev r = conf.mddev.rdev(c.member());
            if (r == null) {
                continue;
            }
            if (!r.inSync()) {
                rewrite.add(c); // a resync brings every copy in line
                continue;
            }
            if (reference != null && action == SyncAction.RESYNC) {
                rewrite.add(c);
                continue;
            }
            byte[] copy = new byte[n << Bio.SECTOR_SHIFT];
            if (io(r, Op.READ, c.sector(), copy) != BlkStatus.OK) {
                unreadable.add(c);
            } else if (reference == null) {
                reference = copy;
            } else if (!Arrays.equals(reference, copy)) {
                mismatches.addAndGet(n);
                rewrite.add(c);
            }
        }
        if (reference == null) {
            conf.mddev.log(conf.prefix() + "unrecoverable I/O read error for block " + sector);
            return;
        }
        fixUnreadable(unreadable, reference);
        if (action != SyncAction.CHECK) {
            for (MemberSector c : rewrite) {
                Rdev r = conf.mddev.rdev(c.member());
                if (r != null && (r.inSync() || action == SyncAction.RESYNC)) {
                    write(r, c.sector(), reference);
                }
            }
        }
    }

    /** fix_sync_read_error: the good data over each copy that could not be read. */
    private void fixUnreadable(List<MemberSector> unreadable, byte[] good) {
        int sectors = good.length >> Bio.SECTOR_SHIFT;
        for (MemberSector c : unreadable) {
            Rdev r = conf.mddev.rdev(c.member());
            if (r != null && write(r, c.sector(), good)) {
                r.addCorrectedErrors(sectors);
                conf.mddev.log(conf.prefix() + "read error corrected (" + sectors + " sectors at "
                        + (c.sector() + r.dataOffset()) + " on " + r.name() + ")");
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
