package jdm.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jdm.cli.GetoptLong.LongOption;
import jdm.cli.MdadmMaps.Mode;

/**
 * mdadm 4.2's command line (mdadm.c main, ReadMe.c long_options): the mode options, then the options each mode
 * takes, in getopt_long's order, with mdadm's messages and exit status 2 for what it refuses. The result is a
 * {@link MdadmPlan}: what to ask the daemon, in order. Only the modes jdm serves are planned (create, assemble,
 * manage, grow, misc's detail/examine/stop/run/readonly/readwrite); the others are refused with a note.
 */
final class MdadmParser {
    // long-only option codes (mdadm.h's enum special_options, renumbered)
    static final int MANAGE_OPT = 256;
    static final int MISC_OPT = 257;
    static final int KILL_OPT = 258;
    static final int AUTO_DETECT = 259;
    static final int DETAIL_PLATFORM = 260;
    static final int KILL_SUBARRAY = 261;
    static final int UPDATE_SUBARRAY = 262;
    static final int UDEV_RULES = 263;
    static final int OFF_ROOT = 264;
    static final int EXAMINE_BB = 265;
    static final int DUMP = 266;
    static final int RESTORE = 267;
    static final int HELP_OPTIONS = 268;
    static final int CHUNK_SIZE = 269;
    static final int LAYOUT = 270;
    static final int AUTO = 271;
    static final int ASSUME_CLEAN = 272;
    static final int BITMAP = 273;
    static final int BITMAP_CHUNK = 274;
    static final int WRITE_BEHIND = 275;
    static final int WRITE_MOSTLY = 276;
    static final int FAIL_FAST = 277;
    static final int NO_FAIL_FAST = 278;
    static final int RE_ADD = 279;
    static final int HOME_HOST = 280;
    static final int SYMLINKS = 281;
    static final int DATA_OFFSET = 282;
    static final int NODES = 283;
    static final int CLUSTER_NAME = 284;
    static final int WRITE_JOURNAL = 285;
    static final int SUPER_MINOR = 286;
    static final int CONFIG_FILE = 287;
    static final int FORCE = 288;
    static final int FREEZE_RESHAPE = 289;
    static final int ADD = 290;
    static final int ADD_SPARE = 291;
    static final int ADD_JOURNAL = 292;
    static final int REMOVE = 293;
    static final int FAIL = 294;
    static final int REPLACE = 295;
    static final int WITH = 296;
    static final int NO_DEGRADED = 297;
    static final int WAIT_OPT = 298;
    static final int WAIT_CLEAN = 299;
    static final int ACTION = 300;
    static final int CLUSTER_CONFIRM = 301;
    static final int BRIEF = 302;
    static final int NO_DEVICES = 303;
    static final int SPARC22 = 304;
    static final int PREFER = 305;
    static final int EMAIL = 306;
    static final int PROGRAM = 307;
    static final int INCREMENT = 308;
    static final int FORK = 309;
    static final int NO_SHARING = 310;
    static final int BACKUP_FILE = 311;
    static final int INVALID_BACKUP = 312;
    static final int CONTINUE = 313;
    static final int REBUILD_MAP = 314;
    static final int INCREMENTAL_PATH = 315;
    /** jdm's own: the daemon's control socket. */
    static final int CONTROL = 400;

    static final String SHORT = "-ABCDEFGIQhVXYWZ:vqbc:i:l:p:m:r:n:x:u:c:d:z:U:N:safRSow1tye:k";
    static final String SHORT_BITMAP = "-ABCDEFGIQhVXYWZ:vqb:c:i:l:p:m:r:n:x:u:c:d:z:U:N:sarfRSow1tye:k:";
    static final String SHORT_BITMAP_AUTO = "-ABCDEFGIQhVXYWZ:vqb:c:i:l:p:m:r:n:x:u:c:d:z:U:N:sa:rfRSow1tye:k:";

