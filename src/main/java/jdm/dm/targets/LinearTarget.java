package jdm.dm.targets;

import jdm.block.Bio;
import jdm.block.DataRegion;
import jdm.block.ExtentSink;
import jdm.dm.ArgCursor;
import jdm.dm.DeviceVisitor;
import jdm.dm.DmDev;
import jdm.dm.DmException;
import jdm.dm.MapResult;
import jdm.dm.StatusType;
import jdm.dm.Target;
import jdm.dm.TargetArgs;
import jdm.dm.TargetType;

/**
 * linear: maps the target's range onto one device from a start sector (drivers/md/dm-linear.c,
 * Documentation/admin-guide/device-mapper/linear.rst).
 *
 * <pre>linear &lt;dev_path&gt; &lt;offset&gt;</pre>
 * Status INFO is empty; TABLE is {@code <major:minor> <offset>}.
 */
public final class LinearTarget implements Target {
    public static final TargetType TYPE = new TargetType("linear", new int[] {1, 4, 0}, LinearTarget::create);

    private final DmDev dev;
    private final long startSector;
    private final long lengthSectors;

    private LinearTarget(DmDev dev, long startSector, long lengthSectors) {
        this.dev = dev;
        this.startSector = startSector;
        this.lengthSectors = lengthSectors;
    }

    static Target create(TargetArgs args) throws DmException {
        if (args.count() != 2) {
            throw DmException.invalid("Invalid argument count");
        }
        ArgCursor as = args.cursor();
        String device = as.shift();
        long start = as.readSector("Invalid device sector");
        return new LinearTarget(args.device(device, "Device lookup failed"), start, args.lengthSectors());
    }

    /** The device sector for a target-relative sector. */
    static long mapSector(long startSector, long relativeSector) {
        return startSector + relativeSector;
    }

    @Override
    public MapResult map(Bio bio) {
        bio.remap(dev.device(), mapSector(startSector, bio.sector()));
        return MapResult.REMAPPED;
    }

    @Override
    public boolean extents(long sector, long sectors, ExtentSink sink) {
        return dev.device().extents(mapSector(startSector, sector), sectors, sink);
    }

    @Override
    public DataRegion readRegion(long sector, int sectors) {
        return dev.device().readRegion(mapSector(startSector, sector), sectors);
    }

    @Override
    public DataRegion writeRegion(long sector, int sectors) {
        return dev.device().writeRegion(mapSector(startSector, sector), sectors);
    }

    @Override
    public void status(StatusType type, StringBuilder out) {
        if (type == StatusType.TABLE) {
            out.append(dev.name()).append(' ').append(startSector);
        }
    }

    @Override
    public void iterateDevices(DeviceVisitor visitor) throws DmException {
        visitor.visit(dev, startSector, lengthSectors);
    }
}
