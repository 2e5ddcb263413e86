package jdm.nbd;

import java.nio.ByteBuffer;
import jdm.block.Bio;
import jdm.block.BioEndIo;
import jdm.block.BlockDevice;
import jdm.block.Op;

/**
 * One validated request in flight: {@link #run} submits its bio (on a submitter thread, because a device may do the
 * I/O inside submit), and the bio's end-io sends the reply from whichever thread completes it, then returns the
 * buffer and the in-flight slot. Requests larger than the device's maxSectors are split into chained clones, as
 * the queue limits ask of submitters; the parent ends, and replies, when the last piece does.
 */
final class Request implements Runnable, BioEndIo {
    private final Connection conn;
    private final BlockDevice device;
    private final long handle;
    private final Op op;
    private final int flags;
    private final long sector;
    private final int sectors;
    private final ByteBuffer buf;
    private final int bytes;

    Request(Connection conn, BlockDevice device, long handle, Op op, int flags, long sector, int sectors,
            ByteBuffer buf, int bytes) {
        this.conn = conn;
        this.device = device;
        this.handle = handle;
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
            bio = new Bio(op, flags, device, sector, sectors, buf, this);
        } catch (RuntimeException e) {
            finish(NbdErrno.EIO);
            return;
        }
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
        finish(NbdErrno.of(bio.status()));
    }

    private void finish(int error) {
        try {
            ByteBuffer payload = null;
            if (op == Op.READ && error == NbdErrno.OK) {
                payload = buf.clear().limit(bytes); // devices fill it by absolute access; reset to be sure
            }
            conn.reply(handle, error, payload);
        } finally {
            if (buf != null) {
                conn.pool().give(buf);
            }
            conn.inflight().release(bytes);
        }
    }

    /** For messages. */
    @Override
    public String toString() {
        return op + " " + sector + "+" + sectors + " handle " + handle + (flags != 0 ? " flags " + flags : "");
    }
}
