package jdm.md;

/**
 * The write-intent hook of an array (md-bitmap.c's md_bitmap_startwrite / md_bitmap_endwrite as the core calls
 * them): before a write reaches the personality its region is marked dirty (and the mark made durable), after it
 * ends the region may become clean again. {@link Mddev} calls it for every WRITE, DISCARD and WRITE_ZEROES.
 */
public interface WriteIntent {
    /**
     * Marks [sector, sector + sectors) of the array dirty; runs {@code then} once the mark is durable (at once when
     * it already was), on any thread. Must not block the caller.
     */
    void startWrite(long sector, long sectors, Runnable then);

    /** The write of [sector, sector + sectors) ended; {@code ok} false keeps the region dirty (it needs a resync). */
    void endWrite(long sector, long sectors, boolean ok);
}
