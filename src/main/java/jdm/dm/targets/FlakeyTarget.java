package jdm.dm.targets;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.function.LongSupplier;
import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.block.Op;
import jdm.dm.ArgCursor;
import jdm.dm.DeviceVisitor;
import jdm.dm.DmDev;
import jdm.dm.DmException;
import jdm.dm.MapResult;
import jdm.dm.StatusType;
import jdm.dm.Target;
import jdm.dm.TargetArgs;
import jdm.dm.TargetType;

/**
 * flakey: maps onto one device like linear, but is reliable only for up_interval seconds and then unreliable for
 * down_interval seconds, over and over, counted in whole seconds since the target was created (drivers/md/
 * dm-flakey.c of Linux 6.1, Documentation/admin-guide/device-mapper/dm-flakey.rst).
 *
 * <pre>flakey &lt;dev_path&gt; &lt;offset&gt; &lt;up_interval&gt; &lt;down_interval&gt; [&lt;num_features&gt; [&lt;feature arguments&gt;]]
 * features: drop_writes | error_writes | corrupt_bio_byte &lt;Nth_byte&gt; &lt;r|w&gt; &lt;value&gt; &lt;flags&gt;</pre>
 * While down, with no feature, every bio fails; with drop_writes writes complete without reaching the device, with
 * error_writes they fail, and reads pass; with corrupt_bio_byte matching writes get byte N of their data replaced
 * before they are sent down (in place: 6.1 writes into the caller's buffer) and other bios pass. Reads are never
 * corrupted in 6.1: its end_io corrupts a matching read with corrupt_bio_data, but that walks the bio's iterator,
 * which the lower device has advanced to the end on completion, so no byte changes (seen on the 6.1 oracle; 6.5
 * fixed it with a saved iterator). Its end_io also fails down-interval reads when no feature is set, but map has
 * killed those already; so there is no end-io here. A bio matches when all of {@code flags} are set in its kernel bi_opf ({@link #opf}).
 *
 * <p>Status INFO is empty; TABLE is {@code <major:minor> <offset> <up> <down> <N> [drop_writes|error_writes]
 * [corrupt_bio_byte <Nth> <r|w> <value> <flags>]} where N counts the words that follow, and every part ends with a
 * blank, so the line ends in one (6.1's DMEMIT format).
 */
public final class FlakeyTarget implements Target {
    public static final TargetType TYPE = new TargetType("flakey", new int[] {1, 5, 0}, FlakeyTarget::create);

    // blk_opf_t of Linux 6.1 (include/linux/blk_types.h): the op in the low 8 bits, then the flags
    static final int REQ_OP_WRITE = 1;
    static final int REQ_OP_DISCARD = 3;
    static final int REQ_OP_WRITE_ZEROES = 9;
    static final int REQ_SYNC = 1 << 11;
    static final int REQ_FUA = 1 << 17;
    static final int REQ_PREFLUSH = 1 << 18;
    static final int REQ_NOUNMAP = 1 << 27;

    private enum WriteFault { NONE, DROP, ERROR }

    private final DmDev dev;
    private final long startSector;
    private final long lengthSectors;
    private final long upSeconds;
    private final long downSeconds;
    private final WriteFault writeFault;
    /** corrupt_bio_byte: the 1-based byte (0: feature off), its direction, value and flag mask. */
    private final long corruptByte;
    private final boolean corruptWrites;
    private final int corruptValue;
    private final long corruptFlags;
    private final LongSupplier nanoClock;
    private final long startNanos;

    private FlakeyTarget(DmDev dev, long startSector, long lengthSectors, long upSeconds, long downSeconds,
                         Features f, LongSupplier nanoClock, long startNanos) {
        this.dev = dev;
        this.startSector = startSector;
        this.lengthSectors = lengthSectors;
        this.upSeconds = upSeconds;
        this.downSeconds = downSeconds;
        this.writeFault = f.writeFault;
        this.corruptByte = f.corruptByte;
        this.corruptWrites = f.corruptWrites;
        this.corruptValue = f.corruptValue;
        this.corruptFlags = f.corruptFlags;
        this.nanoClock = nanoClock;
        this.startNanos = startNanos;
    }

