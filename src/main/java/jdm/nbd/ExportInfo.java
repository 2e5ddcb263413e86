package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;

import jdm.block.Bio;
import jdm.block.QueueLimits;

/**
 * What the client is told about an opened export and what requests must obey (proto.md "Size constraints" and
 * "Transmission flags"): size, transmission flags, and the block sizes of NBD_INFO_BLOCK_SIZE. The minimum block is
 * the device's logical block (at least 512, since bios are in sectors); requests not aligned to it are refused. The
 * sizes come from the device's stacked queue limits, so a striped device prefers whole chunks.
 */
record ExportInfo(long sizeBytes, int transmissionFlags, int minBlock, int preferredBlock, int maxPayload) {
    /** As told to a client without structured replies. */
    static ExportInfo of(Export export) {
        return of(export, false);
    }

    /**
     * Cache is advisory, so always offered; fast zero with write zeroes (devices that cannot zero fast say
     * ENOTSUP, as the spec allows); DF only with structured replies, as the spec demands.
     */
    static ExportInfo of(Export export, boolean structuredReplies) {
        QueueLimits limits = export.device().limits();
        int min = Math.max(Bio.SECTOR_SIZE, limits.logicalBlockBytes());
        int preferred = preferredBlock(limits, min);
        // Flush goes to the one shared device, so its effect is visible on every connection: multi-conn is safe.
        int flags = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_CAN_MULTI_CONN | FLAG_SEND_CACHE;
        flags |= export.readOnly() ? FLAG_READ_ONLY
                : FLAG_SEND_FUA | FLAG_SEND_TRIM | FLAG_SEND_WRITE_ZEROES | FLAG_SEND_FAST_ZERO;
        if (structuredReplies) {
            flags |= FLAG_SEND_DF;
        }
        long size = export.device().sizeSectors() << Bio.SECTOR_SHIFT;
        return new ExportInfo(size - size % min, flags, min, preferred, MAX_PAYLOAD);
    }

    /**
     * The preferred block: the device's physical block or io_min (a stripe chunk), at least 4 KiB (what nbdkit and
     * qemu-nbd advertise for files). The protocol wants a power of two, so a size that is not one counts by its
     * largest power-of-two factor (a 12 KiB chunk prefers 4 KiB requests, which never straddle it); at most the
     * maximum payload. The maximum stays MAX_PAYLOAD: the server splits requests at the device's max_sectors itself.
     */
    static int preferredBlock(QueueLimits limits, int min) {
        int p = Math.max(4096, min);
        p = Math.max(p, Integer.lowestOneBit(limits.physicalBlockBytes()));
        p = Math.max(p, Integer.lowestOneBit(limits.ioMinBytes()));
        return Math.min(p, MAX_PAYLOAD);
    }

    boolean readOnly() {
        return (transmissionFlags & FLAG_READ_ONLY) != 0;
    }
}
