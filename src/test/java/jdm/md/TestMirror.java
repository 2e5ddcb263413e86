package jdm.md;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.HeldDevice;
import jdm.block.Op;
import jdm.testing.MemoryDisk;

/**
 * A minimal raid1-like personality for the sync thread and bitmap tests: writes go to every working member, reads
 * to the first; syncRequest copies (RESYNC/REPAIR: member 0 over the others where they differ; RECOVER: onto
 * members not in sync) or compares (CHECK), and records every call.
 */
final class TestMirror implements Personality {
    static final long DATA_OFFSET = 2048;

    /** One syncRequest call. */
    record Call(long sector, long maxSectors, SyncAction action) {
    }

    private final Mddev mddev;
    final List<Call> calls = new CopyOnWriteArrayList<>();
    /** Extra time each syncRequest takes, to make a pass slow enough to interrupt. */
    volatile long delayMillis;

    private TestMirror(Mddev mddev) {
        this.mddev = mddev;
    }

    static PersonalityRegistry registry() {
        PersonalityRegistry r = new PersonalityRegistry();
        r.register(new PersonalityType("testmirror", 1, TestMirror::new));
        return r;
    }

    /** An array over the disks, every member in sync, data areas of memberSectors from {@link #DATA_OFFSET}. */
    static Mddev array(MemoryDisk[] disks, long memberSectors) throws MdException {
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < disks.length; i++) {
            Rdev r = new Rdev(HeldDevice.of(disks[i], 7, i, () -> { }), disks[i].name(), DATA_OFFSET, memberSectors,
                    i);
            r.set(Rdev.Flag.IN_SYNC);
            r.setRecoveryOffset(Rdev.MAX_SECTOR);
            rdevs.add(r);
        }
        return Mddev.run("md0", 0, new ArrayGeometry(1, 0, 0, disks.length, memberSectors), rdevs, registry(),
                line -> { });
    }

    static TestMirror of(Mddev md) {
        return (TestMirror) md.personality();
    }

    @Override
    public long arraySectors() {
        return mddev.geometry().devSectors();
    }

    @Override
    public void makeRequest(Bio bio) {
        if (bio.op() == Op.READ) {
            Rdev r = firstInSync();
            Bio piece = bio.clone(0, bio.sectors(), b -> bio.endio(b.status()));
            r.remap(piece, bio.sector());
            piece.submit();
            return;
        }
        for (int role = 0; role < mddev.geometry().raidDisks(); role++) {
            Rdev r = mddev.rdev(role);
            if (r == null) {
                continue;
            }
            bio.chain();
            Bio piece = bio.clone(0, bio.sectors(), b -> {
                if (b.status() != BlkStatus.OK) {
                    mddev.error(r);
                }
                bio.endio(b.status());
            });
            r.remap(piece, bio.sector());
            piece.submit();
        }
        bio.endio(BlkStatus.OK);
    }

    private Rdev firstInSync() {
        for (int role = 0; role < mddev.geometry().raidDisks(); role++) {
            Rdev r = mddev.rdev(role);
            if (r != null && r.inSync()) {
                return r;
            }
        }
        throw new IllegalStateException("no member in sync");
    }

    @Override
    public boolean error(Rdev rdev) {
        rdev.set(Rdev.Flag.FAULTY);
        rdev.clear(Rdev.Flag.IN_SYNC);
        return true;
    }

    @Override
    public int degraded() {
        int d = 0;
        for (int role = 0; role < mddev.geometry().raidDisks(); role++) {
            Rdev r = mddev.rdev(role);
            if (r == null || !r.inSync()) {
                d++;
            }
        }
        return d;
    }

    @Override
    public String status() {
        return "[" + mddev.geometry().raidDisks() + "/" + (mddev.geometry().raidDisks() - degraded()) + "]";
    }

    @Override
    public long syncSectors(SyncAction action) {
        return mddev.geometry().devSectors();
    }

    @Override
    public long syncRequest(long sector, long maxSectors, SyncAction action, AtomicLong mismatches)
            throws InterruptedException {
        calls.add(new Call(sector, maxSectors, action));
        if (delayMillis > 0) {
            Thread.sleep(delayMillis);
        }
        int n = (int) maxSectors;
        Rdev source = firstInSync();
        byte[] want = read(source, sector, n);
        for (int role = 0; role < mddev.geometry().raidDisks(); role++) {
            Rdev r = mddev.rdev(role);
            if (r == null || r == source) {
                continue;
            }
            if (action == SyncAction.RECOVER) {
                if (!r.inSync()) {
                    write(r, sector, want);
                }
                continue;
            }
            byte[] got = read(r, sector, n);
            if (!Arrays.equals(got, want)) {
                mismatches.addAndGet(n);
                if (action != SyncAction.CHECK) {
                    write(r, sector, want);
                }
            }
        }
        return n;
    }

    @Override
    public int spareActive() {
        int n = 0;
        for (Rdev r : mddev.rdevs()) {
            if (r.role() >= 0 && !r.faulty() && !r.inSync()) {
                r.set(Rdev.Flag.IN_SYNC);
                r.setRecoveryOffset(Rdev.MAX_SECTOR);
                n++;
            }
        }
        return n;
    }

    private static byte[] read(Rdev r, long sector, int sectors) {
        byte[] buf = new byte[sectors << Bio.SECTOR_SHIFT];
        BlkStatus s = r.bio(Op.READ, 0, sector, sectors, ByteBuffer.wrap(buf), null).submitAndWait();
        if (s != BlkStatus.OK) {
            throw new IllegalStateException("read of " + r + " failed: " + s);
        }
        return buf;
    }

    private static void write(Rdev r, long sector, byte[] data) {
        BlkStatus s = r.bio(Op.WRITE, 0, sector, data.length >> Bio.SECTOR_SHIFT, ByteBuffer.wrap(data), null)
                .submitAndWait();
        if (s != BlkStatus.OK) {
            throw new IllegalStateException("write of " + r + " failed: " + s);
        }
    }
}
