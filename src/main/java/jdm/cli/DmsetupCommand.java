package jdm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import jdm.control.ControlClient;
import jdm.control.ControlException;
import jdm.control.DevNo;
import jdm.control.DeviceDeps;
import jdm.control.DeviceInfo;
import jdm.control.Errno;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * "jdm dmsetup": the dmsetup tool's commands, options and output (lvm2 libdm/dm-tools/dmsetup.c, 1.02.185), run
 * against a jdm daemon through its control socket instead of /dev/mapper/control. The socket is --control PATH, else
 * $JDM_CONTROL, else /run/jdm/control.sock. Table files and relative backing-file paths in tables are taken relative
 * to the current directory, as dmsetup would. Exit status 0 on success, 1 on failure, after dmsetup's messages and
 * "Command failed."; the reason the daemon refused an ioctl goes to its kernel log ("jdm dmesg"), as the kernel's.
 *
 * <p>As in dmsetup, every option may come before or after the command; names and UUIDs are checked and mangled by
 * libdm's rules before anything is sent.
 */
@Command(name = "dmsetup", sortOptions = false,
        description = {"Device-mapper control with dmsetup's commands and output, through the jdm daemon's control"
                + " socket (--control PATH, else $JDM_CONTROL, else " + "/run/jdm/control.sock)."},
        subcommands = {DmsetupLifecycle.Create.class, DmsetupLifecycle.Load.class, DmsetupLifecycle.Suspend.class,
                DmsetupLifecycle.Resume.class, DmsetupLifecycle.Remove.class, DmsetupLifecycle.RemoveAll.class,
                DmsetupLifecycle.WipeTable.class, DmsetupLifecycle.Clear.class,
                DmsetupQueries.TableCmd.class, DmsetupQueries.Status.class, DmsetupQueries.Info.class,
                DmsetupQueries.Deps.class, DmsetupQueries.Ls.class, DmsetupLifecycle.Message.class,
                DmsetupQueries.Targets.class, DmsetupQueries.Version.class, DmsetupLifecycle.Wait.class,
                DmsetupLifecycle.Rename.class, DmsetupUdev.Mknodes.class, DmsetupUdev.UdevCompleteAll.class,
                DmsetupUdev.UdevCookies.class})
public final class DmsetupCommand implements Callable<Integer> {
    /** What "dmsetup version" prints as the library version: the dmsetup release whose behaviour this follows. */
    static final String LIBRARY_VERSION = "1.02.185 (jdm)";
    static final String CONTROL_ENV = "JDM_CONTROL";
    static final String MANGLING_ENV = "DM_DEFAULT_NAME_MANGLING_MODE";
    /** DM_NAME_LEN: names are shorter. */
    static final int NAME_LEN = 128;
    /** DM_UUID_LEN. */
    static final int UUID_LEN = 129;

    @Option(names = "--control", paramLabel = "PATH", scope = ScopeType.INHERIT,
            description = "The jdm daemon's control socket (default: $JDM_CONTROL, else /run/jdm/control.sock).")
    Path control;

    // ---- dmsetup's switches: global, as getopt_long reads them anywhere on the line ----
    @Option(names = {"-c", "-C", "--columns"}, scope = ScopeType.INHERIT, description = "Report as columns.")
    boolean columns;

    @Option(names = {"-o", "--options"}, paramLabel = "FIELDS", scope = ScopeType.INHERIT,
            description = "Report fields (+FIELDS adds to the default), or ls --tree options.")
    String options;

    @Option(names = "--noheadings", scope = ScopeType.INHERIT, description = "No report headings.")
    boolean noHeadings;

    @Option(names = "--separator", paramLabel = "SEP", scope = ScopeType.INHERIT, description = "Field separator.")
    String separator;

    @Option(names = {"-S", "--select"}, paramLabel = "SELECTION", scope = ScopeType.INHERIT,
            description = "Only devices matching the selection.")
    String select;