    static final List<LongOption> LONG_OPTIONS = List.of(
            new LongOption("manage", 0, MANAGE_OPT), new LongOption("misc", 0, MISC_OPT),
            new LongOption("assemble", 0, 'A'), new LongOption("build", 0, 'B'), new LongOption("create", 0, 'C'),
            new LongOption("detail", 0, 'D'), new LongOption("examine", 0, 'E'), new LongOption("follow", 0, 'F'),
            new LongOption("grow", 0, 'G'), new LongOption("incremental", 0, 'I'),
            new LongOption("zero-superblock", 0, KILL_OPT), new LongOption("query", 0, 'Q'),
            new LongOption("examine-bitmap", 0, 'X'), new LongOption("auto-detect", 0, AUTO_DETECT),
            new LongOption("detail-platform", 0, DETAIL_PLATFORM), new LongOption("kill-subarray", 1, KILL_SUBARRAY),
            new LongOption("update-subarray", 1, UPDATE_SUBARRAY), new LongOption("udev-rules", 2, UDEV_RULES),
            new LongOption("offroot", 0, OFF_ROOT), new LongOption("examine-badblocks", 0, EXAMINE_BB),
            new LongOption("dump", 1, DUMP), new LongOption("restore", 1, RESTORE),
            new LongOption("monitor", 0, 'F'),
            new LongOption("help", 0, 'h'), new LongOption("help-options", 0, HELP_OPTIONS),
            new LongOption("version", 0, 'V'), new LongOption("verbose", 0, 'v'), new LongOption("quiet", 0, 'q'),
            new LongOption("chunk", 1, CHUNK_SIZE), new LongOption("rounding", 1, CHUNK_SIZE),
            new LongOption("level", 1, 'l'), new LongOption("parity", 1, LAYOUT), new LongOption("layout", 1, LAYOUT),
            new LongOption("raid-disks", 1, 'n'), new LongOption("raid-devices", 1, 'n'),
            new LongOption("spare-disks", 1, 'x'), new LongOption("spare-devices", 1, 'x'),
            new LongOption("size", 1, 'z'), new LongOption("auto", 1, AUTO),
            new LongOption("assume-clean", 0, ASSUME_CLEAN), new LongOption("metadata", 1, 'e'),
            new LongOption("bitmap", 1, BITMAP), new LongOption("bitmap-chunk", 1, BITMAP_CHUNK),
            new LongOption("write-behind", 2, WRITE_BEHIND), new LongOption("write-mostly", 0, WRITE_MOSTLY),
            new LongOption("failfast", 0, FAIL_FAST), new LongOption("nofailfast", 0, NO_FAIL_FAST),
            new LongOption("re-add", 0, RE_ADD), new LongOption("homehost", 1, HOME_HOST),
            new LongOption("symlinks", 1, SYMLINKS), new LongOption("data-offset", 1, DATA_OFFSET),
            new LongOption("nodes", 1, NODES), new LongOption("home-cluster", 1, CLUSTER_NAME),
            new LongOption("write-journal", 1, WRITE_JOURNAL), new LongOption("consistency-policy", 1, 'k'),
            new LongOption("uuid", 1, 'u'), new LongOption("super-minor", 1, SUPER_MINOR),
            new LongOption("name", 1, 'N'), new LongOption("config", 1, CONFIG_FILE), new LongOption("scan", 0, 's'),
            new LongOption("force", 0, FORCE), new LongOption("update", 1, 'U'),
            new LongOption("freeze-reshape", 0, FREEZE_RESHAPE),
            new LongOption("add", 0, ADD), new LongOption("add-spare", 0, ADD_SPARE),
            new LongOption("add-journal", 0, ADD_JOURNAL), new LongOption("remove", 0, REMOVE),
            new LongOption("fail", 0, FAIL), new LongOption("set-faulty", 0, FAIL),
            new LongOption("replace", 0, REPLACE), new LongOption("with", 0, WITH), new LongOption("run", 0, 'R'),
            new LongOption("stop", 0, 'S'), new LongOption("readonly", 0, 'o'), new LongOption("readwrite", 0, 'w'),
            new LongOption("no-degraded", 0, NO_DEGRADED), new LongOption("wait", 0, WAIT_OPT),
            new LongOption("wait-clean", 0, WAIT_CLEAN), new LongOption("action", 1, ACTION),
            new LongOption("cluster-confirm", 0, CLUSTER_CONFIRM),
            new LongOption("brief", 0, BRIEF), new LongOption("no-devices", 0, NO_DEVICES),
            new LongOption("export", 0, 'Y'), new LongOption("sparc2.2", 0, SPARC22), new LongOption("test", 0, 't'),
            new LongOption("prefer", 1, PREFER),
            new LongOption("mail", 1, EMAIL), new LongOption("program", 1, PROGRAM),
            new LongOption("alert", 1, PROGRAM), new LongOption("increment", 1, INCREMENT),
            new LongOption("delay", 1, 'd'), new LongOption("daemonise", 0, FORK),
            new LongOption("daemonize", 0, FORK), new LongOption("oneshot", 0, '1'),
            new LongOption("pid-file", 1, 'i'), new LongOption("syslog", 0, 'y'),
            new LongOption("no-sharing", 0, NO_SHARING),
            new LongOption("backup-file", 1, BACKUP_FILE), new LongOption("invalid-backup", 0, INVALID_BACKUP),
            new LongOption("array-size", 1, 'Z'), new LongOption("continue", 0, CONTINUE),
            new LongOption("rebuild-map", 0, REBUILD_MAP), new LongOption("path", 1, INCREMENTAL_PATH),
            new LongOption("control", 1, CONTROL));

