package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;

import java.nio.ByteBuffer;

/**
 * Writes the header of a reply, in the form the handshake agreed (proto.md "Simple reply message", "Structured
 * reply chunk message", "Extended reply chunk message"); the reply's payload, if any, follows it on the wire.
 * Every chunked reply is one chunk flagged DONE: a READ's data is read before its header goes out, so no error
 * can follow it (and DF holds); data sent by reference is read as it goes, and a failure then ends the connection.
 */
enum ReplyEncoder {
    /** magic, error, handle; a successful READ's data follows. */
    SIMPLE {
        @Override
        void header(Reply r, ByteBuffer h) {
            h.putInt(SIMPLE_REPLY_MAGIC).putInt(r.error).putLong(r.handle);
        }
    },
    /**
     * One chunk: OFFSET_DATA for READ data, BLOCK_STATUS for its payload, ERROR(_OFFSET) on error, NONE for a READ
     * without data. Any other success is a simple reply, as the spec allows for every command but READ: 16 bytes,
     * which a client reads in one call, where a NONE chunk's 20 are two for libnbd (it reads the 16 bytes that
     * both kinds share first; measured: fio's 4 KiB random writes at queue depth 32 made two recv calls a request
     * against one with nbdkit, which answers them simply).
     */
    STRUCTURED {
        @Override
        void header(Reply r, ByteBuffer h) {
            if (r.error == NbdErrno.OK && r.command != CMD_READ && r.payloadBytes() == 0) {
                SIMPLE.header(r, h);
            } else {
                chunkHeader(r, h, false);
            }
        }
    },
    /** As STRUCTURED, each chunk behind a 32-byte header that repeats the request's offset (64-bit length). */
    EXTENDED {
        @Override
        void header(Reply r, ByteBuffer h) {
            chunkHeader(r, h, true);
        }
    };

    /** Room for the longest header: an extended ERROR_OFFSET chunk without message (32 + 14). */
    static final int MAX_HEADER_BYTES = 48;

    /** Puts the header of r into h (at its position); the caller flips h. */
    abstract void header(Reply r, ByteBuffer h);

    private static void chunkHeader(Reply r, ByteBuffer h, boolean extended) {
        int payload = r.payloadBytes();
        if (r.error != NbdErrno.OK) {
            // A READ the device failed names where (the request's start: no data of it was sent; the range is
            // not empty, as only non-empty requests reach the device). Refusals by the reader are plain errors.
            boolean read = r.command == CMD_READ && r instanceof Request;
            chunk(h, extended, REPLY_FLAG_DONE, read ? REPLY_TYPE_ERROR_OFFSET : REPLY_TYPE_ERROR, r.handle, r.offset,
                    read ? 14 : 6);
            h.putInt(r.error).putShort((short) 0); // no message
            if (read) {
                h.putLong(r.offset);
            }
        } else if (r.command == CMD_READ && payload > 0) {
            chunk(h, extended, REPLY_FLAG_DONE, REPLY_TYPE_OFFSET_DATA, r.handle, r.offset, 8 + payload)
                    .putLong(r.offset);
        } else if (r.command == CMD_BLOCK_STATUS && payload > 0) {
            chunk(h, extended, REPLY_FLAG_DONE, extended ? REPLY_TYPE_BLOCK_STATUS_EXT : REPLY_TYPE_BLOCK_STATUS,
                    r.handle, r.offset, payload);
        } else {
            chunk(h, extended, REPLY_FLAG_DONE, REPLY_TYPE_NONE, r.handle, r.offset, 0);
        }
    }

    /**
     * A chunk header: structured (magic, flags, type, handle, 32-bit length) or extended (magic, flags, type,
     * handle, the request's offset, 64-bit length).
     */
    static ByteBuffer chunk(ByteBuffer h, boolean extended, int flags, int type, long handle, long requestOffset,
            long length) {
        if (extended) {
            return h.putInt(EXTENDED_REPLY_MAGIC).putShort((short) flags).putShort((short) type).putLong(handle)
                    .putLong(requestOffset).putLong(length);
        }
        return h.putInt(STRUCTURED_REPLY_MAGIC).putShort((short) flags).putShort((short) type).putLong(handle)
                .putInt((int) length);
    }
}
