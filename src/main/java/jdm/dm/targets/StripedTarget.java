package jdm.dm.targets;

import java.util.concurrent.atomic.AtomicIntegerArray;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.DataRegion;
import jdm.block.ExtentSink;
import jdm.block.Op;
import jdm.block.QueueLimits;
import jdm.dm.ArgCursor;
import jdm.dm.DeviceVisitor;
import jdm.dm.DmDev;
import jdm.dm.DmException;
import jdm.dm.EndIoResult;
import jdm.dm.MapResult;
import jdm.dm.StatusType;
import jdm.dm.Target;
import jdm.dm.TargetArgs;
import jdm.dm.TargetType;

/**
 * striped: spreads the range over several devices in chunks, round robin (drivers/md/dm-stripe.c,
 * Documentation/admin-guide/device-mapper/striped.rst).
 *
 * <pre>striped &lt;#stripes&gt; &lt;chunk_size&gt; [&lt;dev_path&gt; &lt;offset&gt;]+</pre>
 * Chunk sizes need not be powers of two. Chunk c of the target lies on stripe {@code c % stripes} at row
 * {@code c / stripes}. Status INFO is {@code <#stripes> <dev>... 1 <A|D per stripe>} (D once a stripe has
 * failed I/O); TABLE is {@code <#stripes> <chunk_size> [<dev> <offset>]+}.
 */
public final class StripedTarget implements Target {
    public static final TargetType TYPE = new TargetType("striped", new int[] {1, 6, 0}, StripedTarget::create);

    /** Errors past this many on a stripe raise no more events (DM_IO_ERROR_THRESHOLD). */
    private static final int ERROR_EVENT_THRESHOLD = 15;

    private final int stripes;
    private final long chunkSectors;
    private final long stripeWidthSectors;
    private final DmDev[] devs;
    private final long[] physicalStarts;
    private final AtomicIntegerArray errorCounts;
    private final Runnable event;

    private StripedTarget(int stripes, long chunkSectors, long stripeWidthSectors, DmDev[] devs,
                          long[] physicalStarts, Runnable event) {
        this.stripes = stripes;
        this.chunkSectors = chunkSectors;
        this.stripeWidthSectors = stripeWidthSectors;
        this.devs = devs;
        this.physicalStarts = physicalStarts;
        this.errorCounts = new AtomicIntegerArray(stripes);
        this.event = event;
    }

    static Target create(TargetArgs args) throws DmException {
        if (args.count() < 2) {
            throw DmException.invalid("Not enough arguments");
        }
        ArgCursor as = args.cursor();
        long stripes = as.readUnsigned(1, 0xffffffffL, "Invalid stripe count");
        long chunk = as.readUnsigned(1, 0xffffffffL, "Invalid chunk_size");
        long len = args.lengthSectors();
        if (len % stripes != 0) {
            throw DmException.invalid("Target length not divisible by number of stripes");
        }
        long width = len / stripes;
        if (width % chunk != 0) {
            throw DmException.invalid("Target length not divisible by chunk size");
        }
        if (as.remaining() != 2 * stripes) {
            throw DmException.invalid("Not enough destinations specified");
        }
        int n = (int) stripes;
        DmDev[] devs = new DmDev[n];
        long[] starts = new long[n];
        for (int i = 0; i < n; i++) {
            String device = as.shift();
            starts[i] = as.readSector("Couldn't parse stripe destination");
            devs[i] = args.device(device, "Couldn't parse stripe destination");
        }
        return new StripedTarget(n, chunk, width, devs, starts, args.eventTrigger());
    }

    /** Stripe index of a target-relative sector: (sector / chunk) % stripes. */
    static int stripeOf(long sector, long chunkSectors, int stripes) {
        return (int) ((sector / chunkSectors) % stripes);
    }

    /** Offset within its stripe of a target-relative sector: row * chunk + offset in chunk (stripe_map_sector). */
    static long stripeOffset(long sector, long chunkSectors, int stripes) {
        long chunk = sector / chunkSectors;
        return (chunk / stripes) * chunkSectors + sector % chunkSectors;
    }

    /**
     * Where target sector {@code sector} falls on stripe {@code target}: its offset there if it lies on that
     * stripe, else the start of the next chunk of that stripe after it (stripe_map_range_sector).
     */
    static long rangeOffset(long sector, int target, long chunkSectors, int stripes) {
        int stripe = stripeOf(sector, chunkSectors, stripes);
        long offset = stripeOffset(sector, chunkSectors, stripes);
        if (stripe == target) {
            return offset;
        }
        offset -= offset % chunkSectors;
        return target < stripe ? offset + chunkSectors : offset;
    }