    /** What "Usage" prints (ReadMe.c), for a command line getopt refused or one without a mode. */
    static final String USAGE = "Usage: mdadm --help\n  for help\n";

    /** A listed device and what to do with it (mdadm's struct mddev_dev: devname, disposition). */
    record Dev(String name, int disposition) {
    }

    /** Everything the options said (mdadm's struct shape, struct context and the locals of main). */
    static final class Parsed {
        Mode mode;
        int devmode;
        final List<Dev> devs = new ArrayList<>();
        int verbose;
        boolean brief;
        boolean noDevices;
        boolean export;
        String homehost;
        boolean requireHomehost = true;
        int printHelp;
        int level = MdadmMaps.UNSET;
        int layout = MdadmMaps.UNSET;
        String layoutStr;
        int chunkKib;
        int raidDisks;
        int spareDisks;
        long sizeKib;
        boolean sizeMax;
        boolean assumeClean;
        String metadata;
        String bitmap;
        String uuid;
        String name;
        boolean force;
        int runstop;
        int readonly;
        boolean scan;
        String configFile;
        String control;
        String consistencyPolicy;
        String action;
        boolean growContinue;
        /** Messages mdadm prints while reading the options and goes on. */
        final List<String> warnings = new ArrayList<>();
    }

    private final String[] argv;
    private final Parsed p = new Parsed();

    private MdadmParser(String[] argv) {
        this.argv = argv;
    }

    /** Parses a command line; an {@link MdadmExit} carries mdadm's message and status when it refuses one. */
    static Parsed parse(String... argv) throws MdadmExit {
        MdadmParser parser = new MdadmParser(argv);
        parser.run();
        return parser.p;
    }

    private static MdadmExit exit2(String message) {
        return new MdadmExit(2, "mdadm: " + message);
    }

