package jdm.md;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import jdm.block.BlkStatus;
import jdm.block.Errno;
import jdm.md.sb.BitmapSuper;
import jdm.md.sb.Superblock1;

/**
 * One array's lifecycle around its {@link Mddev} (md.c): the superblocks kept for every member and rewritten on every
 * state change (md_update_sb / super_1_sync), the events counter, the clean/active state with safe mode
 * (md_write_start marks the array active on disk before the first write after it was clean; after
 * {@link #safeModeDelayMillis} without writes it is marked clean again), the sync thread (resync, recovery onto
 * spares, check, repair; md_check_recovery and md_reap_sync_thread), failures, and stop (do_md_stop).
 *
 * <p>An array assembled without enough members to start is inactive: its members are held, {@link #mddev()} is null.
 */
public final class MdArray {
    /** md.c's default safe_mode_delay (200 ms). */
    static final long SAFE_MODE_DELAY_MILLIS = 200;

    /** mddev->ro: 0 read-write, 1 read-only, 2 read-auto (read-only until the first write). */
    public enum ReadMode { RW, READONLY, READ_AUTO }

    private final MdArrays arrays;
    private final int minor;
    private final String name;
    private final List<MdMember> members = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private final Object sbLock = new Object();
    private final ScheduledExecutorService timer;

    private volatile Mddev mddev;
    private final Superblock1 array;          // the array-wide fields (uuid, name, ctime, level, ...)
    private volatile long events;
    private volatile long recoveryCp;         // resync checkpoint: MAX_SECTOR when in sync (mddev->recovery_cp)
    private volatile boolean inSync = true;   // "clean" (mddev->in_sync)
    private volatile ReadMode readMode = ReadMode.RW;
    private volatile long safeModeDelayMillis = SAFE_MODE_DELAY_MILLIS;
    private volatile long syncSpeedMin;       // 0: the system's speed_limit_min
    private volatile long syncSpeedMax;
    private int openers;
    private int writesPending;
    private int pendingChecks;                // md_error's deferred superblock update + recovery check
    private boolean markingActive;
    private final List<Runnable> waitingForActive = new ArrayList<>();
    private ScheduledFuture<?> safeModeTimer;

    private SyncThread sync;
    private SyncAction lastSyncAction;
    private volatile long lastMismatches;
    private volatile long lastSyncedSectors;
    private final java.util.Map<Rdev, Integer> savedRoles = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<Rdev, Long> bitmapRecoverable = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean frozen;
    private volatile boolean stopping;
    private volatile Bitmap bitmap;
    private volatile boolean crashed;

