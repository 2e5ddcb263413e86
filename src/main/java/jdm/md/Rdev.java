package jdm.md;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.Bio;
import jdm.block.BioEndIo;
import jdm.block.BlockDevice;
import jdm.block.HeldDevice;
import jdm.block.Op;

/**
 * One member of an array (md's {@code struct md_rdev}): the device held open, where its data area starts
 * ({@code dataOffset}) and how long it is ({@code sectors}), its role ({@code raid_disk}: the slot it fills, or -1
 * for a spare), its state flags as sysfs {@code dev-X/state} names them, how far recovery has rebuilt it
 * ({@code recovery_offset}) and its corrected read errors. Personalities address a member in data-area sectors
 * through {@link #bio}; the data offset is added here, once.
 */
public final class Rdev {
    /** md's rdev flags that a personality or the control files read and set. */
    public enum Flag {
        FAULTY("faulty"),
        IN_SYNC("in_sync"),
        WRITE_MOSTLY("write_mostly"),
        BLOCKED("blocked"),
        WANT_REPLACEMENT("want_replacement"),
        REPLACEMENT("replacement"),
        WRITE_ERROR_SEEN("write_error"),
        EXTERNAL_BBL("external_bbl");

        private final String sysfsName;

        Flag(String sysfsName) {
            this.sysfsName = sysfsName;
        }

        /** The word {@code dev-X/state} shows. */
        public String sysfsName() {
            return sysfsName;
        }
    }

    /** recovery_offset of a member that is fully in sync (MaxSector). */
    public static final long MAX_SECTOR = Long.MAX_VALUE;

    private final HeldDevice held;
    private final String name;
    private final long dataOffset;
    private volatile long sectors;
    private volatile int role;
    private final AtomicInteger flags = new AtomicInteger();
    private final AtomicLong recoveryOffset = new AtomicLong();
    private final AtomicInteger correctedErrors = new AtomicInteger();

    /**
     * @param name what messages and {@code --detail} call the member (its path or device name)
     * @param dataOffset where the data area starts on the device, in sectors
     * @param sectors the data area's length in sectors
     * @param role the slot the member fills, or -1 for a spare
     */
    public Rdev(HeldDevice held, String name, long dataOffset, long sectors, int role) {
        if (dataOffset < 0 || sectors < 0 || dataOffset + sectors > held.device().sizeSectors()) {
            throw new IllegalArgumentException(name + ": data area " + dataOffset + "+" + sectors
                    + " outside the device's " + held.device().sizeSectors() + " sectors");
        }
        this.held = held;
        this.name = name;
        this.dataOffset = dataOffset;
        this.sectors = sectors;
        this.role = role;
    }

    public String name() {
        return name;
    }

    public BlockDevice device() {
        return held.device();
    }

    /** The device number the member goes by ("7:3"), as --detail and mdstat show it. */
    public int major() {
        return held.major();
    }

    public int minor() {
        return held.minor();
    }

    public long dataOffset() {
        return dataOffset;
    }

    /** The data area's length (rdev->sectors). */
    public long sectors() {
        return sectors;
    }

    public void setSectors(long sectors) {
        this.sectors = sectors;
    }

    /** The slot this member fills (raid_disk), or -1 for a spare. */
    public int role() {
        return role;
    }

    public void setRole(int role) {
        this.role = role;
    }

    public boolean has(Flag f) {
        return (flags.get() & (1 << f.ordinal())) != 0;
    }

    /** Sets a flag; returns whether it was clear before (test_and_set_bit). */
    public boolean set(Flag f) {
        int bit = 1 << f.ordinal();
        return (flags.getAndUpdate(v -> v | bit) & bit) == 0;
    }

    /** Clears a flag; returns whether it was set before. */
    public boolean clear(Flag f) {
        int bit = 1 << f.ordinal();
        return (flags.getAndUpdate(v -> v & ~bit) & bit) != 0;
    }

    public boolean faulty() {
        return has(Flag.FAULTY);
    }

    public boolean inSync() {
        return has(Flag.IN_SYNC);
    }

    /** How far recovery has rebuilt this member, in member sectors; {@link #MAX_SECTOR} when in sync. */
    public long recoveryOffset() {
        return recoveryOffset.get();
    }

    public void setRecoveryOffset(long sector) {
        recoveryOffset.set(sector);
    }

    /** Read errors corrected by rewriting from redundancy (dev-X/errors, the superblock's cnt_corrected_read). */
    public int correctedErrors() {
        return correctedErrors.get();
    }

    public void addCorrectedErrors(int n) {
        correctedErrors.addAndGet(n);
    }

    /**
     * A bio on this member's data area: {@code sector} counts from the data offset. For READ and WRITE, data's
     * remaining bytes are the payload. Submit it with {@link Bio#submit()}.
     */
    public Bio bio(Op op, int flags, long sector, int sectors, ByteBuffer data, BioEndIo endIo) {
        if (sector < 0 || sector + sectors > this.sectors) {
            throw new IllegalArgumentException(name + ": member I/O " + sector + "+" + sectors
                    + " outside the data area of " + this.sectors + " sectors");
        }
        return new Bio(op, flags, held.device(), dataOffset + sector, sectors, data, endIo);
    }

    /**
     * Points a clone of an array bio at this member's data area, {@code sector} counting from the data offset: the
     * split-and-remap of raid0/raid1/raid10 without copying the payload.
     */
    public void remap(Bio clone, long sector) {
        if (sector < 0 || sector + clone.sectors() > this.sectors) {
            throw new IllegalArgumentException(name + ": member I/O " + sector + "+" + clone.sectors()
                    + " outside the data area of " + this.sectors + " sectors");
        }
        clone.remap(held.device(), dataOffset + sector);
    }

    /** A bio on the member device itself, at an absolute sector: for superblocks and the bitmap. */
    public Bio metadataBio(Op op, int flags, long deviceSector, int sectors, ByteBuffer data, BioEndIo endIo) {
        return new Bio(op, flags, held.device(), deviceSector, sectors, data, endIo);
    }

    /** Lets go of the device. */
    void close() {
        held.close();
    }

    @Override
    public String toString() {
        return name + "[" + role + "]";
    }
}