    private void run() throws MdadmExit {
        GetoptLong g = new GetoptLong("mdadm", argv, LONG_OPTIONS);
        String shortopt = SHORT;
        int opt;
        while ((opt = g.next(shortopt)) != GetoptLong.END) {
            String optarg = g.optarg();
            String optName = g.longIndex() >= 0 ? "--" + g.longOption(g.longIndex()).name() : "-" + (char) opt;
            // firstly, some mode-independent options
            switch (opt) {
                case HELP_OPTIONS -> {
                    p.printHelp = 2;
                    continue;
                }
                case 'h' -> {
                    p.printHelp = 1;
                    continue;
                }
                case 'V' -> throw new MdadmExit(0, "mdadm - v4.2 - 2021-12-30 (jdm)");
                case 'v' -> {
                    p.verbose++;
                    continue;
                }
                case 'q' -> {
                    p.verbose--;
                    continue;
                }
                case CONTROL -> {
                    p.control = optarg;
                    continue;
                }
                case NO_DEVICES -> {
                    p.noDevices = true;
                    continue;
                }
                case 'Y' -> {
                    p.export = true;
                    continue;
                }
                case HOME_HOST -> {
                    if (optarg.equalsIgnoreCase("<ignore>")) {
                        p.requireHomehost = false;
                    } else {
                        p.homehost = optarg;
                    }
                    continue;
                }
                case OFF_ROOT, PREFER -> {
                    continue;
                }
                case GetoptLong.ERROR -> throw new MdadmExit(2, g.error() + "\n" + USAGE.stripTrailing());
                default -> {
                }
            }
            if (opt == 'b' || opt == BRIEF) {
                Mode m = p.mode;
                if (opt == BRIEF || !(m == Mode.ASSEMBLE || m == Mode.BUILD || m == Mode.CREATE || m == Mode.GROW
                        || m == Mode.INCREMENTAL || m == Mode.MANAGE)) {
                    p.brief = true;
                    continue;
                }
            }
            // second, figure out the mode
            Mode newmode = p.mode;
            switch (opt) {
                case MANAGE_OPT -> {
                    newmode = Mode.MANAGE;
                    shortopt = SHORT_BITMAP;
                }
                case 'a', ADD, ADD_SPARE, ADD_JOURNAL, 'r', REMOVE, REPLACE, WITH, 'f', FAIL, RE_ADD,
                        CLUSTER_CONFIRM -> {
                    if (p.mode == null) {
                        newmode = Mode.MANAGE;
                        shortopt = SHORT_BITMAP;
                    }
                }
                case 'A' -> {
                    newmode = Mode.ASSEMBLE;
                    shortopt = SHORT_BITMAP_AUTO;
                }
                case 'B' -> {
                    newmode = Mode.BUILD;
                    shortopt = SHORT_BITMAP_AUTO;
                }
                case 'C' -> {
                    newmode = Mode.CREATE;
                    shortopt = SHORT_BITMAP_AUTO;
                }
                case 'F', NO_SHARING -> newmode = Mode.MONITOR;
                case 'G' -> {
                    newmode = Mode.GROW;
                    shortopt = SHORT_BITMAP;
                }
                case 'I' -> {
                    newmode = Mode.INCREMENTAL;
                    shortopt = SHORT_BITMAP_AUTO;
                }
                case AUTO_DETECT -> newmode = Mode.AUTODETECT;
                case MISC_OPT, 'D', 'E', 'X', 'Q', EXAMINE_BB, DUMP, RESTORE, ACTION -> newmode = Mode.MISC;
                case 'R', 'S', 'o', 'w', 'W', WAIT_OPT, WAIT_CLEAN, DETAIL_PLATFORM, KILL_SUBARRAY, UPDATE_SUBARRAY,
                        UDEV_RULES, KILL_OPT -> {
                    if (p.mode == null) {
                        newmode = Mode.MISC;
                    }
                }
                default -> {
                }
            }
            if (p.mode != null && newmode != p.mode) {
                throw exit2(optName + " would set mdadm mode to \"" + newmode.word
                        + "\", but it is already set to \"" + p.mode.word + "\".");
            } else if (p.mode == null && newmode != null) {
                p.mode = newmode;
                if (p.mode == Mode.MISC && !p.devs.isEmpty()) {
                    throw new MdadmExit(2, "mdadm: No action given for " + p.devs.getFirst().name()
                            + " in --misc mode\n       Action options must come before device names");
                }
            } else if (p.mode == null) {
                if (opt == GetoptLong.NON_OPTION) {
                    if (p.devs.isEmpty()) {
                        p.devs.add(new Dev(optarg, p.devmode));
                        continue;
                    }
                    throw new MdadmExit(2, "mdadm: An option must be given to set the mode before a second device\n"
                            + "       (" + optarg + ") is listed");
                }
                throw exit2(optName + " does not set the mode, and so cannot be the first option.");
            }
            // if we just set the mode, then done
            if (opt == MANAGE_OPT || opt == MISC_OPT || opt == 'A' || opt == 'B' || opt == 'C' || opt == 'F'
                    || opt == 'G' || opt == 'I' || opt == AUTO_DETECT) {
                continue;
            }
            if (opt == GetoptLong.NON_OPTION) {
                if (!p.devs.isEmpty() && p.mode == Mode.MANAGE && p.devmode == 0) {
                    throw exit2("Must give one of -a/-r/-f for subsequent devices at " + optarg);
                }
                if (!p.devs.isEmpty() && p.mode == Mode.GROW && p.devmode == 0) {
                    throw exit2("Must give -a/--add for devices to add: " + optarg);
                }
                p.devs.add(new Dev(optarg, p.devmode));
                continue;
            }
            if (!modeOption(p.mode, opt, optarg, optName)) {
                throw exit2(g.longIndex() > 0 ? ":option " + optName + " not valid in " + p.mode.word + " mode"
                        : "option " + optName + " not valid in " + p.mode.word + " mode");
            }
        }
        afterOptions();
    }

