package jdm.testing;

import java.nio.ByteBuffer;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;

/** Synchronous sector I/O for tests: one bio, submitted and waited for. Not for use inside a submission. */
public final class SyncIo {
    private SyncIo() {
    }

    /** Writes data (a whole number of sectors) at sector; returns the bio's status. */
    public static BlkStatus write(BlockDevice dev, long sector, byte[] data) {
        return new Bio(Op.WRITE, 0, dev, sector, data.length / Bio.SECTOR_SIZE, ByteBuffer.wrap(data), null)
                .submitAndWait();
    }

    /** Reads sectors from sector; a failed read fails the test. */
    public static byte[] read(BlockDevice dev, long sector, int sectors) {
        byte[] out = new byte[sectors * Bio.SECTOR_SIZE];
        BlkStatus s = readInto(dev, sector, out);
        if (s != BlkStatus.OK) {
            throw new AssertionError("read " + sector + "+" + sectors + " of " + dev.name() + " failed: " + s);
        }
        return out;
    }

    /** Reads into out (a whole number of sectors); returns the bio's status. */
    public static BlkStatus readInto(BlockDevice dev, long sector, byte[] out) {
        return new Bio(Op.READ, 0, dev, sector, out.length / Bio.SECTOR_SIZE, ByteBuffer.wrap(out), null)
                .submitAndWait();
    }

    /** A data-less operation (FLUSH, DISCARD, WRITE_ZEROES) on sectors from sector; returns the bio's status. */
    public static BlkStatus op(BlockDevice dev, Op op, long sector, int sectors) {
        return op(dev, op, 0, sector, sectors);
    }

    /** A data-less operation with flags. */
    public static BlkStatus op(BlockDevice dev, Op op, int flags, long sector, int sectors) {
        return new Bio(op, flags, dev, sector, sectors, null, null).submitAndWait();
    }
}