    @Option(names = {"-O", "--sort"}, paramLabel = "KEYS", scope = ScopeType.INHERIT, description = "Sort keys.")
    String sort;

    @Option(names = "--nameprefixes", scope = ScopeType.INHERIT, description = "DM_FIELD=VALUE report output.")
    boolean namePrefixes;

    @Option(names = "--rows", scope = ScopeType.INHERIT, description = "Report fields as rows.")
    boolean rows;

    @Option(names = "--unquoted", scope = ScopeType.INHERIT, description = "No quotes with --nameprefixes.")
    boolean unquoted;

    @Option(names = "--inactive", scope = ScopeType.INHERIT, description = "Use the inactive table.")
    boolean inactive;

    @Option(names = "--showkeys", scope = ScopeType.INHERIT, description = "Show keys in crypt tables.")
    boolean showKeys;

    @Option(names = "--target", paramLabel = "TYPE", scope = ScopeType.INHERIT,
            description = "Only targets of this type.")
    String target;

    @Option(names = "--exec", paramLabel = "COMMAND", scope = ScopeType.INHERIT,
            description = "Run COMMAND /dev/mapper/NAME for each device listed.")
    String exec;

    @Option(names = "--tree", scope = ScopeType.INHERIT, description = "ls: draw the dependency tree.")
    boolean tree;

    @Option(names = "--manglename", paramLabel = "MODE", scope = ScopeType.INHERIT,
            description = "Name mangling: none, auto (default) or hex.")
    String mangleName;

    @Option(names = {"-u", "--uuid"}, paramLabel = "UUID", scope = ScopeType.INHERIT, description = "The UUID.")
    String uuid;

    @Option(names = {"-r", "--readonly"}, scope = ScopeType.INHERIT, description = "Read-only table or device.")
    boolean readOnly;

    @Option(names = {"-n", "--notable"}, scope = ScopeType.INHERIT, description = "Create without a table.")
    boolean noTable;

    @Option(names = "--table", paramLabel = "TABLE", scope = ScopeType.INHERIT,
            description = "The table (lines separated by newlines).")
    String table;

    @Option(names = {"-f", "--force"}, scope = ScopeType.INHERIT,
            description = "remove: replace the table with an error target first.")
    boolean force;

    @Option(names = "--noflush", scope = ScopeType.INHERIT, description = "suspend: keep requeued I/O queued.")
    boolean noflush;

    @Option(names = "--setuuid", scope = ScopeType.INHERIT, description = "rename: set the UUID instead.")
    boolean setUuid;

    @Option(names = {"-y", "--yes"}, scope = ScopeType.INHERIT, description = "Answer yes to prompts.")
    boolean yes;

    @Option(names = {"--nolockfs", "--noopencount", "--retry", "--checks", "--deferred", "--noudevsync",
            "--noudevrules", "--verifyudev", "--addnodeoncreate", "--addnodeonresume"},
            scope = ScopeType.INHERIT, hidden = true, description = "Accepted; nothing to do in jdm.")
    boolean ignoredSwitch;

    @Option(names = {"-h", "--help"}, usageHelp = true, scope = ScopeType.INHERIT, description = "Show this help.")
    boolean help;

    @Spec
    CommandSpec spec;

    private final InputStream stdin;
    final Function<String, String> env;
    private final Path cwd;
    NameMangling mangling = NameMangling.AUTO;

    public DmsetupCommand() {
        this(System.in, System::getenv, Path.of(System.getProperty("user.dir")));
    }

    /** For tests: the standard input, environment and current directory the command sees. */
    DmsetupCommand(InputStream stdin, Function<String, String> env, Path cwd) {
        this.stdin = stdin;
        this.env = env;
        this.cwd = cwd.toAbsolutePath();
    }