    static Target create(TargetArgs args) throws DmException {
        return create(args, System::nanoTime);
    }

    /** Builds a flakey target whose up/down cycle reads nanoClock (tests pass a clock they move). */
    static Target create(TargetArgs args, LongSupplier nanoClock) throws DmException {
        if (args.count() < 4) {
            throw DmException.invalid("Invalid argument count");
        }
        long startNanos = nanoClock.getAsLong(); // fc->start_time = jiffies, before anything else is parsed
        ArgCursor as = args.cursor();
        String device = as.shift();
        long start = as.readSector("Invalid device sector");
        long up = as.readUnsigned(0, 0xffffffffL, "Invalid up interval");
        long down = as.readUnsigned(0, 0xffffffffL, "Invalid up interval"); // sic: 6.1 reuses the up interval's dm_arg
        long cycle = (up + down) & 0xffffffffL; // unsigned int: a sum of exactly 2^32 wraps to zero
        if (cycle == 0) {
            throw DmException.invalid("Total (up + down) interval is zero");
        }
        if (cycle < up) {
            throw DmException.invalid("Interval overflow");
        }
        Features f = Features.parse(as);
        DmDev dev = args.device(device, "Device lookup failed");
        return new FlakeyTarget(dev, start, args.lengthSectors(), up, down, f, nanoClock, startNanos);
    }

    /** The feature arguments, parsed as 6.1's parse_features with its sentences and order of checks. */
    private static final class Features {
        WriteFault writeFault = WriteFault.NONE;
        long corruptByte;
        boolean corruptWrites;
        int corruptValue;
        long corruptFlags;

        static Features parse(ArgCursor as) throws DmException {
            Features f = new Features();
            if (as.remaining() == 0) {
                return f;
            }
            // argc is unsigned in 6.1: corrupt_bio_byte's four words may run it past zero, and the loop then goes on
            // until the words run out ("2 corrupt_bio_byte 1 r 0 0" fails so)
            int argc = as.readGroup(0, 6, "Invalid number of feature args");
            while (argc != 0) {
                String name = as.shift();
                argc--;
                if (name == null) {
                    throw DmException.invalid("Insufficient feature arguments");
                }
                switch (name.toLowerCase(Locale.ROOT)) {
                    case "drop_writes" -> f.writeFault(WriteFault.DROP, "drop_writes", "error_writes");
                    case "error_writes" -> f.writeFault(WriteFault.ERROR, "error_writes", "drop_writes");
                    case "corrupt_bio_byte" -> {
                        if (argc == 0) {
                            throw DmException.invalid("Feature corrupt_bio_byte requires parameters");
                        }
                        f.corruptByte = as.readUnsigned(1, 0xffffffffL, "Invalid corrupt bio byte");
                        argc--;
                        String dir = as.shift();
                        if ("w".equalsIgnoreCase(dir)) {
                            f.corruptWrites = true;
                        } else if ("r".equalsIgnoreCase(dir)) {
                            f.corruptWrites = false;
                        } else {
                            throw DmException.invalid("Invalid corrupt bio direction (r or w)");
                        }
                        argc--;
                        f.corruptValue = (int) as.readUnsigned(0, 255,
                                "Invalid corrupt value to write into bio byte (0-255)");
                        argc--;
                        f.corruptFlags = as.readUnsigned(0, 0xffffffffL, "Invalid corrupt bio flags mask");
                        argc--;
                    }
                    default -> throw DmException.invalid("Unrecognised flakey feature requested");
                }
            }
            if (f.writeFault == WriteFault.DROP && f.corruptWrites) {
                throw DmException.invalid("drop_writes is incompatible with corrupt_bio_byte with the WRITE flag set");
            }
            if (f.writeFault == WriteFault.ERROR && f.corruptWrites) {
                throw DmException.invalid("error_writes is incompatible with corrupt_bio_byte with the WRITE flag set");
            }
            return f;
        }

        private void writeFault(WriteFault wanted, String name, String other) throws DmException {
            if (writeFault == wanted) {
                throw DmException.invalid("Feature " + name + " duplicated");
            }
            if (writeFault != WriteFault.NONE) {
                throw DmException.invalid("Feature " + name + " conflicts with feature " + other);
            }
            writeFault = wanted;
        }
    }

