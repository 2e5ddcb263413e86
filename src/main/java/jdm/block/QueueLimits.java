package jdm.block;

/**
 * A device's I/O limits, as the kernel's {@code struct queue_limits} (only what the stack uses so far).
 *
 * @param logicalBlockBytes smallest addressable unit; requests are aligned to it
 * @param physicalBlockBytes preferred write unit (read-modify-write below it)
 * @param maxSectors largest request the device takes at once; larger ones are split by the submitter
 */
public record QueueLimits(int logicalBlockBytes, int physicalBlockBytes, int maxSectors) {
    /** 512-byte sectors, 4 KiB physical blocks, 32 MiB requests. */
    public static final QueueLimits DEFAULT = new QueueLimits(Bio.SECTOR_SIZE, 4096, 65536);
}
