package jdm.md.sb;

/**
 * A block that is not a usable md superblock (or bitmap superblock): wrong magic, version, bounds or checksum. The
 * message names what is wrong, in the kernel's words where it has them (md.c super_1_load: "md: invalid superblock
 * checksum on %s").
 */
public final class SuperblockException extends Exception {
    private static final long serialVersionUID = 1L;

    public SuperblockException(String message) {
        super(message);
    }
}
