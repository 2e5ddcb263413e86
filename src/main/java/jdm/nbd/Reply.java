package jdm.nbd;

import java.nio.ByteBuffer;

/**
 * A simple reply waiting for the socket (proto.md "Simple reply message"): handle, error and, for a successful
 * READ, the payload. Queued replies are linked through {@link #next}, so queueing allocates nothing; {@link #sent}
 * runs once the bytes are on the socket (or the connection is gone), to release what the request held.
 */
class Reply {
    final long handle;
    int error;
    ByteBuffer payload;
    Reply next;

    Reply(long handle) {
        this.handle = handle;
    }

    Reply(long handle, int error) {
        this.handle = handle;
        this.error = error;
    }

    void sent() {
    }
}
