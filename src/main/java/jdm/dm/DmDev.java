package jdm.dm;

import jdm.block.BlockDevice;

/**
 * A device a table uses, the kernel's {@code struct dm_dev}: the block device and the name targets print in their
 * TABLE and INFO status ("major:minor"). Acquired through {@link TargetArgs#device}, released with the table.
 */
public record DmDev(BlockDevice device, DevT devt) {
    /** "major:minor", as the kernel prints it. */
    public String name() {
        return devt.toString();
    }
}
