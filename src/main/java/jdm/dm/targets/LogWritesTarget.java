package jdm.dm.targets;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.block.QueueLimits;
import jdm.dm.DeviceVisitor;
import jdm.dm.DmDev;
import jdm.dm.DmException;
import jdm.dm.EndIoResult;
import jdm.dm.MapResult;
import jdm.dm.StatusType;
import jdm.dm.Target;
import jdm.dm.TargetArgs;
import jdm.dm.TargetType;
import jdm.logwrites.LogFormat;
import jdm.logwrites.LogWriter;

/**
 * log-writes: passes all I/O to a data device and records every write, discard, flush and FUA, in the order they
 * reached the disk, on a log device in the kernel's log format ({@link LogFormat}) for replay
 * (drivers/md/dm-log-writes.c, Documentation/admin-guide/device-mapper/log-writes.rst).
 *
 * <pre>log-writes &lt;dev_path&gt; &lt;log_dev_path&gt;</pre>
 * Words after the second are ignored, as in 6.1. Ordering is the kernel's: a plain write or discard is held once
 * it completes until a flush comes; an empty FLUSH takes the writes completed before it was issued and, when it
 * completes, logs them followed by itself; a FUA write is logged as soon as it completes. A log thread writes the
 * records out and rewrites the super after each FUA and each mark; destroying the target logs the held writes and
 * a "dm-log-writes-end" mark. Message: {@code mark <label>} (cut to sectorsize - 33 bytes). Status INFO is
 * {@code <logged entries> <highest allocated sector>} plus {@code logging_disabled} once the log device filled
 * up or a log write failed; TABLE is {@code <dev> <log_dev>}.
 *
 * <p>Where jdm differs, on purpose: a FLUSH or FUA completes only once its record (and, for a flush, the writes it
 * covers) is on the log device, with a super that counts it and a flush of the log device; the kernel acknowledges
 * them first and logs behind, rewriting the super only after FUAs and marks. So a log read after an acknowledged
 * flush (or a daemon crash) holds everything up to it; the records, their order and the final log are the
 * kernel's. And jdm takes WRITE_ZEROES (6.1 does not, and its block layer writes zero pages instead): it is logged
 * as the write of zeros it stands for.
 */
public final class LogWritesTarget implements Target {
    public static final TargetType TYPE = new TargetType("log-writes", new int[] {1, 1, 0}, LogWritesTarget::create);

    private static final String PREFIX = "device-mapper: log-writes: ";

    /** Log data is written in pieces of at most this many 512-byte sectors. */
    private static final int LOG_IO_SECTORS = 2048;

    /** One record waiting to be logged (the kernel's pending_block); a flush carries the writes it covers. */
    private static final class Pending {
        final long sector;
        final long nrSectors;
        final int flags;
        final byte[] data;
        final String mark;
        List<Pending> covered;
        /** A FLUSH or FUA bio held (INCOMPLETE) until this record is on the log, and the status it ended with. */
        Bio held;
        BlkStatus heldStatus;
        volatile boolean logged;

        Pending(long sector, long nrSectors, int flags, byte[] data, String mark) {
            this.sector = sector;
            this.nrSectors = nrSectors;
            this.flags = flags;
            this.data = data;
            this.mark = mark;
        }
    }

    private final DmDev dev;
    private final DmDev logDev;
    private final long lengthSectors;
    private final int sectorShift;
    private final LogWriter writer;
    private final Consumer<String> kernelLog;
    private final Object lock = new Object();
    /** Completed writes and discards no flush has taken yet. */
    private final List<Pending> unflushed = new ArrayList<>();
    /** Records in log order, for the log thread. */
    private final ArrayDeque<Pending> logging = new ArrayDeque<>();
    private Thread logThread;
    private boolean busy;
    private boolean closing;

