package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.DataRegion;
import jdm.block.Op;

/**
 * The transmission phase's reader (proto.md "Transmission", "Request types", "Error values"): parses each request,
 * validates it, reads a WRITE's payload straight into a pooled buffer, and hands it off at once as a {@link Request}
 * to run (where: {@link Dispatch}), so that many requests are in flight; replies go out as they complete. Invalid
 * requests get an error reply here and the stream stays in step (a refused WRITE's payload is skipped). Only a bad
 * request magic, which leaves no way to find the next request, ends the connection, as do NBD_CMD_DISC and end of
 * stream.
 */
final class Transmission {
    private static final System.Logger LOG = System.getLogger(Transmission.class.getName());
    /** Largest refused WRITE payload we read past to stay in step; beyond it we reply and hang up (nbdkit: same). */
    private static final long MAX_SKIP = 2L * MAX_PAYLOAD;
    /** The most a WRITE payload's buffer holds before its bytes arrive (see {@link #readPayload}). */
    static final int FIRST_PIECE = 1 << 20;

    private final Connection conn;
    private final SocketInput in;
    private final Session session;
    private final Export export;
    private final ExportInfo info;
    private final Runnable uncork;

    Transmission(Connection conn, SocketInput in, Session session) {
        this.conn = conn;
        this.in = in;
        this.session = session;
        this.export = session.export();
        this.info = session.info();
        this.uncork = conn::uncork;
    }

    void run() throws IOException {
        try {
            while (next()) {
                // one request per call: see next()
            }
        } finally {
            conn.uncork(); // held replies go out before the connection waits for its requests to finish
        }
    }

    /**
     * Reads and starts (or answers) one request; false when the connection is to end. A method of its own, called
     * per request, so that the JIT compiles it after a few hundred requests: a loop body inside run(), entered
     * once per connection, stays interpreted until on-stack replacement, which a stream of large requests (a few
     * thousand per GiB) never reaches (perf, nbdcopy write: the reader's loop ran in the interpreter).
     */
    private boolean next() throws IOException {
        boolean extended = session.extendedHeaders();
        int headerBytes = extended ? EXTENDED_HEADER_BYTES : REQUEST_HEADER_BYTES;
        if (in.buffered() >= headerBytes) {
            if (in.peekType() == CMD_WRITE) {
                // More writes in hand: the replies of those run here leave together. Only writes: a read run
                // here is the one in flight, and its reply is what the client waits for (measured: holding read
                // replies too cost 4 KiB random reads at queue depth 32 a quarter).
                conn.cork();
            } else {
                conn.uncork(); // anything else may be what the client waits on: the held replies go first
            }
        } else {
            conn.uncork(); // about to wait for the client, which may be waiting for these replies
            if (Thread.currentThread().isVirtual()) {
                // About to read the socket, likely to park: first let the requests just started run. Their
                // replies prompt the client's next requests, so the read then usually finds data and the reader
                // skips a park and poller wake-up (measured: +10-15% 4 KiB random-read IOPS). Only on a virtual
                // reader: a platform thread's yield is sched_yield(2), which on a busy machine gives its CPU away
                // for a whole round of the run queue (measured under load: QD1 IOPS down to a tenth).
                Thread.yield();
            } else if (conn.inflight().requests() == 0) {
                // Nothing in flight: the client waits for nobody but itself, so its next request comes within a
                // round trip. Poll for it rather than block (ReadSpin). With requests in flight the client is busy
                // taking their replies, and a poll would only take CPU from it (sequential writes 5-10% slower).
                in.awaitData();
            }
        }
        if (!in.fill(headerBytes)) {
            return false;
        }
        int magic = in.getInt();
        int flags = in.getUnsignedShort();
        int type = in.getUnsignedShort();
        long handle = in.getLong();
        long offset = in.getLong();
        long length = extended ? in.getLong() : in.getInt() & 0xffffffffL; // extended: unsigned 64 bits
        if (magic != (extended ? EXTENDED_REQUEST_MAGIC : REQUEST_MAGIC)) {
            LOG.log(Level.DEBUG, "bad request magic 0x{0}: closing", Integer.toHexString(magic));
            return false;
        }
        if (type == CMD_DISC) {
            return false; // outstanding requests still finish: the connection drains before closing
        }
        // Whether a payload follows: a compact WRITE's; with extended headers, what NBD_CMD_FLAG_PAYLOAD_LEN says
        // (a WRITE MUST set it; no other command of ours takes one: EINVAL once it is read past).
        boolean payload = extended ? (flags & CMD_FLAG_PAYLOAD_LEN) != 0 : type == CMD_WRITE;
        Command command = Command.of(type);
        int error;
        if (extended && payload != (type == CMD_WRITE)) {
            error = NbdErrno.EINVAL;
        } else {
            error = validate(command, flags & ~(extended ? CMD_FLAG_PAYLOAD_LEN : 0), offset, length);
        }
        if (error == NbdErrno.OK && length == 0 && command == Command.BLOCK_STATUS) {
            error = NbdErrno.EINVAL; // a status reply needs at least one extent: nothing to describe
        }
        boolean beyondOneBio = length >>> Bio.SECTOR_SHIFT > Integer.MAX_VALUE;
        if (error == NbdErrno.OK && command != Command.BLOCK_STATUS && beyondOneBio) {
            error = NbdErrno.EOVERFLOW; // a 64-bit effect length beyond one bio (1 TiB): the spec's answer
        }
        if (error != NbdErrno.OK || length == 0 && type != CMD_FLUSH || command == Command.CACHE) {
            // Refused, empty (the spec leaves those unspecified; succeeding touches nothing), or advisory. A
            // payload is read past to stay in step, unless it is huge (extended headers: beyond the maximum
            // payload, where the spec wants a hard disconnect).
            boolean hangUp = payload && (length < 0 || length > (extended ? MAX_PAYLOAD : MAX_SKIP));
            if (payload && !hangUp) {
                in.skip(length);
            }
            replyNow(handle, type, offset, error);
            return !hangUp;
        }
        if (command == Command.BLOCK_STATUS) {
            blockStatus(handle, flags, offset, length);
            return true;
        }
        submit(type, flags, handle, offset, length);
        return true;
    }

