package jdm.dm.targets;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import jdm.block.Bio;
import jdm.block.Op;
import jdm.dm.DeviceVisitor;
import jdm.dm.DmDev;
import jdm.dm.DmException;
import jdm.dm.MapResult;
import jdm.dm.StatusType;
import jdm.dm.Target;
import jdm.dm.TargetArgs;
import jdm.dm.TargetType;

/**
 * delay: maps reads, writes and flushes each onto a device from a start sector, holding each bio back for that
 * class's delay first (drivers/md/dm-delay.c of Linux 6.1, Documentation/admin-guide/device-mapper/delay.rst).
 *
 * <pre>delay &lt;device&gt; &lt;offset&gt; &lt;delay&gt; [&lt;write_device&gt; &lt;write_offset&gt; &lt;write_delay&gt;
 *       [&lt;flush_device&gt; &lt;flush_offset&gt; &lt;flush_delay&gt;]]</pre>
 * With 3 arguments all bios use the one class; with 6 the first set is for reads and the second for writes and
 * flushes; with 9 flushes get the third. Writes, discards and write-zeroes are writes. Delays are in milliseconds;
 * a class with delay 0 passes its bios straight down.
 *
 * <p>Delayed bios park in a per-target queue, not on a thread: one timer thread shared by every delay target of the
 * process (created on first use) wakes at the earliest expiry and hands the expired bios, as one batch, to a virtual
 * thread that sends them down. Presuspend stops delaying and sends every queued bio down at once (6.1's
 * delay_presuspend); resume delays again.
 *
 * <p>Status INFO is {@code <reads> <writes> <flushes>}: the bios of each class queued right now; TABLE is
 * {@code <dev> <offset> <delay>} for reads, then for writes with 6 or more arguments, then for flushes with 9.
 */
public final class DelayTarget implements Target {
    public static final TargetType TYPE = new TargetType("delay", new int[] {1, 3, 0}, DelayTarget::create);

