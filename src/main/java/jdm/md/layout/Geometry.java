package jdm.md.layout;

/** Argument checks shared by the layouts. */
final class Geometry {
    private Geometry() {
    }

    static void checkChunk(int chunkSectors) {
        if (chunkSectors < 8 || Integer.bitCount(chunkSectors) != 1) {
            throw new IllegalArgumentException("chunk must be a power of two of at least 4 KiB: " + chunkSectors
                    + " sectors");
        }
    }

    static void checkSector(long sector, long size) {
        if (sector < 0 || sector >= size) {
            throw new IndexOutOfBoundsException("sector " + sector + " outside the array of " + size + " sectors");
        }
    }
}