    private LogWritesTarget(DmDev dev, DmDev logDev, long lengthSectors, Consumer<String> kernelLog) {
        this.dev = dev;
        this.kernelLog = kernelLog;
        this.logDev = logDev;
        this.lengthSectors = lengthSectors;
        int sectorSize = dev.device().limits().logicalBlockBytes();
        this.sectorShift = Integer.numberOfTrailingZeros(sectorSize) - Bio.SECTOR_SHIFT;
        BlockDevice log = logDev.device();
        this.writer = new LogWriter(this::writeLog, sectorSize, log.sizeSectors());
    }

    static Target create(TargetArgs args) throws DmException {
        if (args.count() < 2) {
            throw DmException.invalid("Invalid argument count");
        }
        DmDev dev = args.device(args.word(0), "Device lookup failed");
        DmDev logDev = args.device(args.word(1), "Log device lookup failed");
        return new LogWritesTarget(dev, logDev, args.lengthSectors(), args.kernelLog());
    }

    @Override
    public MapResult map(Bio bio) {
        // reads, empty writes and everything once logging stopped pass unrecorded
        if (writer.enabled() && (bio.op().isWrite() && bio.sectors() > 0 || bio.op() == Op.FLUSH)) {
            bio.setTargetData(pending(bio));
        }
        bio.remap(dev.device(), bio.sector());
        return MapResult.REMAPPED;
    }

    /** The record for a write, discard or flush, copying the data (it may change before the log thread runs). */
    private Pending pending(Bio bio) {
        int flags = (bio.op() == Op.FLUSH ? LogFormat.FLUSH : 0) | (bio.fua() ? LogFormat.FUA : 0)
                | (bio.op() == Op.DISCARD ? LogFormat.DISCARD : 0);
        long sector = bio.sector() >> sectorShift;
        long nr = (long) bio.sectors() >> sectorShift;
        byte[] data = null;
        if (bio.op() == Op.WRITE) {
            data = new byte[bio.data().remaining()];
            bio.data().get(bio.data().position(), data);
        } else if (bio.op() == Op.WRITE_ZEROES) {
            data = new byte[bio.sectors() << Bio.SECTOR_SHIFT];
        }
        Pending p = new Pending(sector, nr, flags, data, null);
        if (bio.op() == Op.FLUSH) {
            synchronized (lock) {
                p.covered = new ArrayList<>(unflushed);
                unflushed.clear();
            }
        }
        return p;
    }

    @Override
    public EndIoResult endIo(Bio clone, BlkStatus status) {
        Pending p = clone.targetData(Pending.class);
        if (p == null || p.logged) {
            return EndIoResult.DONE; // not recorded, or a held FLUSH/FUA coming back from the log thread
        }
        synchronized (lock) {
            if ((p.flags & (LogFormat.FLUSH | LogFormat.FUA)) == 0) {
                unflushed.add(p);
                return EndIoResult.DONE;
            }
            if ((p.flags & LogFormat.FLUSH) != 0) {
                logging.addAll(p.covered);
                p.covered = null;
            }
            p.held = clone;
            p.heldStatus = status;
            enqueue(p);
        }
        return EndIoResult.INCOMPLETE;
    }

    /** Queues a record for the log thread, starting it on first use. Holds lock. */
    private void enqueue(Pending p) {
        logging.add(p);
        if (logThread == null) {
            logThread = Thread.ofVirtual().name("log-writes " + logDev.name()).start(this::logLoop);
        }
        lock.notifyAll();
    }