    /** One timer thread for all delay targets, created on first use: the kernel's timer wheel plus kdelayd. */
    private static final class SharedTimer {
        static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jdm-delay-timer");
            t.setDaemon(true);
            return t;
        });
    }

    /** A device, offset and delay, with the bios it holds back (the kernel's struct delay_class). */
    private static final class DelayClass {
        final DmDev dev;
        final long startSector;
        final long delayMillis;
        final ArrayDeque<Pending> queue = new ArrayDeque<>(); // expiries ascend: one delay, a monotonic clock

        DelayClass(DmDev dev, long startSector, long delayMillis) {
            this.dev = dev;
            this.startSector = startSector;
            this.delayMillis = delayMillis;
        }

        void emit(StringBuilder out) {
            out.append(dev.name()).append(' ').append(startSector).append(' ').append(delayMillis);
        }
    }

    /** A queued bio, when it is due, and its class as status counts it (READS, WRITES or FLUSHES). */
    private record Pending(Bio bio, long expiresNanos, int kind) {
    }

    private static final int READS = 0;
    private static final int WRITES = 1;
    private static final int FLUSHES = 2;

    private final DelayClass read;
    private final DelayClass write;
    private final DelayClass flush;
    private final int argc;
    private final long lengthSectors;
    private final LongSupplier nanoClock = System::nanoTime;
    private final Object lock = new Object();
    private boolean mayDelay = true;
    /** Bios queued per kind: the kernel's delay_class.ops, which status prints. */
    private final int[] queued = new int[3];
    /** When the earliest timer this target has asked for fires; Long.MAX_VALUE when none is pending. */
    private long timerAtNanos = Long.MAX_VALUE;

    private DelayTarget(DelayClass read, DelayClass write, DelayClass flush, int argc, long lengthSectors) {
        this.read = read;
        this.write = write;
        this.flush = flush;
        this.argc = argc;
        this.lengthSectors = lengthSectors;
    }

    static Target create(TargetArgs args) throws DmException {
        int argc = args.count();
        if (argc != 3 && argc != 6 && argc != 9) {
            throw DmException.invalid("Requires exactly 3, 6 or 9 arguments");
        }
        DelayClass read = delayClass(args, 0);
        DelayClass write = argc == 3 ? read : delayClass(args, 3);
        DelayClass flush = argc == 9 ? delayClass(args, 6) : write;
        return new DelayTarget(read, write, flush, argc, args.lengthSectors());
    }

    /** Reads one {@code <device> <offset> <delay>} triple from word i (6.1's delay_class_ctr, in its order). */
    private static DelayClass delayClass(TargetArgs args, int i) throws DmException {
        long start = TargetArgs.parseSector(args.word(i + 1));
        if (start < 0) {
            throw DmException.invalid("Invalid device sector");
        }
        long delay = scanUnsignedInt(args.word(i + 2));
        if (delay < 0) {
            throw DmException.invalid("Invalid delay");
        }
        return new DelayClass(args.device(args.word(i), "Device lookup failed"), start, delay);
    }

    /** sscanf("%u%c"): decimal digits only, the value taken modulo 2^32 as the kernel's conversion does. */
    private static long scanUnsignedInt(String w) {
        if (w.isEmpty() || !w.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return new BigInteger(w).longValue() & 0xffffffffL;
    }

    @Override
    public MapResult map(Bio bio) {
        int kind = switch (bio.op()) {
            case READ -> READS;
            case FLUSH -> FLUSHES;
            default -> WRITES; // bio_data_dir() == WRITE: writes, discards, write-zeroes
        };
        DelayClass c = kind == READS ? read : kind == WRITES ? write : flush;
        bio.remap(c.dev.device(), c.startSector + (bio.op() == Op.FLUSH ? 0 : bio.sector()));
        if (c.delayMillis == 0) {
            return MapResult.REMAPPED;
        }
        synchronized (lock) {
            if (!mayDelay) {
                return MapResult.REMAPPED;
            }
            // read under the lock, so each class's queue stays in expiry order
            long expires = nanoClock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(c.delayMillis);
            c.queue.addLast(new Pending(bio, expires, kind));
            queued[kind]++;
            armTimer(expires);
        }
        return MapResult.SUBMITTED;
    }

    /** Asks the shared timer to call {@link #expire} at the given time unless an earlier call is due (queue_timeout). */
    private void armTimer(long atNanos) {
        if (atNanos < timerAtNanos) {
            timerAtNanos = atNanos;
            SharedTimer.TIMER.schedule(this::expire, atNanos - nanoClock.getAsLong(), TimeUnit.NANOSECONDS);
        }
    }

    /** On the timer thread: sends the expired bios down, as one batch on a virtual thread, and re-arms. */
    private void expire() {
        List<Bio> due = new ArrayList<>();
        synchronized (lock) {
            long now = nanoClock.getAsLong();
            if (now < timerAtNanos) {
                return; // a later call superseded by an earlier one that has run: nothing of its own is due
            }
            timerAtNanos = Long.MAX_VALUE;
            long next = Long.MAX_VALUE;
            for (DelayClass c : classes()) {
                while (!c.queue.isEmpty() && c.queue.peekFirst().expiresNanos() <= now) {
                    due.add(take(c));
                }
                if (!c.queue.isEmpty()) {
                    next = Math.min(next, c.queue.peekFirst().expiresNanos());
                }
            }
            if (next != Long.MAX_VALUE) {
                armTimer(next);
            }
        }
        if (!due.isEmpty()) {
            // off the timer thread, so a slow lower device never holds back another delay device's bios
            Thread.ofVirtual().name("jdm-delay-submit").start(() -> due.forEach(Bio::submit));
        }
    }

    /** Takes the first bio of a class's queue (under the lock). */
    private Bio take(DelayClass c) {
        Pending p = c.queue.pollFirst();
        queued[p.kind()]--;
        return p.bio();
    }

    /** The distinct classes (with fewer than 9 arguments some are the same). */
    private List<DelayClass> classes() {
        List<DelayClass> out = new ArrayList<>(3);
        for (DelayClass c : new DelayClass[] {read, write, flush}) {
            if (!out.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }

    /** Stops delaying and sends every queued bio down now, on this thread (6.1's delay_presuspend). */
    @Override
    public void presuspend() {
        List<Bio> all = new ArrayList<>();
        synchronized (lock) {
            mayDelay = false;
            for (DelayClass c : classes()) {
                while (!c.queue.isEmpty()) {
                    all.add(take(c));
                }
            }
        }
        all.forEach(Bio::submit);
    }

    @Override
    public void resume() {
        synchronized (lock) {
            mayDelay = true;
        }
    }

    /** A table dropped while bios are still queued (never after a suspend) sends them down rather than lose them. */
    @Override
    public void close() {
        presuspend();
    }

    @Override
    public void status(StatusType type, StringBuilder out) {
        if (type == StatusType.INFO) {
            synchronized (lock) {
                out.append(queued[READS]).append(' ').append(queued[WRITES]).append(' ').append(queued[FLUSHES]);
            }
            return;
        }
        read.emit(out);
        if (argc >= 6) {
            out.append(' ');
            write.emit(out);
        }
        if (argc >= 9) {
            out.append(' ');
            flush.emit(out);
        }
    }

    @Override
    public void iterateDevices(DeviceVisitor visitor) throws DmException {
        visitor.visit(read.dev, read.startSector, lengthSectors);
        visitor.visit(write.dev, write.startSector, lengthSectors);
        visitor.visit(flush.dev, flush.startSector, lengthSectors);
    }
}
