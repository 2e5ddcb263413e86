package jdm.md;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.md.sb.BitmapSuper;
import jdm.md.sb.Superblock1;
import jdm.md.sb.SuperblockException;

/**
 * An array's internal write-intent bitmap (md-bitmap.c): one bit per bitmap chunk of the sync range, stored on
 * every member at superblock + bitmap_offset after the 256-byte "bitm" header, and one in-memory counter per chunk
 * ({@code bitmap_counter_t}): writes in flight plus 2 while the chunk is dirty, with md's NEEDED flag for chunks
 * that need a resync.
 *
 * <p>A write first sets its chunks' bits; when a bit was clear the page holding it is written to every member
 * (FUA, {@link BitmapStorage}) before the write goes on ({@link #startWrite}, md_bitmap_startwrite + md_bitmap_unplug). When it ends the
 * counter drops back ({@link #endWrite}); the daemon ({@link #daemonPass}, every daemon_sleep seconds) moves idle
 * chunks 2 → 1 → 0 and clears a bit on its second idle pass, writing the page (md_bitmap_daemon_work). A failed
 * write or a write while the array is degraded marks the chunk NEEDED: its bit stays until a resync or recovery
 * has covered it ({@link #clearRegion}), so a member re-added after a failure recovers only what changed while it
 * was away ({@link #canRecoverFromBitmap}, {@link #dirtyRegions}).
 *
 * <p>Sectors here are the sync thread's: array sectors for raid1 and raid10, member (stripe) sectors for raid4/5/6,
 * where md calls the bitmap with the stripe's sector ({@link #syncRange}).
 */
public final class Bitmap implements WriteIntent {
    /** Where the bitmap lives on each member: the md superblock's sector and bitmap_offset (signed) from it. */
    public record Placement(long superblockSector, int bitmapOffset, int sectorsReserved) {
        /** Where a member's superblock says its internal bitmap is (super_offset + bitmap_offset). */
        public static Placement of(Superblock1 sb) {
            return new Placement(sb.superOffset(), sb.bitmapOffset(), 0);
        }

        long startSector() {
            return superblockSector + bitmapOffset;
        }
    }

    /** md's NEEDED_MASK: the chunk needs a resync before its bit may be cleared. */
    private static final int NEEDED = 1 << 30;
    private static final int COUNT = NEEDED - 1;