    /** A reply decided by the reader; counted in flight so that it goes out before the connection closes. */
    private void replyNow(long handle, int command, long offset, int error) {
        replyNow(new Reply(handle, command, offset, error));
    }

    private void replyNow(Reply reply) {
        acquire(0);
        conn.send(new Reply(reply.handle, reply.command, reply.offset, reply.error) {
            {
                payload = reply.payload;
            }

            @Override
            void sent() {
                conn.inflight().release(0);
            }
        });
    }

    /** Takes an in-flight slot; the replies the reader holds go out first if it has to wait (they hold slots). */
    private void acquire(long bytes) {
        conn.inflight().acquire(bytes, uncork);
    }

    /** The NBD error for a request that must not reach the device, or OK. */
    private int validate(Command command, int flags, long offset, long length) {
        if (conn.shuttingDown()) {
            return NbdErrno.ESHUTDOWN; // proto.md: requests arriving during a server shutdown; the client then leaves
        }
        int tflags = info.transmissionFlags();
        if (command == null || !command.advertised(tflags)
                || command == Command.BLOCK_STATUS && !session.baseAllocation()) {
            return NbdErrno.EINVAL; // unknown, or needs what was not negotiated (BLOCK_STATUS: a meta context)
        }
        int type = command.type;
        if ((flags & ~command.allowedFlags(tflags)) != 0) {
            return NbdErrno.EINVAL;
        }
        if (command.changesData() && info.readOnly()) {
            return NbdErrno.EPERM;
        }
        if (type == CMD_FLUSH) {
            return offset == 0 && length == 0 ? NbdErrno.OK : NbdErrno.EINVAL;
        }
        if ((type == CMD_READ || type == CMD_WRITE) && length > info.maxPayload()) {
            return NbdErrno.EINVAL;
        }
        if ((offset | length) % info.minBlock() != 0) {
            return NbdErrno.EINVAL;
        }
        if (offset < 0 || length < 0 || offset > info.sizeBytes() || length > info.sizeBytes() - offset) {
            // Writes past the end: ENOSPC as the spec suggests; reads and trims: EINVAL.
            return type == CMD_WRITE || type == CMD_WRITE_ZEROES ? NbdErrno.ENOSPC : NbdErrno.EINVAL;
        }
        return NbdErrno.OK;
    }

    /**
     * Reads a WRITE's payload into a pooled buffer taken as the bytes arrive, never sized by the header alone: the
     * first buffer holds at most {@link #FIRST_PIECE}, and a larger payload moves to a buffer twice the size each
     * time the current one fills (the copies add up to less than the payload). A client that announces 32 MiB and
     * stalls pins only what it has sent. Returns null, with the payload read past, when memory runs out.
     */
    private ByteBuffer readPayload(int bytes) throws IOException {
        ByteBuffer buf = null;
        try {
            buf = conn.pool().take(Math.min(bytes, FIRST_PIECE));
            in.readFully(buf);
            while (buf.position() < bytes) {
                ByteBuffer bigger = conn.pool().take((int) Math.min(bytes, 2L * buf.capacity()));
                bigger.put(buf.flip());
                conn.pool().give(buf);
                buf = bigger;
                in.readFully(buf);
            }
            return buf.flip();
        } catch (OutOfMemoryError e) {
            int have = buf == null ? 0 : buf.position();
            if (buf != null) {
                conn.pool().give(buf);
            }
            LOG.log(Level.WARNING, "no memory for a {0}-byte write payload: replying ENOMEM", bytes);
            in.skip(bytes - have);
            return null;
        } catch (Throwable e) {
            if (buf != null) {
                conn.pool().give(buf);
            }
            throw e;
        }
    }