    /** The options that depend on the mode (mdadm.c's switch on O(mode, opt)); false for one the mode lacks. */
    private boolean modeOption(Mode mode, int opt, String optarg, String optName) throws MdadmExit {
        boolean create = mode == Mode.CREATE;
        boolean grow = mode == Mode.GROW;
        boolean build = mode == Mode.BUILD;
        boolean assemble = mode == Mode.ASSEMBLE;
        boolean manage = mode == Mode.MANAGE;
        boolean misc = mode == Mode.MISC;
        switch (opt) {
            case 'c', CHUNK_SIZE -> {
                if (opt == 'c' && !(grow || create || build)) {
                    return configOption(mode, opt, optarg);
                }
                if (!(grow || create || build)) {
                    return false;
                }
                if (p.chunkKib != 0) {
                    throw exit2("chunk/rounding may only be specified once. Second value is " + optarg + ".");
                }
                long chunk = MdadmMaps.parseSize(optarg);
                if (chunk == MdadmMaps.INVALID_SECTORS || chunk < 8 || (chunk & 1) != 0) {
                    throw exit2("invalid chunk/rounding value: " + optarg);
                }
                p.chunkKib = (int) (chunk / 2);
                return true;
            }
            case 'e' -> {
                if (!(create || assemble || misc || mode == Mode.INCREMENTAL)) {
                    return false;
                }
                if (p.metadata != null) {
                    throw exit2("metadata information already given");
                }
                if (!metadataKnown(optarg)) {
                    throw exit2("unrecognised metadata identifier: " + optarg);
                }
                p.metadata = optarg;
                return true;
            }
            case 'z' -> {
                if (!(grow || create || build)) {
                    return false;
                }
                if (p.sizeKib > 0 || p.sizeMax) {
                    throw exit2("size may only be specified once. Second value is " + optarg + ".");
                }
                if (optarg.equals("max")) {
                    p.sizeMax = true;
                } else {
                    long size = MdadmMaps.parseSize(optarg);
                    if (size == MdadmMaps.INVALID_SECTORS || size < 8) {
                        throw exit2("invalid size: " + optarg);
                    }
                    p.sizeKib = size / 2;
                }
                return true;
            }
            case 'l' -> {
                if (!(grow || create || build)) {
                    return false;
                }
                if (p.level != MdadmMaps.UNSET) {
                    throw exit2("raid level may only be set once.  Second value is " + optarg + ".");
                }
                p.level = MdadmMaps.mapName(MdadmMaps.PERS, optarg);
                if (p.level == MdadmMaps.UNSET) {
                    throw exit2("invalid raid level: " + optarg);
                }
                if (build && p.level != 0 && p.level != MdadmMaps.LEVEL_LINEAR && p.level != 1
                        && p.level != MdadmMaps.LEVEL_MULTIPATH && p.level != MdadmMaps.LEVEL_FAULTY
                        && p.level != 10) {
                    throw exit2("Raid level " + optarg + " not permitted with --build.");
                }
                if (p.spareDisks > 0 && p.level < 1 && p.level >= -1) {
                    throw exit2("raid level " + optarg + " is incompatible with spare-devices setting.");
                }
                return true;
            }
            case 'p', LAYOUT -> {
                if (grow) {
                    if (p.layoutStr != null) {
                        throw exit2("layout may only be sent once.  Second value was " + optarg);
                    }
                    p.layoutStr = optarg;
                    return true;
                }
                if (!(create || build)) {
                    return false;
                }
                if (p.layout != MdadmMaps.UNSET) {
                    throw exit2("layout may only be sent once.  Second value was " + optarg);
                }
                p.layout = layoutFor(p.level, optarg);
                p.layoutStr = optarg;
                return true;
            }
            case ASSUME_CLEAN -> {
                if (!(create || build || grow)) {
                    return false;
                }
                p.assumeClean = true;
                return true;
            }
            case 'n' -> {
                if (!(grow || create || build)) {
                    return false;
                }
                if (p.raidDisks != 0) {
                    throw exit2("raid-devices set twice: " + p.raidDisks + " and " + optarg);
                }
                Integer n = MdadmMaps.parseNum(optarg);
                if (n == null || n <= 0) {
                    throw exit2("invalid number of raid devices: " + optarg);
                }
                p.raidDisks = n;
                return true;
            }
            case 'x' -> {
                if (!create) {
                    return false;
                }
                if (p.spareDisks != 0) {
                    throw exit2("spare-devices set twice: " + p.spareDisks + " and " + optarg);
                }
                if (p.level != MdadmMaps.UNSET && p.level <= 0 && p.level >= -1) {
                    throw exit2("spare-devices setting is incompatible with raid level " + p.level);
                }
                Integer n = MdadmMaps.parseNum(optarg);
                if (n == null) {
                    throw exit2("invalid number of spare-devices: " + optarg);
                }
                p.spareDisks = n;
                return true;
            }
            case 'a', AUTO -> {
                if (opt == 'a' && (manage || grow)) {
                    p.devmode = 'a';
                    return true;
                }
                // --auto (device node creation): nothing to create in jdm
                return create || build || assemble || mode == Mode.INCREMENTAL;
            }
            case SYMLINKS -> {
                return create || build || assemble;
            }
            case 'f', FORCE -> {
                if (opt == 'f' && manage) {
                    p.devmode = 'f';
                    return true;
                }
                if (opt == FORCE && manage || build || grow || create || assemble || misc) {
                    p.force = true;
                    return true;
                }
                return false;
            }
            case 'u' -> {
                if (!(create || assemble)) {
                    return false;
                }
                if (p.uuid != null) {
                    throw exit2("uuid cannot be set twice.  Second value " + optarg + ".");
                }
                p.uuid = MdadmMaps.parseUuid(optarg);
                if (p.uuid == null) {
                    throw exit2("Bad uuid: " + optarg);
                }
                return true;
            }
            case 'N' -> {
                if (!(create || assemble || misc)) {
                    return false;
                }
                if (p.name != null) {
                    throw exit2("name cannot be set twice.   Second value " + optarg + ".");
                }
                if (misc) {
                    throw exit2("-N/--name only valid with --update-subarray in misc mode");
                }
                if (optarg.length() > 32) {
                    throw exit2("name '" + optarg + "' is too long, 32 chars max.");
                }
                p.name = optarg;
                return true;
            }
            case 'o' -> {
                if (assemble || manage || create) {
                    p.readonly = 1;
                    return true;
                }
                return miscDevmode(mode, opt, optName);
            }
            case 'w' -> {
                if (manage) {
                    return true; // clear write-mostly for the following devices: nothing to clear in jdm
                }
                return miscDevmode(mode, opt, optName);
            }
            case 'R' -> {
                if (mode == Mode.INCREMENTAL || manage || assemble || build || create) {
                    if (p.runstop < 0) {
                        throw exit2("Cannot both Stop and Run an array");
                    }
                    p.runstop = 1;
                    return true;
                }
                return miscDevmode(mode, opt, optName);
            }
            case 'S' -> {
                if (manage) {
                    if (p.runstop > 0) {
                        throw exit2("Cannot both Run and Stop an array");
                    }
                    p.runstop = -1;
                    return true;
                }
                return miscDevmode(mode, opt, optName);
            }
            case ADD -> {
                if (!(manage || grow)) {
                    return false;
                }
                p.devmode = 'a';
                return true;
            }
            case ADD_SPARE -> {
                if (!manage) {
                    return false;
                }
                p.devmode = 'S';
                return true;
            }
            case RE_ADD -> {
                if (!manage) {
                    return false;
                }
                p.devmode = 'A';
                return true;
            }
            case 'r', REMOVE -> {
                if (!manage) {
                    return false;
                }
                p.devmode = 'r';
                return true;
            }
            case FAIL -> {
                if (!manage) {
                    return false;
                }
                p.devmode = 'f';
                return true;
            }
            case REPLACE -> {
                if (!manage) {
                    return false;
                }
                p.devmode = 'R';
                return true;
            }
            case WITH -> {
                if (!manage) {
                    return false;
                }
                if (p.devmode != 'R') {
                    throw exit2("--with must follow --replace");
                }
                p.devmode = 'W';
                return true;
            }
            case 's' -> {
                if (!(assemble || misc || mode == Mode.MONITOR || mode == Mode.INCREMENTAL)) {
                    return false;
                }
                p.scan = true;
                return true;
            }
            case CONFIG_FILE -> {
                return configOption(mode, opt, optarg);
            }
            case 'b', BITMAP -> {
                if (assemble) {
                    if (!optarg.equals("internal") && !optarg.equals("clustered")) {
                        throw exit2("cannot open bitmap file " + optarg + ": No such file or directory");
                    }
                    p.warnings.add("mdadm: no need to specify --bitmap when assembling arrays with internal or"
                            + " clustered bitmap");
                    return true;
                }
                if (!(build || create || grow)) {
                    return false;
                }
                if (p.bitmap != null) {
                    throw exit2("bitmap cannot be set twice. Second value: " + optarg + ".");
                }
                if (optarg.equals("internal") || optarg.equals("none") || optarg.contains("/")
                        || optarg.equals("clustered")) {
                    p.bitmap = optarg;
                    return true;
                }
                throw new MdadmExit(2, "mdadm: bitmap file must contain a '/', or be 'internal', or be 'clustered',"
                        + " or 'none'\n       not '" + optarg + "'");
            }
            case 'k' -> {
                if (!(create || grow)) {
                    return false;
                }
                int policy = MdadmMaps.mapName(MdadmMaps.CONSISTENCY_POLICIES, optarg);
                if (policy == MdadmMaps.UNSET || policy < 2) {
                    throw exit2("Invalid consistency policy: " + optarg);
                }
                p.consistencyPolicy = optarg;
                return true;
            }
            case CONTINUE -> {
                if (!grow) {
                    return false;
                }
                p.growContinue = true;
                return true;
            }
            case 'Q', 'D', 'E', 'X', KILL_OPT, 'W', WAIT_OPT, WAIT_CLEAN, EXAMINE_BB, DETAIL_PLATFORM,
                    KILL_SUBARRAY, UPDATE_SUBARRAY, DUMP, RESTORE, ACTION -> {
                if (opt == ACTION && misc) {
                    if (p.action != null) {
                        throw exit2("Only one --action can be specified");
                    }
                    if (!List.of("idle", "frozen", "check", "repair").contains(optarg)) {
                        throw exit2("action must be one of idle, frozen, check, repair");
                    }
                    p.action = optarg;
                }
                return miscDevmode(mode, opt, optName);
            }
            case 't' -> {
                return manage || misc || mode == Mode.MONITOR;
            }
            default -> {
                return false;
            }
        }
    }

