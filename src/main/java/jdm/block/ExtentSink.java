package jdm.block;

/**
 * Receives a device's allocation map, extent by extent in ascending order from the queried sector (NBD's
 * base:allocation, the kernel's SEEK_DATA/SEEK_HOLE view): how many sectors, and whether they are a hole (no
 * storage allocated) and whether they read as zeros. A producer stops early when {@link #extent} returns false.
 */
@FunctionalInterface
public interface ExtentSink {
    /** No storage is allocated for the range (a sparse file's hole, the zero target). */
    int HOLE = 1;
    /** The range reads as zeros. */
    int ZERO = 2;

    /** Takes the next extent (sectors &gt; 0, flags of HOLE and ZERO); returns false to stop the query. */
    boolean extent(long sectors, int flags);
}
