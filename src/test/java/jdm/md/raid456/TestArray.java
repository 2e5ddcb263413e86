package jdm.md.raid456;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import jdm.block.BlockDevice;
import jdm.block.HeldDevice;
import jdm.md.ArrayGeometry;
import jdm.md.MdException;
import jdm.md.Mddev;
import jdm.md.Rdev;
import jdm.md.personalities.BuiltinPersonalities;
import jdm.testing.FaultyDisk;
import jdm.testing.MemoryDisk;

/** A raid4/5/6 array over memory disks (each behind a FaultyDisk) for the tests, data areas from sector 2048. */
final class TestArray implements AutoCloseable {
    static final long DATA_OFFSET = 2048;

    final MemoryDisk[] disks;
    final FaultyDisk[] faulty;
    final Mddev md;
    final List<String> log;
    final long memberSectors;

    private TestArray(MemoryDisk[] disks, FaultyDisk[] faulty, Mddev md, long memberSectors, List<String> log) {
        this.disks = disks;
        this.faulty = faulty;
        this.md = md;
        this.memberSectors = memberSectors;
        this.log = log;
    }

    /** The roles in {@code missing} get no member (a degraded start). */
    static TestArray create(int level, int layout, int chunkSectors, int n, long memberSectors, int... missing)
            throws MdException {
        MemoryDisk[] disks = new MemoryDisk[n];
        FaultyDisk[] faulty = new FaultyDisk[n];
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            disks[i] = new MemoryDisk("m" + i, DATA_OFFSET + memberSectors);
            faulty[i] = new FaultyDisk(disks[i]);
            int role = i;
            if (java.util.Arrays.stream(missing).anyMatch(m -> m == role)) {
                continue;
            }
            Rdev r = new Rdev(HeldDevice.of(faulty[i], 7, i, () -> { }), "m" + i, DATA_OFFSET, memberSectors, i);
            r.set(Rdev.Flag.IN_SYNC);
            r.setRecoveryOffset(Rdev.MAX_SECTOR);
            rdevs.add(r);
        }
        List<String> log = new CopyOnWriteArrayList<>();
        Mddev md = Mddev.run("md0", 0, new ArrayGeometry(level, layout, chunkSectors, n, memberSectors), rdevs,
                BuiltinPersonalities.registry(), log::add);
        return new TestArray(disks, faulty, md, memberSectors, log);
    }

    /** A fresh spare member (role -1) over a new memory disk, added to the array but not yet to a role. */
    Rdev addSpare(String name) {
        MemoryDisk d = new MemoryDisk(name, DATA_OFFSET + memberSectors);
        Rdev r = new Rdev(HeldDevice.of(d, 7, 100, () -> { }), name, DATA_OFFSET, memberSectors, -1);
        md.addRdev(r);
        return r;
    }

    /** The member in role (its Rdev). */
    Rdev rdev(int role) {
        return md.rdev(role);
    }

    /** Member i's data area. */
    byte[] dataArea(int i) {
        return disks[i].bytes(DATA_OFFSET, (int) memberSectors);
    }

    static byte[] dataArea(BlockDevice d, long sectors) {
        return ((MemoryDisk) d).bytes(DATA_OFFSET, (int) sectors);
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        md.close();
    }
}
