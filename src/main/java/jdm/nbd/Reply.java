package jdm.nbd;

import java.nio.ByteBuffer;
import jdm.block.DataRegion;

/**
 * A reply waiting for the socket: handle, error and, on success, the payload (a READ's data, a block status
 * chunk's context id and descriptors). The command and offset let a {@link ReplyEncoder} choose the structured
 * chunk (OFFSET_DATA for a READ, ERROR_OFFSET for a failed READ, ...). Queued replies are linked through
 * {@link #next}, so queueing allocates nothing; {@link #sent} runs once the bytes are on the socket (or the
 * connection is gone), to release what the request held.
 */
class Reply {
    final long handle;
    final int command;
    final long offset;
    int error;
    ByteBuffer payload;
    /** Instead of a payload, a READ's data by reference: sent from the file to the socket after the header. */
    DataRegion region;
    /** When set, the whole reply as it goes on the wire (chunk headers and data), sent instead of header + payload. */
    ByteBuffer[] wire;
    Reply next;

    Reply(long handle, int command, long offset) {
        this.handle = handle;
        this.command = command;
        this.offset = offset;
    }

    Reply(long handle, int command, long offset, int error) {
        this(handle, command, offset);
        this.error = error;
    }

    /** Bytes that follow the header: the payload's or the region's. */
    int payloadBytes() {
        return payload != null ? payload.remaining() : region != null ? (int) region.length() : 0;
    }

    void sent() {
    }
}
