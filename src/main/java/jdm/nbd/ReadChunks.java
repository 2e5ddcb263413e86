package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;

import java.nio.ByteBuffer;
import jdm.block.Bio;
import jdm.block.BlockDevice;
import jdm.block.ExtentSink;

/**
 * A structured READ reply split at the holes the device's map knows (proto.md "NBD_REPLY_TYPE_OFFSET_HOLE"): data
 * ranges go as OFFSET_DATA chunks, ranges that read as zeros as OFFSET_HOLE chunks, so the zeros never cross the
 * socket. Only for reads large enough to pay for the map query and without NBD_CMD_FLAG_DF. A hole is sent only if
 * the bytes just read are zeros too: a write racing the query then goes out as data, never as a false hole.
 */
final class ReadChunks {
    /** Smaller reads go as one chunk: the map query would cost more than the zeros it saves. */
    static final int MIN_READ = 64 << 10;
    private static final int MIN_HOLE = 4096;
    private static final int MAX_HOLES = 16;
    private static final int DATA_HEADER = EXTENDED_HEADER_BYTES + 8; // room for either header form
    private static final int HOLE_HEADER = EXTENDED_HEADER_BYTES + 12;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    private ReadChunks() {
    }

    /** Most buffers one reply needs on the wire: a header and data per data range, a header per hole. */
    static final int MAX_BUFFERS = 3 * MAX_HOLES + 2;

    /**
     * The reply's buffers in wire order (the last chunk flagged DONE), or null when the map shows no hole worth a
     * chunk: then the read goes as one OFFSET_DATA chunk.
     */
    static ByteBuffer[] split(BlockDevice device, long handle, long offset, ByteBuffer data, boolean extended) {
        int length = data.remaining();
        if (!anyZeroBlock(data, length)) {
            return null; // the common case of data: no map query (lseek may walk a file's extents to its end)
        }
        int[] holes = new int[2 * MAX_HOLES]; // [start, end) pairs, relative to offset
        int[] n = {0};
        long[] at = {0};
        device.extents(offset >>> Bio.SECTOR_SHIFT, length >>> Bio.SECTOR_SHIFT, (sectors, flags) -> {
            int start = (int) at[0];
            int end = (int) Math.min(length, at[0] + (sectors << Bio.SECTOR_SHIFT));
            at[0] = end;
            if ((flags & ExtentSink.ZERO) != 0 && end - start >= MIN_HOLE && zeros(data, start, end)) {
                if (n[0] > 0 && holes[2 * n[0] - 1] == start) {
                    holes[2 * n[0] - 1] = end; // adjacent holes: one chunk
                } else if (n[0] < MAX_HOLES) {
                    holes[2 * n[0]] = start;
                    holes[2 * n[0]++ + 1] = end;
                }
            }
            return end < length;
        });
        return n[0] == 0 ? null : encode(handle, offset, data, holes, n[0], extended);
    }

    /** True if the device's map shows a zero range in [offset, offset + length) large enough for a hole chunk. */
    static boolean holeIn(BlockDevice device, long offset, int length) {
        return !device.extents(offset >>> Bio.SECTOR_SHIFT, length >>> Bio.SECTOR_SHIFT,
                (sectors, flags) -> (flags & ExtentSink.ZERO) == 0 || sectors << Bio.SECTOR_SHIFT < MIN_HOLE);
    }

    /** True if some aligned 4 KiB block of the buffer is all zeros: the first word of each says most of it. */
    private static boolean anyZeroBlock(ByteBuffer data, int length) {
        for (int p = 0; p + MIN_HOLE <= length; p += MIN_HOLE) {
            if (data.getLong(p) == 0 && zeros(data, p, p + MIN_HOLE)) {
                return true;
            }
        }
        return false;
    }

    private static boolean zeros(ByteBuffer data, int start, int end) {
        for (int p = start; p < end; p += ZEROS.capacity()) {
            int len = Math.min(ZEROS.capacity(), end - p);
            if (data.slice(p, len).mismatch(ZEROS.slice(0, len)) >= 0) {
                return false;
            }
        }
        return true;
    }

    private static ByteBuffer[] encode(long handle, long offset, ByteBuffer data, int[] holes, int count,
            boolean extended) {
        int length = data.remaining();
        ByteBuffer[] out = new ByteBuffer[MAX_BUFFERS];
        ByteBuffer headers = ByteBuffer.allocate((count + 1) * (DATA_HEADER + HOLE_HEADER));
        int v = 0;
        int pos = 0;
        for (int i = 0; i <= count; i++) {
            int holeStart = i < count ? holes[2 * i] : length;
            if (holeStart > pos) {
                boolean last = i == count;
                out[v++] = header(headers, extended, last, REPLY_TYPE_OFFSET_DATA, handle, offset, 8 + holeStart - pos)
                        .putLong(offset + pos).flip();
                out[v++] = data.slice(pos, holeStart - pos);
            }
            if (i < count) {
                int holeEnd = holes[2 * i + 1];
                boolean last = i == count - 1 && holeEnd == length;
                out[v++] = header(headers, extended, last, REPLY_TYPE_OFFSET_HOLE, handle, offset, 12)
                        .putLong(offset + holeStart).putInt(holeEnd - holeStart).flip();
                pos = holeEnd;
            }
        }
        return java.util.Arrays.copyOf(out, v);
    }

    /** A chunk header (structured or extended) with room after it for the chunk's fixed fields. */
    private static ByteBuffer header(ByteBuffer headers, boolean extended, boolean last, int type, long handle,
            long requestOffset, int len) {
        ByteBuffer h = headers.slice(headers.position(), HOLE_HEADER);
        ReplyEncoder.chunk(h, extended, last ? REPLY_FLAG_DONE : 0, type, handle, requestOffset, len);
        headers.position(headers.position() + h.position() + (type == REPLY_TYPE_OFFSET_HOLE ? 12 : 8));
        return h;
    }
}