    /** -c/--config: the config file (assemble, misc, monitor, incremental; --config also for create). */
    private boolean configOption(Mode mode, int opt, String optarg) throws MdadmExit {
        boolean ok = mode == Mode.ASSEMBLE || mode == Mode.INCREMENTAL || mode == Mode.MISC
                || mode == Mode.MONITOR || (mode == Mode.CREATE && opt == CONFIG_FILE);
        if (!ok) {
            return false;
        }
        if (p.configFile != null) {
            throw exit2("configfile cannot be set twice.  Second value is " + optarg + ".");
        }
        p.configFile = optarg;
        return true;
    }

    /** The misc actions (-D, -E, -S, ...): the devmode for the devices that follow. */
    private boolean miscDevmode(Mode mode, int opt, String optName) throws MdadmExit {
        if (mode != Mode.MISC) {
            return false;
        }
        int dm = p.devmode;
        if (dm != 0 && dm != opt && (dm == 'E' || (opt == 'E' && dm != 'Q'))) {
            String what = dm == 'E' ? optName
                    : Character.isLetter(dm) && dm < 128 ? "-" + (char) dm : "previous option";
            throw exit2("--examine/-E cannot be given with " + what);
        }
        p.devmode = opt;
        return true;
    }


    /** The metadata names super1's match_metadata_desc (and super0's) accept. */
    private static boolean metadataKnown(String desc) {
        return List.of("1", "1.0", "1.1", "1.2", "default", "1.default", "0", "0.90", "0.9", "00.90", "ddf",
                "imsm").contains(desc) || desc.equals("1.2.default");
    }