    /** "dmsetup" alone: the usage, and failure, as dmsetup. */
    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        spec.commandLine().usage(err);
        err.flush();
        return 1;
    }

    /**
     * A command line picocli cannot parse, reported as dmsetup's getopt_long and main do: "dmsetup: unrecognized
     * option '--x'" (or "invalid option -- 'x'", "option '--x' requires an argument") and "Couldn't process command
     * line.", or "Unknown command." and the usage; exit status 1. Only for dmsetup's command lines ({@link
     * #isDmsetup}).
     */
    public static int onBadCommandLine(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        Object cmd = cl.getCommand();
        PrintWriter err = cl.getErr();
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().getFirst();
            if (!first.startsWith("-") && cmd instanceof DmsetupCommand) {
                err.print("Unknown command.\n");
                cl.usage(err);
                err.flush();
                return 1;
            }
            err.print(first.startsWith("--") ? "dmsetup: unrecognized option '" + first.split("=", 2)[0] + "'\n"
                    : "dmsetup: invalid option -- '" + (first.length() > 1 ? first.charAt(1) : '-') + "'\n");
        } else if (ex instanceof CommandLine.MissingParameterException m && !m.getMissing().isEmpty()
                && m.getMissing().getFirst() instanceof CommandLine.Model.OptionSpec o) {
            err.print(o.longestName().startsWith("--") ? "dmsetup: option '" + o.longestName()
                    + "' requires an argument\n" : "dmsetup: option requires an argument -- '"
                    + o.longestName().substring(1) + "'\n");
        } else {
            err.print("dmsetup: " + ex.getMessage() + "\n");
        }
        err.print("Couldn't process command line.\n");
        err.flush();
        return 1;
    }

    /** Whether a command line that failed to parse was dmsetup's. */
    public static boolean isDmsetup(CommandLine.ParameterException ex) {
        Object cmd = ex.getCommandLine().getCommand();
        return cmd instanceof DmsetupCommand || cmd instanceof Sub;
    }

    /** The control socket: --control, else $JDM_CONTROL, else the default; relative paths from the current dir. */
    Path controlPath() {
        Path p = control;
        if (p == null) {
            String e = env.apply(CONTROL_ENV);
            p = e != null && !e.isEmpty() ? Path.of(e) : ControlClient.DEFAULT_SOCKET;
        }
        return cwd.resolve(p);
    }

    /** dmsetup's _process_switches checks that need no daemon. */
    private void processSwitches() throws DmsetupFailure {
        String mode = mangleName != null ? mangleName : env.apply(MANGLING_ENV);
        if (mode != null && !mode.isEmpty()) {
            NameMangling m = NameMangling.of(mode);
            if (m == null) {
                throw DmsetupFailure.commandLine("Unknown name mangling mode.", "Couldn't process command line.");
            }
            mangling = m;
        }
        if (table != null && noTable) {
            throw DmsetupFailure.commandLine("--table and --notable are incompatible.",
                    "Couldn't process command line.");
        }
    }

    private int execute(Sub sub) {
        CommandLine cl = sub.spec.commandLine();
        PrintWriter out = cl.getOut();
        PrintWriter err = cl.getErr();
        try {
            processSwitches();
            sub.run(new Session(new ControlClient(controlPath()), out, err, cwd, stdin));
            return 0;
        } catch (DmsetupFailure f) {
            out.flush();
            for (String line : f.lines()) {
                err.print(line + "\n");
            }
            if (f.usage()) {
                cl.usage(err);
            }
            if (f.commandFailed()) {
                err.print("Command failed.\n");
            }
            return 1;
        } catch (IOException e) {
            out.flush();
            err.print(e.getMessage() + "\n");
            err.print("Command failed.\n");
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** What a subcommand works with: the daemon, the streams, the current directory. */
    record Session(ControlClient client, PrintWriter out, PrintWriter err, Path cwd, InputStream stdin) {
        void print(String s) {
            out.print(s);
        }

        /** The table from --table, else from the file, else from standard input, as dmsetup's _parse_file. */
        TableInput.Parsed readTable(String table, String file) throws DmsetupFailure, IOException {
            if (table != null) {
                return TableInput.parse(table, "");
            }
            if (file != null) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(cwd.resolve(file));
                } catch (IOException e) {
                    throw DmsetupFailure.command("Couldn't open '" + file + "' for reading.");
                }
                return TableInput.parse(new String(bytes, StandardCharsets.UTF_8), file);
            }
            return TableInput.parse(new String(stdin.readAllBytes(), StandardCharsets.UTF_8), "on stdin");
        }
    }

    /** A refused ioctl: libdm's one line, then "Command failed."; the reason is in the daemon's kernel log. */
    static DmsetupFailure ioctl(ControlException e, String name, String uuid, boolean byNumber) {
        return DmsetupFailure.command(DmsetupFormat.ioctlFailed(e, display(name), uuid, byNumber));
    }

    private static String display(String name) {
        return name;
    }

    /**
     * dm_task_set_name: the name a device argument stands for, as sent to the kernel. A path is only taken as
     * /dev/mapper/NAME (there are no other device nodes here), and never for create; the name must be shorter than
     * DM_NAME_LEN and is mangled by the current mode.
     */
    String deviceName(String arg, boolean creating) throws DmsetupFailure {
        int slash = arg.lastIndexOf('/');
        if (slash >= 0) {
            if (creating) {
                throw DmsetupFailure.command("Name \"" + arg + "\" invalid. It contains \"/\".");
            }
            if (arg.startsWith("/dev/mapper/") && slash == "/dev/mapper/".length() - 1 && slash + 1 < arg.length()) {
                return checkedName(arg.substring(slash + 1), NameMangling.NONE);
            }
            throw DmsetupFailure.command("Device " + arg + " not found");
        }
        return checkedName(arg, mangling);
    }

    private static String checkedName(String name, NameMangling mode) throws DmsetupFailure {
        if (name.getBytes(StandardCharsets.UTF_8).length >= NAME_LEN) {
            throw DmsetupFailure.command("Name \"" + name + "\" too long.");
        }
        return mode.mangle(name, "name", "Failed to mangle device name \"" + name + "\".");
    }

    /** dm_task_set_uuid: the UUID as sent, mangled by the current mode. */
    String deviceUuid(String u) throws DmsetupFailure {
        return mangling.mangle(u, "UUID", "Failed to mangle device uuid \"" + u + "\".");
    }

    /** A name from the daemon as dmsetup prints it (unmangled unless the mode is none). */
    String shown(String name) {
        return mangling.unmangle(name);
    }

    /** "--exec COMMAND": COMMAND's words and /dev/mapper/NAME, run and waited for (dmsetup's _exec_command). */
    void execFor(Session s, String name) throws DmsetupFailure {
        List<String> argv = new ArrayList<>(List.of(exec.trim().split("\\s+")));
        if (argv.getFirst().isEmpty()) {
            throw DmsetupFailure.command();
        }
        argv.add("/dev/mapper/" + name);
        s.out().flush();
        try {
            Process p = new ProcessBuilder(argv).directory(s.cwd().toFile()).redirectErrorStream(false).start();
            p.getOutputStream().close();
            Thread errPump = Thread.ofVirtual().start(() -> {
                try {
                    String e = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                    synchronized (s.err()) {
                        s.err().print(e);
                    }
                } catch (IOException e) {
                    // the child's stderr went away
                }
            });
            s.print(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            p.waitFor();
            errPump.join();
        } catch (IOException e) {
            // execvp failed in the child: it exits 127, which dmsetup does not check
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A dmsetup subcommand; picocli runs it through {@link #execute}. */
    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        DmsetupCommand dmsetup;

        @Spec
        CommandSpec spec;

        @Override
        public final Integer call() {
            return dmsetup.execute(this);
        }

        abstract void run(Session s) throws DmsetupFailure, IOException;
    }

    /**
     * Subcommands taking device names, each processed in turn until one fails (dmsetup's repeatable commands). For
     * the ones dmsetup marks as selectable, -S first runs "info" over every device and then the command on each
     * device the selection picks, printed as for several devices.
     */
    abstract static class DevicesSub extends Sub {
        @Parameters(paramLabel = "DEVICE", arity = "0..*", description = "Device names.")
        List<String> devices = new ArrayList<>();

        /** Whether -S picks the devices (dmsetup's repeatable_cmd == 2). */
        boolean selectable() {
            return true;
        }

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (dmsetup.select != null && selectable()) {
                DmsetupReport report = DmsetupReport.create("name", null, dmsetup.select,
                        DmsetupReport.Layout.of(false, null, false, false, false));
                List<String> picked = new ArrayList<>();
                for (DmsetupReport.Row r : dmsetup.rows(s, null, report)) {
                    if (report.selected(r)) {
                        picked.add(r.info().name());
                    }
                }
                for (String name : picked) {
                    one(s, name, name, true);
                }
                return;
            }
            if (devices.isEmpty() && dmsetup.uuid != null) {
                byUuid(s, dmsetup.deviceUuid(dmsetup.uuid));
                return;
            }
            if (devices.isEmpty()) {
                all(s);
                return;
            }
            boolean multiple = devices.size() != 1;
            for (String arg : devices) {
                one(s, arg, dmsetup.deviceName(arg, false), multiple);
            }
        }

        /**
         * "-u UUID" instead of a name (_set_task_device): the device with that UUID, one device's output. The
         * daemon is asked by name, so the UUID is looked up first; none is the ioctl's ENXIO, as libdm reports it
         * for this command.
         */
        private void byUuid(Session s, String uuid) throws DmsetupFailure, IOException {
            List<DeviceInfo> all;
            try {
                all = s.client().info(null);
            } catch (ControlException e) {
                throw ioctl(e, "", dmsetup.uuid, false);
            }
            for (DeviceInfo i : all) {
                if (uuid.equals(i.uuid())) {
                    one(s, i.name(), i.name(), false);
                    return;
                }
            }
            missingUuid(dmsetup.uuid);
        }

        /** No device has the UUID given with -u: libdm's ioctl failure (info and status: "Device does not exist."). */
        void missingUuid(String uuid) throws DmsetupFailure {
            throw DmsetupFailure.command("device-mapper: " + ioctlName() + " ioctl on  " + uuid
                    + " failed: No such device or address");
        }

        /** The ioctl this command issues, as libdm names it. */
        String ioctlName() {
            return spec.name();
        }

        /** No device named: dmsetup's default ("No device specified." unless the command runs on all). */
        void all(Session s) throws DmsetupFailure, IOException {
            throw DmsetupFailure.command("No device specified.");
        }

        /** The command on one device; arg is what the user wrote, name the checked name sent. */
        abstract void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException;
    }

    @FunctionalInterface
    interface DeviceCall {
        void run(String name) throws ControlException, IOException;
    }

    /** One ioctl on a named device: libdm's failure line names the device as the user wrote it. */
    static void ioctlOn(String arg, String name, DeviceCall c) throws DmsetupFailure, IOException {
        try {
            c.run(name);
        } catch (ControlException e) {
            throw ioctl(e, arg, null, false);
        }
    }

    /**
     * Rows for "info -c" (and -S): the info of one device or all, plus deps and the dependency tree when a field
     * needs them.
     */
    List<DmsetupReport.Row> rows(Session s, String name, DmsetupReport report) throws DmsetupFailure, IOException {
        List<DeviceInfo> infos;
        try {
            infos = s.client().info(name, inactive);
        } catch (ControlException e) {
            throw e.errno() == Errno.ENXIO && name != null ? DmsetupFailure.command("Device does not exist.")
                    : ioctl(e, name == null ? "" : name, null, false);
        }
        Map<DevNo, DeviceDeps> byDev = new HashMap<>();
        if (report.needs(DmsetupReport.Needs.DEPS) || report.needs(DmsetupReport.Needs.TREE)) {
            try {
                for (DeviceDeps d : s.client().list()) {
                    byDev.put(d.devNo(), d);
                }
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
        }
        List<DmsetupReport.Row> out = new ArrayList<>();
        for (DeviceInfo i : infos) {
            DeviceDeps d = byDev.get(i.devNo());
            List<DevNo> deps = d == null ? List.of() : d.deps();
            List<String> depNames = new ArrayList<>();
            for (DevNo n : deps) {
                DeviceDeps lower = byDev.get(n);
                if (lower != null) {
                    depNames.add(shown(lower.name()));
                }
            }
            List<String> users = new ArrayList<>();
            List<DevNo> userDevs = new ArrayList<>();
            for (DeviceDeps upper : byDev.values()) {
                if (upper.deps().contains(i.devNo())) {
                    users.add(shown(upper.name()));
                    userDevs.add(upper.devNo());
                }
            }
            String u = i.uuid() == null ? "" : i.uuid();
            DeviceInfo shownInfo = new DeviceInfo(shown(i.name()), i.uuid() == null ? null : shown(i.uuid()),
                    i.devNo(), i.suspended(), i.readOnly(), i.liveTable(), i.inactiveTable(), i.openCount(),
                    i.eventNr(), i.targetCount(), i.readAheadSectors());
            out.add(new DmsetupReport.Row(shownInfo, mangledOrSame(i.name(), "name"), shown(i.name()),
                    mangledOrSame(u, "UUID"), shown(u), deps, depNames, users, userDevs));
        }
        return out;
    }

    private String mangledOrSame(String s, String what) {
        try {
            return (mangling == NameMangling.NONE ? NameMangling.AUTO : mangling).mangle(s, what, "");
        } catch (DmsetupFailure e) {
            return s;
        }
    }

    /**
     * strtoull(word, &amp;end, 10) as dmsetup's message checks it: leading space, a sign, at least one digit, nothing
     * after, no overflow (ERANGE); a minus sign negates modulo 2^64. Returns null when dmsetup says "Invalid sector.".
     */
    static Long strtoull(String word) {
        int i = 0;
        while (i < word.length() && TableInput.isSpace(word.charAt(i))) {
            i++;
        }
        boolean negative = false;
        if (i < word.length() && (word.charAt(i) == '+' || word.charAt(i) == '-')) {
            negative = word.charAt(i) == '-';
            i++;
        }
        int digits = i;
        long v = 0;
        for (; i < word.length() && word.charAt(i) >= '0' && word.charAt(i) <= '9'; i++) {
            int d = word.charAt(i) - '0';
            if (Long.compareUnsigned(v, Long.divideUnsigned(-1L - d, 10)) > 0) {
                return null; // ERANGE
            }
            v = v * 10 + d;
        }
        if (i == digits || i != word.length()) {
            return null;
        }
        return negative ? -v : v;
    }

    /** atoi: leading space, a sign, digits up to the first non-digit; 0 when there are none. */
    static int atoi(String word) {
        int i = 0;
        while (i < word.length() && TableInput.isSpace(word.charAt(i))) {
            i++;
        }
        boolean negative = false;
        if (i < word.length() && (word.charAt(i) == '+' || word.charAt(i) == '-')) {
            negative = word.charAt(i) == '-';
            i++;
        }
        long v = 0;
        for (; i < word.length() && word.charAt(i) >= '0' && word.charAt(i) <= '9'; i++) {
            v = Math.min(v * 10 + (word.charAt(i) - '0'), 1L << 32);
        }
        return (int) (negative ? -v : v);
    }
}