    MdArray(MdArrays arrays, int minor, Superblock1 array, long events, long recoveryCp) {
        this.arrays = arrays;
        this.minor = minor;
        this.name = "md" + minor;
        this.array = array;
        this.events = events;
        this.recoveryCp = recoveryCp;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
                .name(name + "_safemode").factory());
    }

    // ---- identity and queries ----

    public String name() {
        return name;
    }

    public int minor() {
        return minor;
    }

    /** The running array, or null while inactive. */
    public Mddev mddev() {
        return mddev;
    }

    public boolean active() {
        return mddev != null;
    }

    public List<MdMember> members() {
        return List.copyOf(members);
    }

    /** The array-wide superblock fields (a copy). */
    public Superblock1 info() {
        synchronized (sbLock) {
            return array.copy();
        }
    }

    public long events() {
        return events;
    }

    public long recoveryCp() {
        return recoveryCp;
    }

    public boolean inSync() {
        return inSync;
    }

    public ReadMode readMode() {
        return readMode;
    }

    public long utime() {
        synchronized (sbLock) {
            return array.utime();
        }
    }

    public synchronized int openers() {
        return openers;
    }

    public MdArrays arrays() {
        return arrays;
    }

    /** A user (NBD connection, dm table) opened the array. */
    public synchronized void open() {
        openers++;
    }

    public synchronized void release() {
        openers--;
    }

    public long safeModeDelayMillis() {
        return safeModeDelayMillis;
    }

    public void setSafeModeDelayMillis(long millis) {
        safeModeDelayMillis = millis;
    }

    /** sync_speed_min as set for this array (0: the system's). */
    public long syncSpeedMinSetting() {
        return syncSpeedMin;
    }

    public long syncSpeedMaxSetting() {
        return syncSpeedMax;
    }

    public void setSyncSpeedMin(long kibs) {
        syncSpeedMin = kibs;
    }

    public void setSyncSpeedMax(long kibs) {
        syncSpeedMax = kibs;
    }

    long speedMin() {
        return syncSpeedMin != 0 ? syncSpeedMin : arrays.settings().speedLimitMin();
    }

    long speedMax() {
        return syncSpeedMax != 0 ? syncSpeedMax : arrays.settings().speedLimitMax();
    }

    /** The sync pass running now, or null. */
    public SyncThread sync() {
        synchronized (lock) {
            return sync;
        }
    }

    /** The last check/repair's mismatch count (mismatch_cnt), in sectors. */
    public long mismatches() {
        SyncThread s = sync();
        return s != null && (s.action() == SyncAction.CHECK || s.action() == SyncAction.REPAIR) ? s.mismatches()
                : lastMismatches;
    }

    /** Sectors the last finished sync pass actually synced (a bitmap-driven resync skips clean regions). */
    public long lastSyncedSectors() {
        return lastSyncedSectors;
    }

    public boolean frozen() {
        return frozen;
    }

    public SyncAction lastSyncAction() {
        return lastSyncAction;
    }

    /** The member named path (as it was added, or its sysfs dev-X name), or null. */
    public MdMember member(String nameOrPath) {
        for (MdMember m : members) {
            if (m.path().equals(nameOrPath) || m.sysfsName().equals(nameOrPath)
                    || m.sysfsName().equals("dev-" + nameOrPath)) {
                return m;
            }
        }
        return null;
    }

    public MdMember member(Rdev rdev) {
        for (MdMember m : members) {
            if (m.rdev() == rdev) {
                return m;
            }
        }
        return null;
    }

    // ---- starting ----

    void addMember(MdMember m) {
        members.add(m);
    }

    /**
     * do_md_run: starts the personality over the members, hooks failures and safe mode in, writes the superblocks
     * and starts whatever sync is due. Throws the personality's refusal, leaving the array inactive.
     */
    void run(ReadMode mode) throws MdException {
        run(mode, null);
    }

    /** As {@link #run(ReadMode)}; with createBitmap (a --create's bitmap header) the bitmap is written new. */
    void run(ReadMode mode, BitmapSuper createBitmap) throws MdException {
        List<Rdev> rdevs = new ArrayList<>();
        for (MdMember m : members) {
            rdevs.add(m.rdev());
        }
        ArrayGeometry g = new ArrayGeometry(array.level(), array.layout(), array.chunkSize(), array.raidDisks(),
                array.size());
        Mddev md = Mddev.run(name, minor, g, rdevs, arrays.registry(), arrays.kernelLog());
        md.addFailureListener((dev, rdev) -> memberFailed(rdev));
        md.setWriteGate(new SafeMode());
        if (array.hasFeature(Superblock1.FEATURE_BITMAP_OFFSET)) {
            try {
                startBitmap(md, createBitmap);
            } catch (MdException | RuntimeException e) {
                md.close();
                throw e;
            }
        }
        readMode = mode;
        md.setReadOnly(mode == ReadMode.READONLY);
        mddev = md;
        if (mode != ReadMode.READONLY) {
            updateSuperblocks();
            checkRecovery();
        }
        arrays.changed();
    }

    /**
     * md_bitmap_create + md_bitmap_load: the internal bitmap at bitmap_offset from the superblock, written new for a
     * create (every bit set unless --assume-clean) or read back, and put in the array's write path.
     */
    private void startBitmap(Mddev md, BitmapSuper createBitmap) throws MdException {
        long superOffset = members.getFirst().sb().superOffset();
        Bitmap b;
        if (createBitmap != null) {
            b = Bitmap.create(md, new Bitmap.Placement(superOffset, array.bitmapOffset(),
                    createBitmap.sectorsReserved()), array.uuid(), createBitmap.chunksize(),
                    md.personality().syncSectors(SyncAction.RESYNC), createBitmap.daemonSleep(), events, recoveryCp);
        } else {
            b = Bitmap.load(md, new Bitmap.Placement(superOffset, array.bitmapOffset(), 0), array.uuid(), events,
                    recoveryCp);
        }
        md.setWriteIntent(b);
        bitmap = b;
    }

    /**
     * mdadm --grow --bitmap=internal|none on a running array (md's bitmap_store / SET_BITMAP_FILE with an internal
     * bitmap): the array quiesced, an internal bitmap written at bitmap_offset 8 (mdadm's choice of chunk, every
     * chunk clean) and put in the write path, or the bitmap flushed and dropped; then the superblocks updated.
     */
    public void setInternalBitmap(boolean internal) throws MdException, InterruptedException {
        Mddev md = requireRunning();
        int level = array.level();
        if (internal && (level <= 0)) {
            throw MdException.invalid("mdadm: bitmaps not meaningful with level " + MdAttributes.levelName(level));
        }
        if (internal == (bitmap != null)) {
            throw MdException.invalid(internal ? "mdadm: /dev/" + name + " already has a bitmap (internal)"
                    : "mdadm: no bitmap found on /dev/" + name);
        }
        md.personality().quiesce(true);
        try {
            if (internal) {
                long sync = md.personality().syncSectors(SyncAction.RESYNC);
                BitmapSuper plan;
                try {
                    plan = BitmapSuper.forCreate(array.uuid(), array.size(), sync, 0);
                } catch (IllegalArgumentException e) {
                    throw MdException.invalid("mdadm: " + e.getMessage());
                }
                int offset = (int) Superblock1.SUPER_OFFSET_V12; // bitmap 4 KiB after the superblock, as mdadm
                long superOffset = members.getFirst().sb().superOffset();
                for (MdMember m : members) {
                    if (m.rdev().dataOffset() < superOffset + offset + 8) {
                        throw new MdException(jdm.block.Errno.ENOSPC, "mdadm: no room for a bitmap on "
                                + m.path());
                    }
                }
                Bitmap b = Bitmap.create(md, new Bitmap.Placement(superOffset, offset, 0), array.uuid(),
                        plan.chunksize(), sync, plan.daemonSleep(), events, Rdev.MAX_SECTOR);
                synchronized (sbLock) {
                    array.setBitmapOffset(offset);
                    array.setFeatureMap(array.featureMap() | Superblock1.FEATURE_BITMAP_OFFSET);
                    for (MdMember m : members) {
                        m.sb().setBitmapOffset(offset);
                        m.sb().setFeatureMap(m.sb().featureMap() | Superblock1.FEATURE_BITMAP_OFFSET);
                    }
                }
                md.setWriteIntent(b);
                bitmap = b;
            } else {
                Bitmap b = bitmap;
                md.setWriteIntent(null);
                bitmap = null;
                b.close();
                synchronized (sbLock) {
                    array.setBitmapOffset(0);
                    array.setFeatureMap(array.featureMap() & ~Superblock1.FEATURE_BITMAP_OFFSET);
                    for (MdMember m : members) {
                        m.sb().setBitmapOffset(0);
                        m.sb().setFeatureMap(m.sb().featureMap() & ~Superblock1.FEATURE_BITMAP_OFFSET);
                    }
                }
            }
        } finally {
            md.personality().quiesce(false);
        }
        updateSuperblocks();
        arrays.changed();
    }

    /** The internal write-intent bitmap, or null. */
    public Bitmap bitmap() {
        return bitmap;
    }

    // ---- superblocks (md_update_sb) ----

    /**
     * md_update_sb: events++, utime now, then every non-faulty member's superblock synced from the array and its
     * rdev (super_1_sync) and written with FUA. A member whose write fails is failed (md_error).
     */
    public void updateSuperblocks() {
        if (crashed) {
            return;
        }
        List<Rdev> failedWrites = new ArrayList<>();
        synchronized (sbLock) {
            events++;
            long now = System.currentTimeMillis();
            array.setUtime(Superblock1.time(now / 1000, (int) (now % 1000) * 1000));
            for (MdMember m : members) {
                if (m.rdev().faulty()) {
                    continue;
                }
                syncSuper(m);
                if (SuperblockIo.write(m.rdev(), m.sb()) != BlkStatus.OK) {
                    failedWrites.add(m.rdev());
                }
            }
        }
        Bitmap b = bitmap;
        if (b != null) {
            b.updateSuper(events);
        }
        Mddev md = mddev;
        for (Rdev r : failedWrites) {
            arrays.log("md: super_written gets error=-5");
            if (md != null) {
                md.error(r);
            }
        }
    }

    /** super_1_sync: this member's superblock from the array's state and its rdev. */
    private void syncSuper(MdMember m) {
        Superblock1 sb = m.sb();
        Rdev rdev = m.rdev();
        int keep = sb.featureMap() & (Superblock1.FEATURE_BITMAP_OFFSET | Superblock1.FEATURE_RAID0_LAYOUT);
        sb.setFeatureMap(keep);
        sb.setRecoveryOffset(0);
        sb.setUtime(array.utime());
        sb.setEvents(events);
        sb.setResyncOffset(inSync ? unsigned(recoveryCp) : 0);
        sb.setCntCorrectedRead(rdev.correctedErrors());
        sb.setRaidDisks(array.raidDisks());
        sb.setSize(array.size());
        sb.setChunkSize(array.chunkSize());
        sb.setLevel(array.level());
        sb.setLayout(array.layout());
        sb.setDevflags(rdev.has(Rdev.Flag.WRITE_MOSTLY) ? sb.devflags() | Superblock1.DEVFLAG_WRITE_MOSTLY
                : sb.devflags() & ~Superblock1.DEVFLAG_WRITE_MOSTLY);
        sb.setDataOffset(rdev.dataOffset());
        sb.setDataSize(rdev.sectors());
        if (rdev.role() >= 0 && !rdev.inSync()) {
            sb.setFeatureMap(sb.featureMap() | Superblock1.FEATURE_RECOVERY_OFFSET);
            sb.setRecoveryOffset(rdev.recoveryOffset());
        }
        if (rdev.has(Rdev.Flag.REPLACEMENT)) {
            sb.setFeatureMap(sb.featureMap() | Superblock1.FEATURE_REPLACEMENT);
        }
        int maxDev = sb.maxDev();
        for (MdMember o : members) {
            maxDev = Math.max(maxDev, o.devNumber() + 1);
        }
        sb.setMaxDev(maxDev);
        for (int i = 0; i < maxDev; i++) {
            sb.setRole(i, Superblock1.ROLE_SPARE);
        }
        for (MdMember o : members) {
            Rdev r = o.rdev();
            int role = r.faulty() ? Superblock1.ROLE_FAULTY : r.role() >= 0 ? r.role() : Superblock1.ROLE_SPARE;
            sb.setRole(o.devNumber(), role);
        }
    }

    private static long unsigned(long sector) {
        return sector == Rdev.MAX_SECTOR ? Superblock1.MAX_SECTOR : sector;
    }

    // ---- safe mode (md_write_start / md_write_end) ----

    /**
     * The array's write gate: the first write while clean waits until the superblocks say "active"; the last write
     * to end arms the safe-mode timer, which marks the array clean again.
     */
    private final class SafeMode implements WriteIntent {
        @Override
        public void startWrite(long sector, long sectors, Runnable then) {
            Runnable go = then;
            boolean startUpdate = false;
            synchronized (lock) {
                writesPending++;
                if (safeModeTimer != null) {
                    safeModeTimer.cancel(false);
                    safeModeTimer = null;
                }
                if (readMode == ReadMode.READ_AUTO) {
                    readMode = ReadMode.RW;
                }
                if (inSync || markingActive) {
                    waitingForActive.add(go);
                    if (!markingActive) {
                        markingActive = true;
                        startUpdate = true;
                    }
                    go = null;
                }
            }
            if (startUpdate) {
                Thread.startVirtualThread(MdArray.this::markActive);
            }
            if (go != null) {
                go.run();
            }
        }

        @Override
        public void endWrite(long sector, long sectors, boolean ok) {
            synchronized (lock) {
                if (--writesPending == 0 && !stopping) {
                    armSafeMode();
                }
            }
        }
    }

    private void markActive() {
        inSync = false;
        updateSuperblocks();
        List<Runnable> go;
        synchronized (lock) {
            markingActive = false;
            go = List.copyOf(waitingForActive);
            waitingForActive.clear();
        }
        go.forEach(Runnable::run);
    }

    private void armSafeMode() {
        if (safeModeDelayMillis <= 0) {
            return;
        }
        safeModeTimer = timer.schedule(this::safeModeExpired, safeModeDelayMillis, TimeUnit.MILLISECONDS);
    }

    /** md_check_recovery's safe-mode branch: no write for safe_mode_delay, so the array is clean again. */
    private void safeModeExpired() {
        synchronized (lock) {
            if (writesPending > 0 || inSync || markingActive) {
                return;
            }
            inSync = true;
        }
        updateSuperblocks();
        arrays.changed();
    }

    // ---- failures and recovery (md_error, md_check_recovery, md_reap_sync_thread) ----

    private void memberFailed(Rdev rdev) {
        SyncThread s;
        synchronized (lock) {
            s = sync;
        }
        if (s != null && s.action() != SyncAction.RECOVER) {
            s.interrupt(); // md_error sets MD_RECOVERY_INTR; the reap restarts what is due
        }
        synchronized (lock) {
            pendingChecks++;
        }
        Thread.startVirtualThread(() -> {
            try {
                updateSuperblocks();
                checkRecovery();
                arrays.changed();
            } finally {
                synchronized (lock) {
                    pendingChecks--;
                    lock.notifyAll();
                }
            }
        });
    }

    /**
     * md_check_recovery: unless a sync runs, the array is frozen, read-only or stopping, hands spares to the
     * personality for missing roles (remove_and_add_spares) and starts the sync that is due: a resync when the
     * array is dirty, else recovery when a member in a role is not in sync.
     */
    public void checkRecovery() {
        Mddev md = mddev;
        if (md == null || stopping || frozen || readMode != ReadMode.RW) {
            return;
        }
        synchronized (lock) {
            if (sync != null) {
                return;
            }
            boolean added = false;
            if (md.personality().degraded() > 0) {
                for (MdMember m : members) {
                    Rdev r = m.rdev();
                    if (r.role() < 0 && !r.faulty()) {
                        r.setRecoveryOffset(0);
                        Integer saved = savedRoles.get(r);
                        if (saved != null && md.rdev(saved) == null) {
                            r.setRole(saved); // rdev->saved_raid_disk: a re-added member asks for its old slot
                        }
                        if (md.personality().hotAdd(r)) {
                            arrays.log("md: recovery of " + name + " onto " + r.name());
                            added = true;
                        }
                    }
                    if (md.personality().degraded() == 0) {
                        break;
                    }
                }
            }
            added |= startReplacement(md);
            if (added) {
                Thread.startVirtualThread(this::updateSuperblocks);
            }
            if (recoveryCp != Rdev.MAX_SECTOR && hasRedundancy(md)) {
                startSync(SyncAction.RESYNC, recoveryCp);
                return;
            }
            long from = Rdev.MAX_SECTOR;
            for (MdMember m : members) {
                Rdev r = m.rdev();
                if (r.role() >= 0 && !r.faulty() && !r.inSync()) {
                    from = Math.min(from, r.recoveryOffset());
                }
            }
            if (from != Rdev.MAX_SECTOR) {
                startRecovery(md, from);
            }
        }
    }

    /**
     * A member marked want_replacement gets a spare as its replacement (md's rdev->replacement): with no empty role,
     * the personality's hot_add makes the spare the replacement, rebuilt by recovery while the original stays in
     * service (raid1, raid10). True when one was taken.
     */
    private boolean startReplacement(Mddev md) {
        if (md.personality().degraded() > 0 || members.stream().noneMatch(m -> m.rdev().has(
                Rdev.Flag.WANT_REPLACEMENT) && !m.rdev().faulty() && m.rdev().role() >= 0
                && md.replacement(m.rdev().role()) == null)) {
            return false;
        }
        for (MdMember m : members) {
            Rdev r = m.rdev();
            if (r.role() < 0 && !r.faulty() && md.personality().hotAdd(r)) {
                arrays.log("md: " + name + ": " + r.name() + " replaces the member of role " + r.role());
                return true;
            }
        }
        return false;
    }

    private static boolean hasRedundancy(Mddev md) {
        int level = md.geometry().level();
        return level == 1 || level == 4 || level == 5 || level == 6 || level == 10;
    }

    /**
     * Recovery of the members not in sync: when each of them is a re-added member the bitmap still covers (no bit
     * cleared since it left: md_bitmap's events_cleared), only the bitmap's dirty regions are rebuilt, as raid1/10
     * skip clean chunks when fullsync is off; otherwise everything from the lowest recovery_offset.
     */
    private void startRecovery(Mddev md, long from) {
        Bitmap b = bitmap;
        long oldest = Long.MAX_VALUE;
        boolean partial = b != null;
        for (MdMember m : members) {
            Rdev r = m.rdev();
            if (r.role() >= 0 && !r.faulty() && !r.inSync()) {
                Long events = bitmapRecoverable.get(r);
                partial &= events != null;
                oldest = events == null ? oldest : Math.min(oldest, events);
            }
        }
        List<long[]> regions = partial ? b.recoveryRegions(oldest) : null;
        if (regions == null) {
            startSync(SyncAction.RECOVER, from);
            return;
        }
        lastSyncAction = SyncAction.RECOVER;
        arrays.log("md: recovery of RAID array " + name + " from the bitmap");
        sync = SyncThread.start(md, SyncAction.RECOVER, from, new Host(), regions, SyncThread.WINDOW_SECTORS);
        arrays.changed();
    }

    /** Starts action at from (lock held); for CHECK and REPAIR the mismatch count starts again. */
    private void startSync(SyncAction action, long from) {
        Mddev md = mddev;
        lastSyncAction = action;
        if (action == SyncAction.CHECK || action == SyncAction.REPAIR) {
            lastMismatches = 0;
        }
        arrays.log("md: " + action.sysfsName() + " of RAID array " + name);
        sync = SyncThread.start(md, action, from, new Host());
        arrays.changed();
    }

    /** What the sync thread reports back: the speed limits, checkpoints and the end of its pass. */
    private final class Host implements SyncThread.Host {
        @Override
        public long speedMinKibs() {
            return speedMin();
        }

        @Override
        public long speedMaxKibs() {
            return speedMax();
        }

        @Override
        public void checkpoint(SyncAction action, long position) {
            record(action, position, false);
            updateSuperblocks();
        }

        @Override
        public void finished(SyncAction action, long position, boolean completed) {
            Mddev md = mddev;
            record(action, position, completed);
            if (action == SyncAction.RECOVER && completed && md != null) {
                for (MdMember m : members) {
                    Rdev r = m.rdev();
                    if (r.role() >= 0 && !r.faulty() && !r.inSync()) {
                        r.setRecoveryOffset(Rdev.MAX_SECTOR); // all of it done (a bitmap pass skips clean chunks)
                    }
                    savedRoles.remove(r);
                    bitmapRecoverable.remove(r);
                }
                int n = md.personality().spareActive();
                for (MdMember m : members) {
                    Rdev r = m.rdev();
                    if (r.role() >= 0 && !r.faulty() && r.inSync()) {
                        r.setRecoveryOffset(Rdev.MAX_SECTOR);
                    }
                }
                if (n > 0) {
                    arrays.log("md: " + name + ": recovery done.");
                }
            } else if (completed) {
                arrays.log("md: " + name + ": " + action.sysfsName() + " done.");
            }
            synchronized (lock) {
                SyncThread s = sync;
                if (s != null && (action == SyncAction.CHECK || action == SyncAction.REPAIR)) {
                    lastMismatches = s.mismatches();
                }
                if (s != null) {
                    lastSyncedSectors = s.syncedSectors();
                }
                sync = null;
                pendingChecks++;
                lock.notifyAll();
            }
            try {
                updateSuperblocks();
                arrays.changed();
                if (!stopping) {
                    checkRecovery();
                }
            } finally {
                synchronized (lock) {
                    pendingChecks--;
                    lock.notifyAll();
                }
            }
        }

        private void record(SyncAction action, long position, boolean completed) {
            if (action == SyncAction.RESYNC) {
                recoveryCp = completed ? Rdev.MAX_SECTOR : Math.max(position, recoveryCp == Rdev.MAX_SECTOR ? 0
                        : recoveryCp);
            } else if (action == SyncAction.RECOVER && !completed) {
                for (MdMember m : members) {
                    Rdev r = m.rdev();
                    if (r.role() >= 0 && !r.faulty() && !r.inSync()) {
                        r.setRecoveryOffset(position);
                    }
                }
            }
        }
    }

    /** Interrupts the sync pass, if any, and waits for it to have checkpointed and ended. */
    public void stopSync() throws InterruptedException {
        SyncThread s;
        synchronized (lock) {
            s = sync;
        }
        if (s != null) {
            s.interrupt();
            s.await();
            synchronized (lock) {
                while (sync == s) {
                    lock.wait(100);
                }
            }
        }
    }

    /** sync_action writes: check, repair (start a pass), idle (interrupt; due work restarts), frozen. */
    public void requestSync(String word) throws MdException, InterruptedException {
        Mddev md = mddev;
        switch (word) {
            case "frozen" -> {
                frozen = true;
                stopSync();
            }
            case "idle" -> {
                frozen = false;
                stopSync();
                checkRecovery();
            }
            case "resync", "recover" -> {
                frozen = false;
                checkRecovery();
            }
            case "check", "repair" -> {
                if (md == null || !hasRedundancy(md)) {
                    throw MdException.invalid("sync_action " + word + " needs a redundant array");
                }
                if (readMode != ReadMode.RW) {
                    throw new MdException(Errno.EROFS, "array is read-only");
                }
                synchronized (lock) {
                    if (sync != null) {
                        throw MdException.busy("a sync is running");
                    }
                    frozen = false;
                    startSync(word.equals("check") ? SyncAction.CHECK : SyncAction.REPAIR, 0);
                }
            }
            default -> throw MdException.invalid("unknown sync_action " + word);
        }
    }

    /** Waits up to millis for the running sync pass (if any) and whatever it starts next to end. */
    public boolean awaitIdle(long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        synchronized (lock) {
            while (sync != null || pendingChecks > 0) {
                long left = end - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.min(left, 50));
            }
        }
        return true;
    }

    // ---- managing members ----

    /** Fails a member as md_error does ("mdadm --fail", dev-X/state "faulty"); EBUSY when the array cannot lose it. */
    public void fail(MdMember m) throws MdException {
        Mddev md = requireRunning();
        if (m.rdev().faulty()) {
            return;
        }
        if (m.rdev().role() < 0) {
            m.rdev().set(Rdev.Flag.FAULTY); // a spare just goes
            updateSuperblocks();
            arrays.changed();
            return;
        }
        md.error(m.rdev());
        if (!m.rdev().faulty()) {
            throw MdException.busy("md: cannot fail " + m.path() + ": the array cannot run without it");
        }
    }

    /** hot_remove_disk: takes a faulty or spare member out; EBUSY while it still has a role and works. */
    public void remove(MdMember m) throws MdException {
        Mddev md = requireRunning();
        Rdev r = m.rdev();
        if (r.role() >= 0 && !r.faulty()) {
            throw MdException.busy("md: cannot remove active disk " + m.path() + " from " + name);
        }
        if (!md.personality().hotRemove(r)) {
            throw MdException.busy("md: cannot remove " + m.path() + " from " + name + ": still in use");
        }
        r.setRole(-1);
        members.remove(m);
        md.removeRdev(r);
        updateSuperblocks();
        arrays.changed();
    }

    /** Adds a new member (hot_add_disk): as a spare, which recovery then puts into a missing role. */
    void addSpare(MdMember m) {
        addSpare(m, -1, -1);
    }

    /**
     * As {@link #addSpare(MdMember)} for a re-added former member: it asks for its old role, and with its event
     * count the bitmap may let recovery rebuild only what changed since it left.
     */
    void addSpare(MdMember m, int oldRole, long oldEvents) {
        if (oldRole >= 0) {
            savedRoles.put(m.rdev(), oldRole);
            bitmapRecoverable.put(m.rdev(), oldEvents);
        }
        Mddev md = mddev;
        members.add(m);
        md.addRdev(m.rdev());
        updateSuperblocks();
        checkRecovery();
        arrays.changed();
    }

    /** Lowest devNumber no member uses from start (bind_rdev_to_array's choice). */
    int freeDevNumber(int start) {
        int n = start;
        while (true) {
            int c = n;
            if (members.stream().noneMatch(m -> m.devNumber() == c)) {
                return n;
            }
            n++;
        }
    }

    Mddev requireRunning() throws MdException {
        Mddev md = mddev;
        if (md == null) {
            throw new MdException(Errno.ENODEV, name + " is not running");
        }
        return md;
    }

    /** array_state writes: clean/active/readonly/read-auto on a running array. */
    public void setReadMode(ReadMode mode) throws MdException {
        Mddev md = requireRunning();
        readMode = mode;
        md.setReadOnly(mode == ReadMode.READONLY);
        if (mode == ReadMode.RW) {
            checkRecovery();
        }
        arrays.changed();
    }

    /** array_state "clean" write: clean now if nothing is being written (else EBUSY). */
    public void markClean() throws MdException {
        synchronized (lock) {
            if (writesPending > 0) {
                throw MdException.busy("writes pending");
            }
            inSync = true;
        }
        updateSuperblocks();
    }

    // ---- stop (do_md_stop) ----

    /**
     * Stops the array: EBUSY while anyone has it open; otherwise the sync pass is interrupted (checkpointing), the
     * superblocks are written clean, the personality stops and the members are let go.
     */
    public void stop() throws MdException, InterruptedException {
        synchronized (this) {
            if (openers > 0) {
                throw MdException.busy("mdadm: Cannot get exclusive access to /dev/" + name
                        + ":Perhaps a running process, mounted filesystem or active volume group?");
            }
            stopping = true;
        }
        try {
            stopSync();
            Mddev md = mddev;
            if (md != null) {
                md.personality().quiesce(true);
                synchronized (lock) {
                    if (safeModeTimer != null) {
                        safeModeTimer.cancel(false);
                    }
                    inSync = true;
                }
                if (bitmap != null && readMode != ReadMode.READONLY) {
                    bitmap.close();
                }
                if (readMode != ReadMode.READONLY) {
                    updateSuperblocks();
                }
                md.personality().quiesce(false);
                md.close();
                mddev = null;
            } else {
                for (MdMember m : members) {
                    m.rdev().close();
                }
            }
            members.clear();
        } finally {
            timer.shutdownNow();
            arrays.log("md: " + name + " stopped.");
            arrays.release(minor);
        }
    }

    /** Drops the array without writing clean superblocks: what a crash leaves (tests of resume from checkpoints). */
    void abandon() throws InterruptedException {
        crashed = true;
        stopping = true;
        if (bitmap != null) {
            bitmap.abandon();
        }
        SyncThread s = sync();
        if (s != null) {
            s.interrupt();
            s.await();
        }
        timer.shutdownNow();
        Mddev md = mddev;
        if (md != null) {
            md.close();
            mddev = null;
        } else {
            members.forEach(m -> m.rdev().close());
        }
        members.clear();
        arrays.release(minor);
    }

    @Override
    public String toString() {
        return name + " (" + array.level() + ", " + members.size() + " members)";
    }
}
