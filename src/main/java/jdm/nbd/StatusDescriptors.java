package jdm.nbd;

import static jdm.nbd.NbdProtocol.STATE_HOLE;
import static jdm.nbd.NbdProtocol.STATE_ZERO;

import java.nio.ByteBuffer;
import java.util.Arrays;
import jdm.block.Bio;
import jdm.block.ExtentSink;

/**
 * Collects a device's extents as base:allocation block status descriptors (proto.md "NBD_REPLY_TYPE_BLOCK_STATUS"):
 * adjacent extents of one state merged (the spec asks for differing states between neighbours), at most a given
 * number of descriptors, then encoded as one chunk's payload: context id, then (length, state) pairs.
 */
final class StatusDescriptors implements ExtentSink {
    private final int max;
    private long[] sectors = new long[16];
    private int[] states = new int[16];
    private int count;

    StatusDescriptors(int max) {
        this.max = max;
    }

    @Override
    public boolean extent(long n, int flags) {
        int state = ((flags & HOLE) != 0 ? STATE_HOLE : 0) | ((flags & ZERO) != 0 ? STATE_ZERO : 0);
        if (count > 0 && states[count - 1] == state) {
            sectors[count - 1] += n;
            return true;
        }
        if (count == max) {
            return false; // full: the reply describes less than asked, which the spec allows
        }
        if (count == sectors.length) {
            sectors = Arrays.copyOf(sectors, 2 * count);
            states = Arrays.copyOf(states, 2 * count);
        }
        sectors[count] = n;
        states[count++] = state;
        return true;
    }

    /**
     * The chunk's payload for a request of lengthBytes: no descriptor reaches past it; at least one descriptor.
     * Compact (BLOCK_STATUS): context id, then 32-bit length and status per descriptor, each length below 4 GiB.
     * Extended (BLOCK_STATUS_EXT): context id, descriptor count, then 64-bit length, zero padding, status.
     */
    ByteBuffer encode(int contextId, long lengthBytes, boolean extended) {
        if (count == 0) {
            extent(lengthBytes >>> Bio.SECTOR_SHIFT, 0); // a device that answered nothing: data is always safe
        }
        long left = lengthBytes;
        int n = 0;
        long[] bytes = new long[count];
        for (int i = 0; i < count && left > 0; i++, n++) { // compact: left < 4 GiB, a 32-bit request length
            bytes[i] = Math.min(left, sectors[i] << Bio.SECTOR_SHIFT);
            left -= bytes[i];
        }
        ByteBuffer b = ByteBuffer.allocate(extended ? 8 + 16 * n : 4 + 8 * n).putInt(contextId);
        if (extended) {
            b.putInt(n);
        }
        for (int i = 0; i < n; i++) {
            if (extended) {
                b.putLong(bytes[i]).putInt(0).putInt(states[i]);
            } else {
                b.putInt((int) bytes[i]).putInt(states[i]);
            }
        }
        return b.flip();
    }
}
