package jdm.nbd;

import java.nio.ByteBuffer;
import jdm.block.Bio;
import jdm.block.BioEndIo;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.DataRegion;
import jdm.block.Op;

/**
 * One validated request in flight (an NBD_CMD_* turned into a bio): {@link #run} submits its bio, usually on a
 * fresh thread because a device may do the I/O inside submit, and the bio's end-io queues the reply from whichever
 * thread completes it; once sent, the buffer and the in-flight slot are released. Requests larger than the
 * device's maxSectors are split into chained clones, as the queue limits ask of submitters; the parent ends, and
 * replies, when the last piece does.
 */
final class Request extends Reply implements Runnable, BioEndIo {
    /**
     * Smallest READ or WRITE sent or received by reference: below it a copy costs less than the reference
     * (measured, 4 KiB random reads over a file: sendfile 14k IOPS at QD1 against 23k for pread + write).
     */
    static final int BY_REFERENCE_MIN = 64 << 10;

    private final Connection conn;
    private final BlockDevice device;
    private final Op op;
    private final int flags;
    private final long sector;
    private final int sectors;
    private ByteBuffer buf;
    private final int bytes;
    private volatile long endedAt;
    private final boolean mayHaveHoles;

    Request(Connection conn, BlockDevice device, long handle, int command, Op op, int flags, long sector,
            int sectors, ByteBuffer buf, int bytes, boolean mayHaveHoles) {
        super(handle, command, sector << Bio.SECTOR_SHIFT);
        this.mayHaveHoles = mayHaveHoles;
        this.conn = conn;
        this.device = device;
        this.op = op;
        this.flags = flags;
        this.sector = sector;
        this.sectors = sectors;
        this.buf = buf;
        this.bytes = bytes;
    }

    @Override
    public void run() {
        Bio bio;
        try {
            if (op == Op.READ) {
                // Taken only now, and only when the socket keeps up, so the buffer goes from device to socket
                // while it is still in the CPU cache.
                if (bytes < BY_REFERENCE_MIN) { // larger ones waited in tryByReference, which Dispatch runs first
                    conn.backlog().awaitRoom();
                }
                buf = conn.pool().take(bytes);
            }
            bio = new Bio(op, flags, device, sector, sectors, buf, this);
        } catch (OutOfMemoryError e) { // no room for the reply's buffer: fail this read, keep the connection
            finish(NbdErrno.ENOMEM);
            return;
        } catch (RuntimeException e) {
            finish(NbdErrno.EIO);
            return;
        }
        if (!typical()) {
            submit(bio);
            return;
        }
        long start = System.nanoTime();
        submit(bio);
        // How long submit held this thread for the device alone: until end-io if that came inside submit.
        long ended = endedAt;
        conn.submitCost().record((ended != 0 ? ended : System.nanoTime()) - start);
    }

    /**
     * For the reader, before it dispatches: a READ that goes by reference has nothing to wait for (no device I/O,
     * just a reference for the sender), so it is answered here and needs no thread of its own. False (and the
     * request dispatched as usual) when it is not a large READ or its range has no region.
     */
    boolean tryByReference() {
        if (op != Op.READ || bytes < BY_REFERENCE_MIN) {
            return false;
        }
        conn.backlog().awaitRoom();
        return byReference();
    }

    /**
     * Replies to a READ with the region its range reads as, when the device has one (a linear or striped table in
     * one piece over a file or a RAM disk) and it holds no hole to send as such: no buffer, no copy here; the
     * sender passes the bytes on from the page cache (sendfile, not under TLS) or from the RAM disk's pages. False
     * when the read has to go as a bio.
     */
    private boolean byReference() {
        DataRegion rr = device.readRegion(sector, sectors);
        if (rr == null) {
            return false;
        }
        try {
            if (rr.file() != null && !conn.zeroCopy() || mayHaveHoles && ReadChunks.holeIn(device, offset, bytes)) {
                rr.close(); // the bio path reads it (and sends a hole as OFFSET_HOLE)
                return false;
            }
        } catch (RuntimeException e) {
            rr.close();
            throw e;
        }
        region = rr;
        conn.backlog().filled(bytes);
        conn.send(this);
        return true;
    }

    /** Flushes and FUA writes wait for the disk by design: they say nothing about the device's usual speed. */
    boolean typical() {
        return op != Op.FLUSH && (flags & Bio.FUA) == 0;
    }

    private void submit(Bio bio) {
        int max = device.limits().maxSectors();
        if (op == Op.FLUSH || sectors <= max || max <= 0) {
            bio.submit();
            return;
        }
        int pieces = (sectors + max - 1) / max;
        for (int i = 1; i < pieces; i++) {
            bio.chain();
        }
        BioEndIo up = piece -> bio.endio(piece.status());
        for (int off = 0; off < sectors; off += max) {
            bio.clone(off, Math.min(max, sectors - off), up).submit();
        }
    }

    @Override
    public void bioEndIo(Bio bio) {
        // ENOTSUP is the answer the spec wants to a fast-zero request the device cannot do fast, and only to that.
        boolean fastZeroRefused = (flags & Bio.NOFALLBACK) != 0 && bio.status() == BlkStatus.NOTSUPP;
        finish(fastZeroRefused ? NbdErrno.ENOTSUP : NbdErrno.of(bio.status()));
    }

    private void finish(int error) {
        endedAt = System.nanoTime();
        this.error = error;
        if (op == Op.READ && error == NbdErrno.OK) {
            payload = buf.clear().limit(bytes); // devices fill it by absolute access; reset to be sure
            conn.backlog().filled(bytes);
            if (mayHaveHoles) {
                try {
                    wire = ReadChunks.split(device, handle, offset, payload, conn.extendedHeaders());
                } catch (RuntimeException | OutOfMemoryError e) { // the map is a hint: send the data as it is
                    wire = null;
                }
            }
        } else if (buf != null) {
            // A write's payload is done with once the bio ends: back to the pool now, so that a client slow to
            // read its replies holds reply headers, not megabytes of written data.
            conn.pool().give(buf);
            buf = null;
        }
        conn.send(this);
    }

    /** The reply is out: release the buffer, the backlog and the in-flight slot. */
    @Override
    void sent() {
        wire = null;
        if (region != null) {
            region.close();
            region = null;
            conn.backlog().sent(bytes);
        }
        if (payload != null) {
            conn.backlog().sent(bytes);
            payload = null;
        }
        if (buf != null) {
            conn.pool().give(buf);
            buf = null;
        }
        conn.inflight().release(bytes);
    }

    /** For messages. */
    @Override
    public String toString() {
        return op + " " + sector + "+" + sectors + " handle " + handle + (flags != 0 ? " flags " + flags : "");
    }
}
