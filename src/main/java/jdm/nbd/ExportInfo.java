package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;

import jdm.block.Bio;
import jdm.block.QueueLimits;

/**
 * What the client is told about an opened export and what requests must obey (proto.md "Size constraints" and
 * "Transmission flags"): size, transmission flags, and the block sizes of NBD_INFO_BLOCK_SIZE. The minimum block is
 * the device's logical block (at least 512, since bios are in sectors); requests not aligned to it are refused.
 */
record ExportInfo(long sizeBytes, int transmissionFlags, int minBlock, int preferredBlock, int maxPayload) {
    static ExportInfo of(Export export) {
        QueueLimits limits = export.device().limits();
        int min = Math.max(Bio.SECTOR_SIZE, limits.logicalBlockBytes());
        int preferred = Math.max(4096, Math.max(min, limits.physicalBlockBytes()));
        // Flush goes to the one shared device, so its effect is visible on every connection: multi-conn is safe.
        int flags = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_CAN_MULTI_CONN;
        flags |= export.readOnly() ? FLAG_READ_ONLY : FLAG_SEND_FUA | FLAG_SEND_TRIM | FLAG_SEND_WRITE_ZEROES;
        long size = export.device().sizeSectors() << Bio.SECTOR_SHIFT;
        return new ExportInfo(size - size % min, flags, min, preferred, MAX_PAYLOAD);
    }

    boolean readOnly() {
        return (transmissionFlags & FLAG_READ_ONLY) != 0;
    }
}
