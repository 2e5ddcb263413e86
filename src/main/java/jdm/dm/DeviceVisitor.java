package jdm.dm;

/** Called by {@link Target#iterateDevices} once per device area the target uses: the kernel's iterate_devices callout. */
@FunctionalInterface
public interface DeviceVisitor {
    void visit(DmDev dev, long startSector, long lengthSectors) throws DmException;
}