    /** True while the device is in its down interval: elapsed whole seconds modulo the cycle, as 6.1 counts them. */
    boolean down() {
        long elapsed = ((nanoClock.getAsLong() - startNanos) / 1_000_000_000L) & 0xffffffffL;
        return elapsed % (upSeconds + downSeconds) >= upSeconds;
    }

    @Override
    public MapResult map(Bio bio) {
        if (down()) {
            MapResult r = mapWhileDown(bio);
            if (r != null) {
                return r;
            }
        }
        bio.remap(dev.device(), startSector + bio.sector());
        return MapResult.REMAPPED;
    }

    /** The down-interval verdict, or null to pass the bio down (6.1's flakey_map from "Are we alive?"). */
    private MapResult mapWhileDown(Bio bio) {
        if (bio.op() == Op.READ) {
            // reads pass when any feature is set: end-io decides whether to corrupt them
            return corruptByte == 0 && writeFault == WriteFault.NONE ? MapResult.KILL : null;
        }
        switch (writeFault) {
            case DROP -> {
                bio.endio(BlkStatus.OK);
                return MapResult.SUBMITTED;
            }
            case ERROR -> {
                bio.endio(BlkStatus.IOERR);
                return MapResult.SUBMITTED;
            }
            default -> { }
        }
        if (corruptByte != 0) {
            if (corruptWrites && flagsMatch(bio)) {
                corrupt(bio);
            }
            return null;
        }
        return MapResult.KILL;
    }

    private boolean flagsMatch(Bio bio) {
        return (opf(bio) & corruptFlags) == corruptFlags;
    }

    /**
     * The bio's kernel bi_opf, which corrupt_bio_byte's flags are matched against: REQ_OP_READ 0, REQ_OP_WRITE 1
     * (an empty flush is a write with REQ_PREFLUSH), REQ_OP_DISCARD 3, REQ_OP_WRITE_ZEROES 9, plus REQ_FUA and
     * REQ_NOUNMAP as the bio carries them. Writes get REQ_SYNC: what O_DIRECT and fsync writers send.
     */
    static long opf(Bio bio) {
        return switch (bio.op()) {
            case READ -> 0;
            case WRITE -> REQ_OP_WRITE | REQ_SYNC | (bio.fua() ? REQ_FUA : 0);
            case FLUSH -> REQ_OP_WRITE | REQ_PREFLUSH | REQ_SYNC;
            case DISCARD -> REQ_OP_DISCARD;
            case WRITE_ZEROES -> REQ_OP_WRITE_ZEROES | ((bio.flags() & Bio.NOUNMAP) != 0 ? REQ_NOUNMAP : 0);
        };
    }

    /** Sets byte N (1-based) of the bio's data to the value, when the bio is that long (6.1's corrupt_bio_data). */
    private void corrupt(Bio bio) {
        ByteBuffer data = bio.data();
        if (data != null && corruptByte <= data.remaining()) {
            data.put(data.position() + (int) (corruptByte - 1), (byte) corruptValue);
        }
    }

    @Override
    public void status(StatusType type, StringBuilder out) {
        if (type != StatusType.TABLE) {
            return;
        }
        out.append(dev.name()).append(' ').append(startSector).append(' ').append(upSeconds).append(' ')
                .append(downSeconds).append(' ');
        int n = (writeFault != WriteFault.NONE ? 1 : 0) + (corruptByte > 0 ? 5 : 0);
        out.append(n).append(' ');
        if (writeFault == WriteFault.DROP) {
            out.append("drop_writes ");
        } else if (writeFault == WriteFault.ERROR) {
            out.append("error_writes ");
        }
        if (corruptByte > 0) {
            out.append("corrupt_bio_byte ").append(corruptByte).append(' ').append(corruptWrites ? 'w' : 'r')
                    .append(' ').append(corruptValue).append(' ').append(corruptFlags).append(' ');
        }
    }

    @Override
    public void iterateDevices(DeviceVisitor visitor) throws DmException {
        visitor.visit(dev, startSector, lengthSectors);
    }
}
