package jdm.dm.targets;

import java.nio.ByteBuffer;
import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.block.ExtentSink;
import jdm.block.Op;
import jdm.dm.DmException;
import jdm.dm.MapResult;
import jdm.dm.StatusType;
import jdm.dm.Target;
import jdm.dm.TargetArgs;
import jdm.dm.TargetType;

/**
 * zero: reads return zeros, writes and discards are accepted and dropped (drivers/md/dm-zero.c,
 * Documentation/admin-guide/device-mapper/zero.rst).
 *
 * <pre>zero</pre>
 * Status INFO and TABLE are empty.
 */
public final class ZeroTarget implements Target {
    private static final byte[] ZEROS = new byte[64 << 10];

    public static final TargetType TYPE = new TargetType("zero", new int[] {1, 1, 0}, ZeroTarget::create);

    static Target create(TargetArgs args) throws DmException {
        if (args.count() != 0) {
            throw DmException.invalid("No arguments required");
        }
        return new ZeroTarget();
    }

    /** Nothing stored, reads zeros: a hole. */
    @Override
    public boolean extents(long sector, long sectors, ExtentSink sink) {
        return sectors <= 0 || sink.extent(sectors, ExtentSink.HOLE | ExtentSink.ZERO);
    }

    @Override
    public MapResult map(Bio bio) {
        if (bio.op() == Op.READ) {
            ByteBuffer buf = bio.data();
            for (int at = buf.position(); at < buf.limit(); at += ZEROS.length) {
                buf.put(at, ZEROS, 0, Math.min(ZEROS.length, buf.limit() - at));
            }
        }
        bio.endio(BlkStatus.OK);
        return MapResult.SUBMITTED;
    }

    @Override
    public void status(StatusType type, StringBuilder out) {
    }

    @Override
    public int numFlushBios() {
        return 0;
    }
}
