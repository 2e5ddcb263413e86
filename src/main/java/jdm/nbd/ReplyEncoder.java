package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;

import java.nio.ByteBuffer;

/**
 * Writes the header of a reply, in the form the handshake agreed (proto.md "Simple reply message", "Structured
 * reply chunk message"); the reply's payload, if any, follows it on the wire. Every structured reply is one chunk
 * flagged DONE: a READ's data is in memory before its header goes out, so no error can follow it (and DF holds).
 */
enum ReplyEncoder {
    /** magic, error, handle; a successful READ's data follows. */
    SIMPLE {
        @Override
        void header(Reply r, ByteBuffer h) {
            h.putInt(SIMPLE_REPLY_MAGIC).putInt(r.error).putLong(r.handle);
        }
    },
    /** One chunk: OFFSET_DATA for READ data, BLOCK_STATUS for its payload, ERROR(_OFFSET) on error, else NONE. */
    STRUCTURED {
        @Override
        void header(Reply r, ByteBuffer h) {
            int payload = r.payloadBytes();
            if (r.error != NbdErrno.OK) {
                // A READ the device failed names where (the request's start: no data of it was sent; the range is
                // not empty, as only non-empty requests reach the device). Refusals by the reader are plain errors.
                boolean read = r.command == CMD_READ && r instanceof Request;
                chunk(h, read ? REPLY_TYPE_ERROR_OFFSET : REPLY_TYPE_ERROR, r.handle, read ? 14 : 6);
                h.putInt(r.error).putShort((short) 0); // no message
                if (read) {
                    h.putLong(r.offset);
                }
            } else if (r.command == CMD_READ && payload > 0) {
                chunk(h, REPLY_TYPE_OFFSET_DATA, r.handle, 8 + payload).putLong(r.offset);
            } else if (r.command == CMD_BLOCK_STATUS && payload > 0) {
                chunk(h, REPLY_TYPE_BLOCK_STATUS, r.handle, payload);
            } else {
                chunk(h, REPLY_TYPE_NONE, r.handle, 0);
            }
        }

        private static ByteBuffer chunk(ByteBuffer h, int type, long handle, int length) {
            return h.putInt(STRUCTURED_REPLY_MAGIC).putShort((short) REPLY_FLAG_DONE).putShort((short) type)
                    .putLong(handle).putInt(length);
        }
    };

    /** Room for the longest header: a structured ERROR_OFFSET chunk without message (20 + 14). */
    static final int MAX_HEADER_BYTES = 40;

    /** Puts the header of r into h (at its position); the caller flips h. */
    abstract void header(Reply r, ByteBuffer h);
}
