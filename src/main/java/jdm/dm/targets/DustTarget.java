package jdm.dm.targets;

import java.util.Locale;
import java.util.TreeMap;
import java.util.function.Consumer;
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
 * dust: passes I/O through to one device, failing reads of blocks on a bad-block list once enabled, as a disk
 * returning read errors on bad sectors; a write to a bad block clears it (drivers/md/dm-dust.c of Linux 6.12,
 * Documentation/admin-guide/device-mapper/dm-dust.rst; not in Debian's 6.1 module set).
 *
 * <pre>dust &lt;device_path&gt; &lt;offset&gt; &lt;blksz&gt;</pre>
 * Status INFO is {@code <major:minor> fail_read_on_bad_block|bypass quiet|verbose}; TABLE is
 * {@code <major:minor> <offset> <blksz>}. Messages: {@code addbadblock <block> [<write fail count>]},
 * {@code removebadblock <block>}, {@code queryblock <block>}, {@code countbadblocks}, {@code listbadblocks},
 * {@code clearbadblocks}, {@code enable}, {@code disable}, {@code quiet} (toggles). Block numbers count blksz blocks
 * of the <em>underlying</em> device (the offset included), as the kernel computes them after remapping.
 */
public final class DustTarget implements Target {
    public static final TargetType TYPE = new TargetType("dust", new int[] {1, 0, 0}, DustTarget::create);

    /** DUST_MAX_BLKSZ_SECTORS: a block is at most 1 GiB. */
    private static final long MAX_BLOCK_SECTORS = 2097152;
    private static final String PREFIX = "device-mapper: dust: ";

    private final DmDev dev;
    private final long startSector;
    private final long lengthSectors;
    private final int blockBytes;
    private final int blockShift;
    private final Consumer<String> kernelLog;
    /** Bad block number -> writes still to fail on it (the kernel's rb-tree of struct badblock). */
    private final TreeMap<Long, Integer> badBlocks = new TreeMap<>();
    private volatile boolean failReadOnBadBlock;
    private volatile boolean quiet;

    private DustTarget(DmDev dev, long startSector, long lengthSectors, int blockBytes, Consumer<String> kernelLog) {
        this.dev = dev;
        this.startSector = startSector;
        this.lengthSectors = lengthSectors;
        this.blockBytes = blockBytes;
        this.blockShift = Integer.numberOfTrailingZeros(blockBytes >> Bio.SECTOR_SHIFT);
        this.kernelLog = kernelLog;
    }

    static Target create(TargetArgs args) throws DmException {
        if (args.count() != 3) {
            throw DmException.invalid("Invalid argument count");
        }
        long blksz = kstrtouint(args.word(2));
        if (blksz <= 0) {
            throw DmException.invalid("Invalid block size parameter");
        }
        if (blksz < 512) {
            throw DmException.invalid("Block size must be at least 512");
        }
        if (Long.bitCount(blksz) != 1) {
            throw DmException.invalid("Block size must be a power of 2");
        }
        if (blksz >> Bio.SECTOR_SHIFT > Math.min(args.lengthSectors(), MAX_BLOCK_SECTORS)) {
            throw DmException.invalid("Block size is too large");
        }
        long start = TargetArgs.parseSector(args.word(1));
        if (start < 0) {
            throw DmException.invalid("Invalid device offset sector");
        }
        DmDev dev = args.device(args.word(0), "Device lookup failed");
        return new DustTarget(dev, start, args.lengthSectors(), (int) blksz, args.kernelLog());
    }

    /** kstrtouint(s, 10): an optional '+', decimal digits, at most UINT_MAX; -1 when invalid. */
    private static long kstrtouint(String s) {
        return TargetArgs.parseUnsigned(s.startsWith("+") ? s.substring(1) : s, 0xffffffffL);
    }

    @Override
    public long maxIoLenSectors() {
        return blockBytes >> Bio.SECTOR_SHIFT;
    }

    @Override
    public MapResult map(Bio bio) {
        long sector = startSector + bio.sector();
        bio.remap(dev.device(), sector);
        if (!failReadOnBadBlock) {
            return MapResult.REMAPPED;
        }
        long block = sector >> blockShift;
        synchronized (badBlocks) {
            return bio.op() == Op.READ ? mapRead(block) : mapWrite(block);
        }
    }

    private MapResult mapRead(long block) {
        return badBlocks.containsKey(block) ? MapResult.KILL : MapResult.REMAPPED;
    }

    /** A write to a bad block fails while its write fail count lasts, then clears the block and goes through. */
    private MapResult mapWrite(long block) {
        Integer failsLeft = badBlocks.get(block);
        if (failsLeft == null) {
            return MapResult.REMAPPED;
        }
        if (failsLeft > 0) {
            badBlocks.put(block, failsLeft - 1);
            return MapResult.KILL;
        }
        badBlocks.remove(block);
        if (!quiet) {
            // the kernel divides the block number by sectors per block once more here; so does its log line
            log("block " + (block / (blockBytes >> Bio.SECTOR_SHIFT)) + " removed from badblocklist by write");
        }
        return MapResult.REMAPPED;
    }

    @Override
    public String message(String[] argv) throws DmException {
        String cmd = argv[0].toLowerCase(Locale.ROOT);
        return switch (argv.length) {
            case 1 -> messageNoArgs(argv[0], cmd);
            case 2, 3 -> messageBlock(argv, cmd);
            default -> {
                log("invalid number of arguments '" + argv.length + "'");
                throw failed();
            }
        };
    }

    private String messageNoArgs(String word, String cmd) throws DmException {
        switch (cmd) {
            case "addbadblock", "removebadblock", "queryblock" -> {
                log(word + " requires an additional argument");
                throw failed();
            }
            case "disable" -> {
                log("disabling read failures on bad sectors");
                failReadOnBadBlock = false;
                return "";
            }
            case "enable" -> {
                log("enabling read failures on bad sectors");
                failReadOnBadBlock = true;
                return "";
            }
            case "countbadblocks" -> {
                synchronized (badBlocks) {
                    return "countbadblocks: " + badBlocks.size() + " badblock(s) found";
                }
            }
            case "clearbadblocks" -> {
                synchronized (badBlocks) {
                    boolean any = !badBlocks.isEmpty();
                    badBlocks.clear();
                    return any ? "dust_clear_badblocks: badblocks cleared" : "dust_clear_badblocks: no badblocks found";
                }
            }
            case "quiet" -> {
                quiet = !quiet;
                return "";
            }
            case "listbadblocks" -> {
                return listBadBlocks();
            }
            default -> {
                log("unrecognized message '" + word + "' received");
                throw failed();
            }
        }
    }

    /** addbadblock/removebadblock/queryblock with a block (and addbadblock's write fail count). */
    private String messageBlock(String[] argv, String cmd) throws DmException {
        long block = TargetArgs.parseSector(argv[1]);
        if (block < 0) {
            throw failed();
        }
        int writeFails = 0;
        if (argv.length == 3) {
            long n = TargetArgs.parseUnsigned(argv[2], 0xffffffffL);
            if (n < 0) {
                throw failed();
            }
            if (n > 255) {
                log("selected write fail count out of range");
                throw failed();
            }
            writeFails = (int) n;
        }
        // the kernel lets the block one past the device's last through (block > size fails, not >=)
        if (block > dev.device().sizeSectors() / (blockBytes >> Bio.SECTOR_SHIFT)) {
            log("selected block value out of range");
            throw failed();
        }
        if (argv.length == 3 && !cmd.equals("addbadblock")) {
            return unrecognized(argv[0]);
        }
        return switch (cmd) {
            case "addbadblock" -> addBlock(block, writeFails);
            case "removebadblock" -> removeBlock(block);
            case "queryblock" -> {
                synchronized (badBlocks) {
                    yield "dust_query_block: block " + block + (badBlocks.containsKey(block) ? "" : " not")
                            + " found in badblocklist";
                }
            }
            default -> unrecognized(argv[0]);
        };
    }

    private String unrecognized(String word) throws DmException {
        log("unrecognized message '" + word + "' received");
        throw failed();
    }

    private String addBlock(long block, int writeFails) throws DmException {
        synchronized (badBlocks) {
            if (badBlocks.putIfAbsent(block, writeFails) != null) {
                logUnlessQuiet("dust_add_block: block " + block + " already in badblocklist");
                throw failed();
            }
        }
        logUnlessQuiet("dust_add_block: badblock added at block " + block + " with write fail count " + writeFails);
        return "";
    }

    private String removeBlock(long block) throws DmException {
        synchronized (badBlocks) {
            if (badBlocks.remove(block) == null) {
                logUnlessQuiet("dust_remove_block: block " + block + " not found in badblocklist");
                throw failed();
            }
        }
        logUnlessQuiet("dust_remove_block: badblock removed at block " + block);
        return "";
    }

    private String listBadBlocks() {
        StringBuilder sb = new StringBuilder();
        synchronized (badBlocks) {
            for (long b : badBlocks.keySet()) {
                sb.append(b).append('\n');
            }
        }
        return sb.isEmpty() ? "No blocks in badblocklist" : sb.toString();
    }

    private void log(String text) {
        kernelLog.accept(PREFIX + text);
    }

    private void logUnlessQuiet(String text) {
        if (!quiet) {
            log(text);
        }
    }

    /** The message's -EINVAL: dm-dust has logged why (or, for a malformed number, nothing), so no text of its own. */
    private static DmException failed() {
        return DmException.invalid("");
    }

    @Override
    public void status(StatusType type, StringBuilder out) {
        out.append(dev.name()).append(' ');
        if (type == StatusType.INFO) {
            out.append(failReadOnBadBlock ? "fail_read_on_bad_block" : "bypass").append(' ')
                    .append(quiet ? "quiet" : "verbose");
        } else {
            out.append(startSector).append(' ').append(blockBytes);
        }
    }

    @Override
    public void iterateDevices(DeviceVisitor visitor) throws DmException {
        visitor.visit(dev, startSector, lengthSectors);
    }
}
