package jdm.testing;

import java.nio.ByteBuffer;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.block.QueueLimits;
import jdm.block.dev.MemoryDevice;

/**
 * A memory device for tests: {@link MemoryDevice}'s storage with direct byte access for setting up and asserting
 * contents without going through the I/O path, and chosen queue limits and read-only flag.
 */
public final class MemoryDisk implements BlockDevice {
    private final MemoryDevice storage;
    private final QueueLimits limits;
    private final boolean readOnly;

    public MemoryDisk(String name, long sizeSectors, QueueLimits limits, boolean readOnly) {
        this.storage = new MemoryDevice(name, sizeSectors);
        this.limits = limits;
        this.readOnly = readOnly;
    }

    public MemoryDisk(String name, long sizeSectors) {
        this(name, sizeSectors, QueueLimits.DEFAULT, false);
    }

    @Override
    public String name() {
        return storage.name();
    }

    @Override
    public long sizeSectors() {
        return storage.sizeSectors();
    }

    public long sizeBytes() {
        return storage.sizeSectors() << Bio.SECTOR_SHIFT;
    }

    @Override
    public QueueLimits limits() {
        return limits;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    /** How many 64 KiB pages hold data (discard frees them). */
    public int allocatedPages() {
        return storage.allocatedPages();
    }

    @Override
    public void submitBio(Bio bio) {
        storage.submitBio(bio);
    }

    /** The stored bytes of sectors from sector, read directly (no bio reaches a wrapper). */
    public byte[] bytes(long sector, int sectors) {
        byte[] out = new byte[sectors << Bio.SECTOR_SHIFT];
        direct(Op.READ, sector, out);
        return out;
    }

    /** All stored bytes (keep such disks small). */
    public byte[] bytes() {
        return bytes(0, Math.toIntExact(sizeSectors()));
    }

    /** Stores data (a whole number of sectors) at sector directly, as setup for a test. */
    public void put(long sector, byte[] data) {
        direct(Op.WRITE, sector, data);
    }

    /** Stores sectors copies of one byte value from sector. */
    public void fill(long sector, int sectors, byte value) {
        byte[] data = new byte[sectors << Bio.SECTOR_SHIFT];
        java.util.Arrays.fill(data, value);
        put(sector, data);
    }

    private void direct(Op op, long sector, byte[] buf) {
        // MemoryDevice does its work and ends the bio inside submitBio, so this is synchronous.
        Bio b = new Bio(op, 0, storage, sector, buf.length >> Bio.SECTOR_SHIFT, ByteBuffer.wrap(buf), null);
        if (b.endSector() > sizeSectors()) {
            throw new IllegalArgumentException(op + " " + sector + "+" + b.sectors() + " beyond " + sizeSectors());
        }
        storage.submitBio(b);
        if (b.status() != BlkStatus.OK) {
            throw new AssertionError(op + " of memory failed: " + b.status());
        }
    }
}
