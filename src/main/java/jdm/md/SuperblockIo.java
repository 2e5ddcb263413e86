package jdm.md;

import java.nio.ByteBuffer;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.md.sb.Superblock1;
import jdm.md.sb.SuperblockException;

/** Reading and writing v1.2 superblocks on member devices (md.c's read_disk_sb and md_super_write). */
final class SuperblockIo {
    private SuperblockIo() {
    }

    /**
     * The superblock at 4 KiB from the device's start, decoded and checked as super_1_load does; throws with the
     * reason when there is none or it is not loadable.
     */
    static Superblock1 read(BlockDevice device, String name) throws SuperblockException {
        long at = Superblock1.SUPER_OFFSET_V12;
        int sectors = Superblock1.MAX_SB_BYTES / Bio.SECTOR_SIZE;
        if (device.sizeSectors() < at + sectors) {
            throw new SuperblockException("md: " + name + " is too small to hold a superblock");
        }
        ByteBuffer buf = ByteBuffer.allocate(Superblock1.MAX_SB_BYTES);
        BlkStatus st = new Bio(Op.READ, 0, device, at, sectors, buf, null).submitAndWait();
        if (st != BlkStatus.OK) {
            throw new SuperblockException("md: cannot read the superblock of " + name + ": " + st);
        }
        buf.clear();
        Superblock1 sb = Superblock1.decode(buf, name);
        sb.checkLoadable(at, name);
        return sb;
    }

    /** Writes sb at its super_offset with FUA (md_super_write: REQ_SYNC | REQ_PREFLUSH | REQ_FUA). */
    static BlkStatus write(Rdev rdev, Superblock1 sb) {
        ByteBuffer b = sb.encode();
        b.clear();
        Bio flush = rdev.metadataBio(Op.FLUSH, 0, 0, 0, null, null);
        BlkStatus st = flush.submitAndWait();
        if (st != BlkStatus.OK) {
            return st;
        }
        return rdev.metadataBio(Op.WRITE, Bio.FUA, sb.superOffset(), b.remaining() / Bio.SECTOR_SIZE, b, null)
                .submitAndWait();
    }

    /** Writes an encoded superblock to a device that is not (yet) a member: create's first write. */
    static BlkStatus write(BlockDevice device, Superblock1 sb) {
        ByteBuffer b = sb.encode();
        b.clear();
        return new Bio(Op.WRITE, Bio.FUA, device, sb.superOffset(), b.remaining() / Bio.SECTOR_SIZE, b, null)
                .submitAndWait();
    }
}