    /** --layout for --create: by the level given before it, as mdadm's map for that level reads it. */
    private static int layoutFor(int level, String optarg) throws MdadmExit {
        switch (level) {
            case MdadmMaps.UNSET -> throw exit2("raid level must be given before layout.");
            case 0 -> {
                int l = MdadmMaps.mapName(MdadmMaps.R0LAYOUT, optarg);
                if (l == MdadmMaps.UNSET) {
                    throw exit2("layout " + optarg + " not understood for raid0.");
                }
                return l;
            }
            case 5 -> {
                int l = MdadmMaps.mapName(MdadmMaps.R5LAYOUT, optarg);
                if (l == MdadmMaps.UNSET) {
                    throw exit2("layout " + optarg + " not understood for raid5.");
                }
                return l;
            }
            case 6 -> {
                int l = MdadmMaps.mapName(MdadmMaps.R6LAYOUT, optarg);
                if (l == MdadmMaps.UNSET) {
                    throw exit2("layout " + optarg + " not understood for raid6.");
                }
                return l;
            }
            case 10 -> {
                int l = MdadmMaps.parseLayout10(optarg);
                if (l < 0) {
                    throw exit2("layout for raid10 must be 'nNN', 'oNN' or 'fNN' where NN is a number, not "
                            + optarg);
                }
                return l;
            }
            default -> throw exit2("layout not meaningful for " + MdadmMaps.mapNum(MdadmMaps.PERS, level)
                    + " arrays.");
        }
    }