    private static final ScheduledExecutorService DAEMON = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "md-bitmap-daemon");
        t.setDaemon(true);
        return t;
    });

    private final Mddev mddev;
    private final Placement placement;
    private final long chunkSectors;
    private final int chunkShift;
    private final long syncSectors;
    private final int chunks;
    private final int[] counters;
    private final BitmapStorage storage;
    /** The header (bitmap_super_t) as it goes to disk with the next write of page 0. */
    private final BitmapSuper sb;
    private long events;
    private long eventsCleared;
    private boolean needSync;
    private ScheduledFuture<?> daemon;
    private volatile boolean closed;

    private Bitmap(Mddev mddev, Placement placement, BitmapSuper sb, byte[] bits, long mdEvents,
            long resyncOffset) throws MdException {
        this.mddev = mddev;
        this.placement = placement;
        this.sb = sb;
        this.chunkSectors = Integer.toUnsignedLong(sb.chunksize()) >> Bio.SECTOR_SHIFT;
        this.chunkShift = Long.numberOfTrailingZeros(chunkSectors);
        this.syncSectors = sb.syncSize();
        long n = sb.bits();
        if (n > Integer.MAX_VALUE / 2) {
            throw MdException.invalid(mddev.name() + ": bitmap of " + n + " chunks is too large");
        }
        this.chunks = (int) n;
        this.counters = new int[chunks];
        // the image starts as the disk has it (bits past the last chunk included, as a page read keeps them)
        this.storage = new BitmapStorage(mddev, placement.startSector(), chunks, bits);
        checkRoom();
        // md_bitmap_read_sb: a bitmap older than the array is stale, everything needs a resync.
        boolean stale = (sb.state() & BitmapSuper.STATE_STALE) != 0 || sb.events() < mdEvents;
        if (stale) {
            mddev.log(mddev.name() + ": bitmap file is out of date (" + sb.events() + " < " + mdEvents
                    + ") -- forcing full recovery");
        }
        this.events = Math.max(mdEvents, sb.events());
        this.eventsCleared = sb.eventsCleared();
        // md_bitmap_load: keep every bit NEEDED when degraded (a re-add may use it), else only from resync_offset.
        long start = mddev.personality().degraded() == 0 || eventsCleared == mdEvents ? resyncOffset : 0;
        for (int c = 0; c < chunks; c++) {
            if (stale || (bits[c >> 3] & (1 << (c & 7))) != 0) {
                storage.loadBit(c);
                boolean needed = ((long) (c + 1) << chunkShift) >= start;
                counters[c] = 2 | (needed ? NEEDED : 0);
            }
        }
        sb.setState(sb.state() & ~BitmapSuper.STATE_STALE);
        encodeHeader();
        storage.markAllDirty();
    }

    /** md_bitmap_update_sb's fields: the events as they are now, then the header bytes into page 0. */
    private void encodeHeader() {
        sb.setEvents(events).setEventsCleared(eventsCleared).setSyncSize(syncSectors);
        storage.putHeader(sb.encode());
    }

    /** Writes the loaded state (header with the array's events, stale bits) and starts the daemon. */
    private Bitmap start() {
        storage.writeAndWait();
        int period = daemonSleepSeconds();
        daemon = DAEMON.scheduleWithFixedDelay(this::daemonPassQuietly, period, period, TimeUnit.SECONDS);
        return this;
    }

    /**
     * Writes a new internal bitmap to every member as mdadm --create --bitmap=internal lays it out (write_bitmap1:
     * the header, every bit set, to the 4 KiB-rounded end) and starts it.
     *
     * @param sb the header mdadm makes (MdadmCreate's plan, or {@link BitmapSuper#forCreate})
     * @param mdEvents the array's event count (the superblocks')
     * @param resyncOffset the array's resync_offset: 0 after creation without --assume-clean, else MaxSector
     */
    public static Bitmap create(Mddev mddev, Placement placement, BitmapSuper sb, long mdEvents, long resyncOffset)
            throws MdException {
        byte[] area = sb.encodeArea().array();
        for (Rdev r : BitmapStorage.writeTargets(mddev)) {
            BlkStatus s = r.metadataBio(Op.WRITE, Bio.FUA, placement.startSector(), area.length >> 9,
                    ByteBuffer.wrap(area), null).submitAndWait();
            if (s != BlkStatus.OK) {
                throw new MdException(jdm.block.Errno.EIO, r.name() + ": writing the bitmap failed: " + s);
            }
        }
        return new Bitmap(mddev, placement, sb, java.util.Arrays.copyOfRange(area, BitmapSuper.BYTES, area.length),
                mdEvents, resyncOffset).start();
    }

    /** {@link #create(Mddev, Placement, BitmapSuper, long, long)} with the header made of these fields. */
    public static Bitmap create(Mddev mddev, Placement placement, byte[] uuid, int chunkBytes, long syncSectors,
            int daemonSleepSeconds, long mdEvents, long resyncOffset) throws MdException {
        BitmapSuper sb = new BitmapSuper().setUuid(uuid).setChunksize(chunkBytes).setSyncSize(syncSectors)
                .setDaemonSleep(daemonSleepSeconds).setSectorsReserved(placement.sectorsReserved());
        return create(mddev, placement, sb, mdEvents, resyncOffset);
    }

    /**
     * Reads the bitmap from the first working member (md_bitmap_read_sb + md_bitmap_init_from_disk) and starts it.
     * Set bits become dirty chunks; those at or after {@code resyncOffset} (all of them when the array is degraded)
     * need a resync.
     *
     * @param mdEvents the array's event count: a bitmap with fewer events is stale and marks everything
     * @param resyncOffset the array's resync_offset (0 after an unclean stop, MaxSector when clean)
     */
    public static Bitmap load(Mddev mddev, Placement placement, byte[] uuid, long mdEvents, long resyncOffset)
            throws MdException {
        MdException last = MdException.invalid("no working member to read the bitmap from");
        for (Rdev r : BitmapStorage.writeTargets(mddev)) {
            if (!r.inSync()) {
                continue;
            }
            byte[] first = read(r, placement.startSector(), BitmapStorage.PAGE_SIZE >> 9);
            if (first == null) {
                last = new MdException(jdm.block.Errno.EIO, r.name() + ": reading the bitmap failed");
                continue;
            }
            BitmapSuper h;
            try {
                h = BitmapSuper.decode(ByteBuffer.wrap(first), mddev.name());
            } catch (SuperblockException e) {
                throw MdException.invalid(e.getMessage());
            }
            if (!java.util.Arrays.equals(h.uuid(), uuid)) {
                throw MdException.invalid(mddev.name() + ": invalid bitmap file superblock: bitmap superblock UUID mismatch");
            }
            int bytes = (int) (BitmapSuper.BYTES + (h.bits() + 7) / 8);
            int sectors = (bytes + 511) >> 9;
            byte[] area = sectors <= BitmapStorage.PAGE_SIZE >> 9 ? first : read(r, placement.startSector(), sectors);
            if (area == null) {
                last = new MdException(jdm.block.Errno.EIO, r.name() + ": reading the bitmap failed");
                continue;
            }
            return new Bitmap(mddev, placement, h, java.util.Arrays.copyOfRange(area, BitmapSuper.BYTES,
                    area.length), mdEvents, resyncOffset).start();
        }
        throw last;
    }

    /**
     * {@link #load(Mddev, Placement, byte[], long, long)} for an array assembled from superblocks: placement, uuid,
     * events and resync_offset from {@code sb} (the freshest member's); null when it has no internal bitmap.
     */
    public static Bitmap load(Mddev mddev, Superblock1 sb) throws MdException {
        if (!sb.hasFeature(Superblock1.FEATURE_BITMAP_OFFSET)) {
            return null;
        }
        return load(mddev, Placement.of(sb), sb.uuid(), sb.events(), sb.resyncOffset());
    }

    private static byte[] read(Rdev r, long sector, int sectors) {
        byte[] buf = new byte[sectors << 9];
        BlkStatus s = r.metadataBio(Op.READ, 0, sector, sectors, ByteBuffer.wrap(buf), null).submitAndWait();
        return s == BlkStatus.OK ? buf : null;
    }


    /** The bitmap must end before each member's data (and inside sectors_reserved when that is set). */
    private void checkRoom() throws MdException {
        long end = placement.startSector() + storage.sectors();
        for (Rdev r : mddev.rdevs()) {
            if (placement.bitmapOffset() > 0 && end > r.dataOffset()) {
                throw MdException.invalid("md/bitmap:" + mddev.name() + ": bitmap of " + storage.sectors()
                        + " sectors overlaps the data of " + r.name());
            }
        }
        if (placement.sectorsReserved() > 0 && storage.sectors() > placement.sectorsReserved()) {
            throw MdException.invalid("md/bitmap:" + mddev.name() + ": bitmap needs more than the "
                    + placement.sectorsReserved() + " sectors reserved");
        }
    }

    // ---- geometry ----

    public long chunkSectors() {
        return chunkSectors;
    }

    public int chunks() {
        return chunks;
    }

    public long syncSectors() {
        return syncSectors;
    }

    public int daemonSleepSeconds() {
        return sb.daemonSleep();
    }

    public synchronized long events() {
        return events;
    }

    public synchronized long eventsCleared() {
        return eventsCleared;
    }

    /** A copy of the header as it is now (events as last given to {@link #updateSuper}). */
    public synchronized BitmapSuper header() {
        return BitmapSuper.read(sb.encode());
    }

    /**
     * The sync-space range [start, end) an array write of [sector, sector + sectors) dirties: the same sectors for
     * raid1/raid10, for raid4/5/6 the member (stripe) sectors of the stripes it touches, whole chunk rows.
     */
    public static long[] syncRange(ArrayGeometry g, long sector, long sectors) {
        int level = g.level();
        if ((level == 4 || level == 5 || level == 6) && g.chunkSectors() > 0) {
            long dataDisks = g.raidDisks() - (level == 6 ? 2 : 1);
            long row = g.chunkSectors() * dataDisks;
            long first = sector / row;
            long last = (sector + Math.max(sectors, 1) - 1) / row;
            return new long[] {first * g.chunkSectors(), (last + 1) * g.chunkSectors()};
        }
        return new long[] {sector, sector + sectors};
    }

    // ---- the write path ----

    @Override
    public void startWrite(long sector, long sectors, Runnable then) {
        if (chunks == 0) {
            then.run();
            return;
        }
        long[] range = syncRange(mddev.geometry(), sector, sectors);
        long need = 0;
        synchronized (this) {
            for (int c = firstChunk(range[0]); c <= lastChunk(range[1]); c++) {
                int v = counters[c];
                if (v == 0) {
                    // md_bitmap_startwrite case 0: set the bit in the file; case 1 (clearing pending): back to 2
                    storage.setBit(c);
                    v = 2;
                } else if (v == 1) {
                    v = 2;
                }
                counters[c] = v + 1;
                need = Math.max(need, storage.requiredSeq(c));
            }
        }
        storage.whenDurable(need, then);
    }

    @Override
    public void endWrite(long sector, long sectors, boolean ok) {
        if (chunks == 0) {
            return;
        }
        long[] range = syncRange(mddev.geometry(), sector, sectors);
        boolean degraded = mddev.personality().degraded() > 0;
        synchronized (this) {
            // md_bitmap_endwrite: a clean, complete write lets events_cleared catch up with the array's events
            if (ok && !degraded && eventsCleared < events) {
                eventsCleared = events;
                needSync = true;
            }
            for (int c = firstChunk(range[0]); c <= lastChunk(range[1]); c++) {
                int v = counters[c];
                if ((!ok || degraded) && (v & NEEDED) == 0) {
                    v |= NEEDED;
                }
                if ((v & COUNT) > 0) {
                    v--;
                }
                counters[c] = v;
            }
        }
    }

    private int firstChunk(long sector) {
        return (int) Math.min(chunks - 1, Math.max(0, sector >> chunkShift));
    }

    private int lastChunk(long endSector) {
        return (int) Math.min(chunks - 1, Math.max(0, (endSector - 1) >> chunkShift));
    }

    // ---- the daemon, superblock updates, sync ----

    /**
     * md_bitmap_daemon_work: a pending events_cleared goes to disk first (before any bit it allows to be cleared);
     * otherwise chunks idle since the last pass (counter 1) are cleared and chunks that just went idle (2) move to
     * 1. The changed pages are written; returns when they are on disk.
     */
    public void daemonPass() {
        synchronized (this) {
            boolean headerFirst = needSync;
            if (needSync) {
                needSync = false;
                encodeHeader();
            }
            for (int c = 0; c < chunks; c++) {
                int v = counters[c];
                if (v == 1 && !headerFirst) {
                    counters[c] = 0;
                    storage.clearBit(c);
                } else if (v == 2) {
                    counters[c] = 1;
                }
            }
        }
        storage.writeAndWait();
    }

    private void daemonPassQuietly() {
        if (closed) {
            return;
        }
        try {
            daemonPass();
        } catch (RuntimeException e) {
            mddev.log("md/bitmap:" + mddev.name() + ": daemon: " + e);
        }
    }

    /**
     * md_bitmap_update_sb: the array wrote its superblocks with this event count; the bitmap header follows (and a
     * lower events_cleared is pulled down to it). Returns when it is on disk.
     */
    public void updateSuper(long mdEvents) {
        synchronized (this) {
            events = mdEvents;
            if (events < eventsCleared) {
                eventsCleared = events;
            }
            encodeHeader();
        }
        storage.writeAndWait();
    }

    /**
     * Whether a member that left the array at {@code memberEvents} can be brought back by recovering only the
     * dirty regions (super_1_validate: no bit has been cleared since it left).
     */
    public synchronized boolean canRecoverFromBitmap(long memberEvents) {
        return memberEvents >= eventsCleared;
    }

    /**
     * What a recovery of a member re-added after leaving at {@code memberEvents} must cover: the dirty regions when
     * the bitmap still knows everything written since (no bit cleared since it left), else null for a full
     * recovery. Also null for raid10, whose recovery walks member sectors that the bitmap's array sectors do not
     * map onto one by one.
     */
    public List<long[]> recoveryRegions(long memberEvents) {
        if (mddev.geometry().level() == 10 || !canRecoverFromBitmap(memberEvents)) {
            return null;
        }
        return dirtyRegions();
    }

    /**
     * The regions a resync (or a bitmap-based recovery) must cover: chunks that need a sync, as {sector, sectors}
     * in sync sectors, adjacent chunks merged, the last one ending at the sync range's end.
     */
    public synchronized List<long[]> dirtyRegions() {
        List<long[]> out = new ArrayList<>();
        int c = 0;
        while (c < chunks) {
            if ((counters[c] & NEEDED) == 0) {
                c++;
                continue;
            }
            int start = c;
            while (c < chunks && (counters[c] & NEEDED) != 0) {
                c++;
            }
            long from = (long) start << chunkShift;
            long to = Math.min(syncSectors, (long) c << chunkShift);
            out.add(new long[] {from, to - from});
        }
        return out;
    }

    /** How many chunks have their bit set (what mdadm -X calls dirty, as the bits are on disk or about to be). */
    public synchronized int dirtyBits() {
        int n = 0;
        for (int c = 0; c < chunks; c++) {
            if (storage.bit(c)) {
                n++;
            }
        }
        return n;
    }

    /** PAGE_COUNTER_RATIO: chunks per in-memory counter page (4 KiB of 16-bit counters). */
    private static final int COUNTERS_PER_PAGE = BitmapStorage.PAGE_SIZE * 8 / 16;

    /**
     * md_bitmap_status, what /proc/mdstat shows after "bitmap: " and md_list's bitmap field: counter pages in use
     * (those with a dirty chunk) of all, their KiB, the chunk, e.g. {@code "1/1 pages [4KB], 65536KB chunk"}.
     */
    public synchronized String statusText() {
        int pages = (chunks + COUNTERS_PER_PAGE - 1) / COUNTERS_PER_PAGE;
        int used = 0;
        for (int p = 0; p < pages; p++) {
            for (int c = p * COUNTERS_PER_PAGE; c < Math.min(chunks, (p + 1) * COUNTERS_PER_PAGE); c++) {
                if (counters[c] != 0) {
                    used++;
                    break;
                }
            }
        }
        long chunkBytes = chunkSectors << Bio.SECTOR_SHIFT;
        String chunk = chunkBytes >> 10 != 0 ? (chunkBytes >> 10) + "KB" : chunkBytes + "B";
        return used + "/" + pages + " pages [" + used * (BitmapStorage.PAGE_SIZE >> 10) + "KB], " + chunk + " chunk";
    }

    /**
     * The array's {@code bitmap/NAME} sysfs attributes as md shows them (without the newline): location "+8",
     * chunksize in bytes, time_base (daemon_sleep seconds), metadata "internal", backlog and max_backlog_used
     * (write-behind, 0), can_clear ("false" while a new events_cleared waits to be written); null for others.
     */
    public synchronized String sysfsAttr(String name) {
        return switch (name) {
            case "location" -> String.format("%+d", placement.bitmapOffset());
            case "chunksize" -> Long.toString(chunkSectors << Bio.SECTOR_SHIFT);
            case "time_base" -> Integer.toString(sb.daemonSleep());
            case "metadata" -> "internal";
            case "backlog", "max_backlog_used" -> "0";
            case "can_clear" -> needSync ? "false" : "true";
            default -> null;
        };
    }

    /**
     * A resync or recovery made [sector, sector + sectors) consistent (md_bitmap_end_sync after
     * md_bitmap_start_sync): its whole chunks lose NEEDED, so the daemon clears their bits once no write is in
     * flight. Nothing changes while the array is degraded: the bits must stay for the missing member.
     */
    public void clearRegion(long sector, long sectors) {
        if (mddev.personality().degraded() > 0 || sectors <= 0) {
            return;
        }
        long end = Math.min(syncSectors, sector + sectors);
        synchronized (this) {
            long firstFull = (sector + chunkSectors - 1) >> chunkShift;
            for (long c = firstFull; c < chunks; c++) {
                long chunkEnd = Math.min(syncSectors, (c + 1) << chunkShift);
                if (chunkEnd > end) {
                    break;
                }
                int i = (int) c;
                int v = counters[i] & ~NEEDED;
                if (v == 0 && storage.bit(i)) {
                    v = 2; // a bit set on disk with no counter (never loaded as dirty): let the daemon clear it
                }
                counters[i] = v;
            }
        }
    }

    /**
     * md_bitmap_flush + md_bitmap_destroy on a clean stop: daemon passes until no idle chunk is left dirty, the
     * header written, then the daemon stops.
     */
    public void close() {
        if (closed) {
            return;
        }
        if (daemon != null) {
            daemon.cancel(false);
        }
        for (int i = 0; i < 3; i++) {
            daemonPass();
        }
        updateSuper(events());
        closed = true;
    }

    /** Stops the daemon without writing anything more: what a crash leaves (for tests and forced stops). */
    void abandon() {
        closed = true;
        if (daemon != null) {
            daemon.cancel(false);
        }
    }

    @Override
    public String toString() {
        return "bitmap of " + mddev.name() + ": " + chunks + " chunks of " + chunkSectors + " sectors";
    }
}