    @Override
    public MapResult map(Bio bio) {
        if (bio.op() == Op.FLUSH) {
            bio.remap(devs[bio.targetBioNr()].device(), 0);
            return MapResult.REMAPPED;
        }
        if (bio.op() == Op.DISCARD || bio.op() == Op.WRITE_ZEROES) {
            return mapRange(bio, bio.targetBioNr());
        }
        int s = stripeOf(bio.sector(), chunkSectors, stripes);
        bio.remap(devs[s].device(), physicalStarts[s] + stripeOffset(bio.sector(), chunkSectors, stripes));
        return MapResult.REMAPPED;
    }

    /** Chunk by chunk, each asked of its stripe's device. */
    @Override
    public boolean extents(long sector, long sectors, ExtentSink sink) {
        for (long end = sector + sectors; sector < end; ) {
            long len = Math.min(end - sector, chunkSectors - sector % chunkSectors);
            int s = stripeOf(sector, chunkSectors, stripes);
            long below = physicalStarts[s] + stripeOffset(sector, chunkSectors, stripes);
            if (!devs[s].device().extents(below, len, sink)) {
                return false;
            }
            sector += len;
        }
        return true;
    }

    /** Within one chunk the range is one stretch of one stripe's device: ask it. */
    @Override
    public DataRegion readRegion(long sector, int sectors) {
        return region(sector, sectors, false);
    }

    @Override
    public DataRegion writeRegion(long sector, int sectors) {
        return region(sector, sectors, true);
    }

    private DataRegion region(long sector, int sectors, boolean write) {
        if (sector % chunkSectors + sectors > chunkSectors) {
            return null;
        }
        int s = stripeOf(sector, chunkSectors, stripes);
        long below = physicalStarts[s] + stripeOffset(sector, chunkSectors, stripes);
        return write ? devs[s].device().writeRegion(below, sectors) : devs[s].device().readRegion(below, sectors);
    }

    /** One stripe's share of a discard or write-zeroes range: the part of it on that stripe, in one piece. */
    private MapResult mapRange(Bio bio, int s) {
        long begin = rangeOffset(bio.sector(), s, chunkSectors, stripes);
        long end = rangeOffset(bio.endSector(), s, chunkSectors, stripes);
        if (begin >= end) {
            bio.endio(BlkStatus.OK); // nothing of the range lies on this stripe
            return MapResult.SUBMITTED;
        }
        // The share is shorter than the bio: it goes down trimmed to it, as the kernel sets bi_size.
        bio.remap(devs[s].device(), physicalStarts[s] + begin);
        bio.trim((int) (end - begin));
        return MapResult.REMAPPED;
    }

    @Override
    public EndIoResult endIo(Bio bio, BlkStatus status) {
        if (status == BlkStatus.OK || status == BlkStatus.NOTSUPP) {
            return EndIoResult.DONE;
        }
        for (int i = 0; i < stripes; i++) {
            if (devs[i].device() == bio.device() && errorCounts.incrementAndGet(i) < ERROR_EVENT_THRESHOLD) {
                event.run();
            }
        }
        return EndIoResult.DONE;
    }

    @Override
    public void status(StatusType type, StringBuilder out) {
        switch (type) {
            case INFO -> {
                out.append(stripes).append(' ');
                for (DmDev d : devs) {
                    out.append(d.name()).append(' ');
                }
                out.append("1 ");
                for (int i = 0; i < stripes; i++) {
                    out.append(errorCounts.get(i) > 0 ? 'D' : 'A');
                }
            }
            case TABLE -> {
                out.append(stripes).append(' ').append(chunkSectors);
                for (int i = 0; i < stripes; i++) {
                    out.append(' ').append(devs[i].name()).append(' ').append(physicalStarts[i]);
                }
            }
        }
    }

    @Override
    public void iterateDevices(DeviceVisitor visitor) throws DmException {
        for (int i = 0; i < stripes; i++) {
            visitor.visit(devs[i], physicalStarts[i], stripeWidthSectors);
        }
    }

    /** io_min is a chunk, io_opt a full stripe: stripe_io_hints. */
    @Override
    public void ioHints(QueueLimits.Builder limits) {
        long chunkBytes = chunkSectors << Bio.SECTOR_SHIFT;
        limits.ioMin((int) Math.min(chunkBytes, Integer.MAX_VALUE));
        limits.ioOpt((int) Math.min(chunkBytes * stripes, Integer.MAX_VALUE));
    }

    @Override
    public long maxIoLenSectors() {
        return chunkSectors;
    }

    @Override
    public int numFlushBios() {
        return stripes;
    }

    @Override
    public int numDiscardBios() {
        return stripes;
    }

    @Override
    public int numWriteZeroesBios() {
        return stripes;
    }
}