    /** The checks main makes once the options are read. */
    private void afterOptions() throws MdadmExit {
        if (p.printHelp != 0) {
            return;
        }
        if (p.mode == Mode.CREATE && p.consistencyPolicy != null) {
            if (p.level <= 0) {
                throw exit2("--consistency-policy not meaningful with level "
                        + MdadmMaps.mapNum(MdadmMaps.PERS, p.level) + ".");
            }
            if (p.consistencyPolicy.equals("bitmap") && (p.bitmap == null || p.bitmap.equals("none"))) {
                throw exit2("--bitmap is required for consistency policy: bitmap");
            }
            if (p.bitmap != null && !p.bitmap.equals("none") && !p.consistencyPolicy.equals("bitmap")
                    && !p.consistencyPolicy.equals("journal")) {
                throw exit2("--bitmap is not compatible with consistency policy: " + p.consistencyPolicy);
            }
        }
        if (p.mode == null && !p.devs.isEmpty()) {
            p.mode = Mode.MISC;
            p.devmode = 'Q';
            Dev first = p.devs.getFirst();
            if (first.disposition() == 0) {
                p.devs.set(0, new Dev(first.name(), 'Q'));
            }
        }
        if (p.mode == null) {
            throw new MdadmExit(2, USAGE.stripTrailing());
        }
        Mode m = p.mode;
        if (m == Mode.MANAGE || m == Mode.BUILD || m == Mode.CREATE || m == Mode.GROW
                || (m == Mode.ASSEMBLE && !p.scan)) {
            if (p.devs.isEmpty()) {
                throw exit2("an md device must be given in this mode");
            }
            String base = p.devs.getFirst().name();
            base = base.substring(base.lastIndexOf('/') + 1);
            if ((m == Mode.CREATE || m == Mode.ASSEMBLE || m == Mode.BUILD) && base.length() > 32) {
                throw new MdadmExit(1, "mdadm: Name " + p.devs.getFirst().name() + " is too long.");
            }
        }
        if (p.raidDisks == 1 && !p.force && p.level != MdadmMaps.LEVEL_FAULTY) {
            throw new MdadmExit(2, "mdadm: '1' is an unusual number of drives for an array, so it is probably\n"
                    + "     a mistake.  If you really mean it you will need to specify --force before\n"
                    + "     setting the number of drives.");
        }
        if (p.homehost == null || p.homehost.equalsIgnoreCase("<system>")) {
            p.homehost = systemHostname();
        }
        if (p.homehost != null && (p.homehost.isEmpty() || p.homehost.equalsIgnoreCase("<none>"))) {
            p.homehost = null;
            p.requireHomehost = false;
        }
    }

    /** gethostname(), as mdadm takes its homehost when none is given. */
    static String systemHostname() {
        try {
            String h = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
            if (!h.isEmpty()) {
                return h;
            }
        } catch (java.io.IOException | RuntimeException e) {
            // fall back to the JDK's view
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