    private void submit(int type, int flags, long handle, long offset, long length) throws IOException {
        // FUA takes the bio path, whose end syncs what the write reached (a write by reference ends on the reader)
        if (type == CMD_WRITE && (flags & CMD_FLAG_FUA) == 0 && length >= Request.BY_REFERENCE_MIN
                && conn.writesByReference()) {
            int sectors = (int) (length >>> Bio.SECTOR_SHIFT);
            DataRegion wr = export.device().writeRegion(offset >>> Bio.SECTOR_SHIFT, sectors);
            if (wr != null) {
                writeByReference(wr, handle, offset);
                return;
            }
        }
        boolean data = type == CMD_READ || type == CMD_WRITE;
        int bytes = data ? (int) length : 0; // at most MAX_PAYLOAD
        acquire(bytes);
        ByteBuffer buf = null;
        if (type == CMD_WRITE) {
            try {
                buf = readPayload(bytes);
            } catch (Throwable e) { // the slot must not outlive a failed read, whatever failed
                conn.inflight().abandon(bytes);
                throw e;
            }
            if (buf == null) {
                conn.inflight().abandon(bytes);
                replyNow(handle, type, offset, NbdErrno.ENOMEM);
                return;
            }
        }
        Op op = switch (type) {
            case CMD_READ -> Op.READ;
            case CMD_WRITE -> Op.WRITE;
            case CMD_FLUSH -> Op.FLUSH;
            case CMD_TRIM -> Op.DISCARD;
            default -> Op.WRITE_ZEROES;
        };
        int bioFlags = 0;
        if ((flags & CMD_FLAG_FUA) != 0 && op.isWrite()) {
            bioFlags |= Bio.FUA;
        }
        if ((flags & CMD_FLAG_NO_HOLE) != 0) {
            bioFlags |= Bio.NOUNMAP;
        }
        if ((flags & CMD_FLAG_FAST_ZERO) != 0) {
            bioFlags |= Bio.NOFALLBACK;
        }
        Request r;
        try {
            // Large structured reads may leave out the zeros of holes, unless the client asked for one chunk (DF).
            boolean mayHaveHoles = type == CMD_READ && session.structuredReplies() && (flags & CMD_FLAG_DF) == 0
                    && length >= ReadChunks.MIN_READ;
            r = new Request(conn, export.device(), handle, type, op, bioFlags, offset >>> Bio.SECTOR_SHIFT,
                    (int) (length >>> Bio.SECTOR_SHIFT), buf, bytes, mayHaveHoles);
        } catch (Throwable e) { // out of heap: nothing may stay held
            if (buf != null) {
                conn.pool().give(buf);
            }
            conn.inflight().abandon(bytes);
            throw e;
        }
        conn.inflight().charge(bytes); // released with the slot once the reply is sent (Request.sent)
        Dispatch.run(conn, r);
    }

    /**
     * A WRITE whose range is memory of the device (a RAM disk under linear or striped) or one stretch of a file
     * (a file under them): its payload goes from the socket straight into that memory, or is spliced into the file
     * (see {@link SocketSplice}; under TLS, which must decrypt, through the read-ahead): one copy where the bio path
     * makes two, and the write is done when the last byte is in. A payload not yet read ahead gets a deadline,
     * since the region holds the device's suspend. A client that leaves mid-payload leaves part of it written, as a
     * torn write on a disk.
     */
    private void writeByReference(DataRegion wr, long handle, long offset) throws IOException {
        boolean watched = in.buffered() < wr.length();
        int failed = 0;
        try {
            if (watched) {
                conn.payloadStarted();
            }
            if (wr.buffers() != null) {
                in.readFully(wr.buffers());
            } else {
                failed = in.readFully(wr.file(), wr.fd(), wr.position(), wr.length());
            }
        } finally {
            if (watched) {
                conn.payloadDone();
            }
            wr.close();
        }
        replyNow(handle, CMD_WRITE, offset, failed == 0 ? NbdErrno.OK : NbdErrno.of(BlkStatus.ofErrno(failed)));
    }

    /** Most descriptors in one reply: far below the spec's 2^20, and a reply may describe less than asked. */
    static final int MAX_EXTENTS = 1 << 16;

    /**
     * NBD_CMD_BLOCK_STATUS for base:allocation, answered here from the device's allocation map (a quick query):
     * one chunk of consecutive descriptors from the offset, adjacent extents of one kind merged; with REQ_ONE a
     * single descriptor. Requests are validated, so the range lies within the export and fits 32 bits.
     */
    private void blockStatus(long handle, int flags, long offset, long length) {
        StatusDescriptors d = new StatusDescriptors((flags & CMD_FLAG_REQ_ONE) != 0 ? 1 : MAX_EXTENTS);
        export.device().extents(offset >>> Bio.SECTOR_SHIFT, length >>> Bio.SECTOR_SHIFT, d);
        Reply r = new Reply(handle, CMD_BLOCK_STATUS, offset);
        r.payload = d.encode(BASE_ALLOCATION_ID, length, session.extendedHeaders());
        replyNow(r);
    }
}