    /** The kernel's log_writes_kthread: takes records in order and writes them (with the super where due). */
    private void logLoop() {
        while (true) {
            Pending p;
            synchronized (lock) {
                while (logging.isEmpty() && !closing) {
                    busy = false;
                    lock.notifyAll();
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (logging.isEmpty()) {
                    busy = false;
                    lock.notifyAll();
                    return;
                }
                p = logging.poll();
                busy = true;
            }
            boolean wasEnabled = writer.enabled();
            try {
                if (p.mark != null) {
                    writer.mark(p.mark);
                } else if (writer.append(p.sector, p.nrSectors, p.flags,
                        p.data == null ? null : ByteBuffer.wrap(p.data)) && p.held != null) {
                    makeDurable(p);
                }
                if (wasEnabled && !writer.enabled()) {
                    kernelLog.accept(PREFIX + "Ran out of space on the logdev");
                }
            } catch (IOException e) {
                writer.disable();
                kernelLog.accept(PREFIX + "Error writing log block, error=" + e.getMessage());
            }
            if (p.held != null) {
                p.logged = true;
                p.held.endio(p.heldStatus);
            }
        }
    }

    /**
     * jdm's addition for a FLUSH or FUA about to be acknowledged: the super counts it (the kernel rewrites the super
     * after FUA and marks only) and the log device is flushed, so an acknowledged FLUSH or FUA is in the log.
     */
    private void makeDurable(Pending p) throws IOException {
        if ((p.flags & LogFormat.FUA) == 0) {
            writer.writeSuper();
        }
        BlkStatus s = new Bio(Op.FLUSH, 0, logDev.device(), 0, 0, null, null).submitAndWait();
        if (s != BlkStatus.OK) {
            throw new IOException("log device flush failed: " + s);
        }
    }

    private void writeLog(long byteOffset, ByteBuffer data) throws IOException {
        BlockDevice log = logDev.device();
        long sector = byteOffset >> Bio.SECTOR_SHIFT;
        while (data.hasRemaining()) {
            int sectors = Math.min(data.remaining() >> Bio.SECTOR_SHIFT, LOG_IO_SECTORS);
            ByteBuffer piece = data.slice(data.position(), sectors << Bio.SECTOR_SHIFT);
            BlkStatus s = new Bio(Op.WRITE, 0, log, sector, sectors, piece, null).submitAndWait();
            if (s != BlkStatus.OK) {
                throw new IOException("log write at sector " + sector + " failed: " + s);
            }
            data.position(data.position() + piece.capacity());
            sector += sectors;
        }
    }

    @Override
    public String message(String[] argv) throws DmException {
        // EINVAL with the reason in the kernel log only, as the kernel's DMWARN
        if (argv.length != 2) {
            kernelLog.accept(PREFIX + "Invalid log-writes message arguments, expect 2 arguments, got " + argv.length);
            throw DmException.invalid("");
        }
        if (!argv[0].equalsIgnoreCase("mark")) {
            kernelLog.accept(PREFIX + "Unrecognised log writes target message received: " + argv[0]);
            throw DmException.invalid("");
        }
        synchronized (lock) {
            enqueue(new Pending(0, 0, LogFormat.MARK, null, argv[1]));
        }
        return "";
    }

    @Override
    public void status(StatusType type, StringBuilder out) {
        switch (type) {
            case INFO -> {
                out.append(writer.loggedEntries()).append(' ').append(writer.nextSector() - 1);
                if (!writer.enabled()) {
                    out.append(" logging_disabled");
                }
            }
            case TABLE -> out.append(dev.name()).append(' ').append(logDev.name());
            default -> { }
        }
    }

    /** The kernel's iterate_devices names the data device only: the log device takes no mapped I/O. */
    @Override
    public void iterateDevices(DeviceVisitor visitor) throws DmException {
        visitor.visit(dev, 0, lengthSectors);
    }

    @Override
    public void ioHints(QueueLimits.Builder limits) {
        QueueLimits l = dev.device().limits();
        limits.logicalBlock(l.logicalBlockBytes()).physicalBlock(l.physicalBlockBytes())
                .ioMin(l.physicalBlockBytes());
    }

    /**
     * The destructor: the writes no flush took are logged, then the "dm-log-writes-end" mark (which rewrites the
     * super), and the log thread finishes everything before the devices go.
     */
    @Override
    public void close() {
        synchronized (lock) {
            List<Pending> first = new ArrayList<>(unflushed);
            unflushed.clear();
            for (int i = first.size() - 1; i >= 0; i--) {
                logging.addFirst(first.get(i));
            }
            enqueue(new Pending(0, 0, LogFormat.MARK, null, LogFormat.END_MARK));
            closing = true;
            lock.notifyAll();
            boolean interrupted = false;
            while (!logging.isEmpty() || busy) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
