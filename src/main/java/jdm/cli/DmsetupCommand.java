package jdm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import jdm.control.ControlClient;
import jdm.control.ControlException;
import jdm.control.DevNo;
import jdm.control.DeviceDeps;
import jdm.control.DeviceInfo;
import jdm.control.DeviceTable;
import jdm.control.Errno;
import jdm.control.TargetLine;
import jdm.control.TargetVersion;
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
        subcommands = {DmsetupCommand.Create.class, DmsetupCommand.Load.class, DmsetupCommand.Suspend.class,
                DmsetupCommand.Resume.class, DmsetupCommand.Remove.class, DmsetupCommand.Clear.class,
                DmsetupCommand.TableCmd.class, DmsetupCommand.Status.class, DmsetupCommand.Info.class,
                DmsetupCommand.Deps.class, DmsetupCommand.Ls.class, DmsetupCommand.Message.class,
                DmsetupCommand.Targets.class, DmsetupCommand.Version.class, DmsetupCommand.Wait.class,
                DmsetupCommand.Rename.class, DmsetupCommand.Mknodes.class, DmsetupCommand.UdevCompleteAll.class,
                DmsetupCommand.UdevCookies.class})
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
    private final Function<String, String> env;
    private final Path cwd;
    private NameMangling mangling = NameMangling.AUTO;

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
            if (devices.isEmpty()) {
                all(s);
                return;
            }
            boolean multiple = devices.size() != 1;
            for (String arg : devices) {
                one(s, arg, dmsetup.deviceName(arg, false), multiple);
            }
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

    @Command(name = "create", description = "Create a device, with a table from --table, TABLE_FILE or stdin.")
    static final class Create extends Sub {
        @Parameters(paramLabel = "NAME [TABLE_FILE]", arity = "0..*", description = "Device name, table file.")
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (args.size() > 2) {
                throw DmsetupFailure.arguments();
            }
            if (args.isEmpty()) {
                throw DmsetupFailure.command("Please provide a name for the new device.");
            }
            String arg = args.get(0);
            String name = dmsetup.deviceName(arg, true);
            String uuid = dmsetup.uuid == null ? null : dmsetup.deviceUuid(dmsetup.uuid);
            String text = null;
            if (!dmsetup.noTable) {
                TableInput.Parsed p = s.readTable(dmsetup.table, args.size() == 2 ? args.get(1) : null);
                text = p.targets() > 0 ? p.text() : null; // no targets: a device without a table, as dmsetup
            }
            try {
                s.client().create(name, uuid, dmsetup.readOnly, text, s.cwd());
            } catch (ControlException e) {
                // the create ioctl carries the UUID; libdm addresses the reload by the new device's number
                throw ioctl(e, arg, e.ioctl().equals("create") ? dmsetup.uuid : null, e.ioctl().equals("reload"));
            }
        }
    }

    @Command(name = "load", aliases = "reload",
            description = "Load a table (from --table, TABLE_FILE or stdin) as the device's inactive table.")
    static final class Load extends Sub {
        @Parameters(paramLabel = "DEVICE [TABLE_FILE]", arity = "0..*", description = "Device name, table file.")
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (dmsetup.noTable) {
                throw DmsetupFailure.command("--notable only available when creating new device.");
            }
            if (args.size() > 2) {
                throw DmsetupFailure.arguments();
            }
            if (args.isEmpty()) {
                throw DmsetupFailure.command("Please specify device.");
            }
            String arg = args.get(0);
            String name = dmsetup.deviceName(arg, false);
            TableInput.Parsed p = s.readTable(dmsetup.table, args.size() == 2 ? args.get(1) : null);
            ioctlOn(arg, name, n -> s.client().load(n, p.text(), s.cwd(), dmsetup.readOnly));
        }
    }

    @Command(name = "suspend", description = "Suspend devices: I/O is queued until resume.")
    static final class Suspend extends DevicesSub {
        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            ioctlOn(arg, name, n -> s.client().suspend(n, dmsetup.noflush));
        }
    }

    @Command(name = "resume", description = "Resume devices, making a loaded inactive table live.")
    static final class Resume extends DevicesSub {
        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            ioctlOn(arg, name, n -> s.client().resume(n));
        }
    }

    @Command(name = "remove", description = "Remove devices.")
    static final class Remove extends DevicesSub {
        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            ioctlOn(arg, name, n -> s.client().remove(n, dmsetup.force));
        }
    }

    @Command(name = "clear", description = "Drop the devices' inactive tables.")
    static final class Clear extends DevicesSub {
        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            ioctlOn(arg, name, n -> s.client().clear(n));
        }
    }

    /**
     * "table" and "status" (dmsetup's _status): one device's lines bare, several (or all) devices' lines prefixed
     * "NAME: "; --inactive shows the inactive table, --target only targets of one type, --exec runs a command for
     * each device shown.
     */
    abstract static class TablesSub extends DevicesSub {
        abstract List<DeviceTable> fetch(ControlClient c, String name) throws IOException, ControlException;

        @Override
        void all(Session s) throws DmsetupFailure, IOException {
            List<DeviceTable> all;
            try {
                all = fetch(s.client(), null);
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
            if (all.isEmpty()) {
                s.print("No devices found\n");
            }
            for (DeviceTable t : all) {
                print(s, t, true);
            }
        }

        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            DeviceTable t;
            try {
                t = fetch(s.client(), name).getFirst();
            } catch (ControlException e) {
                // libdm takes ENXIO from the status ioctl (not table's) as "Device does not exist."
                throw e.errno() == Errno.ENXIO && missingIsNoDevice() ? DmsetupFailure.command(
                        "Device does not exist.") : ioctl(e, arg, null, false);
            }
            print(s, t, multiple);
        }

        boolean hidesKeys() {
            return false;
        }

        boolean missingIsNoDevice() {
            return true;
        }

        private void print(Session s, DeviceTable t, boolean multiple) throws DmsetupFailure {
            String name = dmsetup.shown(t.name());
            String prefix = multiple ? name + ": " : "";
            boolean matched = false;
            if (t.targets().isEmpty()) {
                if (dmsetup.target == null) {
                    if (dmsetup.exec == null) {
                        s.print(prefix + "\n"); // a device without a table: dmsetup prints an empty line
                    }
                    matched = true;
                }
            }
            for (TargetLine l : t.targets()) {
                if (dmsetup.exec == null) {
                    String params = hidesKeys() && !dmsetup.showKeys ? DmsetupFormat.hideKeys(l.type(), l.params())
                            : l.params();
                    s.print(DmsetupFormat.target(prefix, new TargetLine(l.startSector(), l.lengthSectors(),
                            l.type(), params)));
                }
                matched = true;
            }
            if (matched && dmsetup.exec != null) {
                dmsetup.execFor(s, t.name());
            }
        }
    }

    @Command(name = "table", description = "Show the live (or --inactive) tables of the devices (default: all).")
    static final class TableCmd extends TablesSub {
        @Override
        List<DeviceTable> fetch(ControlClient c, String name) throws IOException, ControlException {
            return c.table(name, dmsetup.target, dmsetup.inactive);
        }

        @Override
        boolean hidesKeys() {
            return true;
        }

        @Override
        boolean missingIsNoDevice() {
            return false;
        }
    }

    @Command(name = "status", description = "Show the status of the devices' targets (default: all).")
    static final class Status extends TablesSub {
        @Override
        List<DeviceTable> fetch(ControlClient c, String name) throws IOException, ControlException {
            return c.status(name, dmsetup.target, dmsetup.inactive);
        }
    }

    /** "info": dmsetup's long form, or with -c the report (-o, --noheadings, --separator, -S, --sort, ...). */
    @Command(name = "info", description = "Show the state of the devices (default: all).")
    static final class Info extends DevicesSub {
        private DmsetupReport report;

        @Override
        boolean selectable() {
            return false;
        }

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (dmsetup.columns) {
                if (dmsetup.options != null && java.util.Arrays.stream(dmsetup.options.replaceFirst("^\\+", "")
                        .split(",")).anyMatch(f -> f.equals("help") || f.equals("?"))) {
                    // dm_report_init lists the fields (on stderr, as log_warn) and the report then shows nothing
                    DmsetupReport.help().forEach(l -> s.err().print(l + "\n"));
                    return;
                }
                report = DmsetupReport.create(dmsetup.options, dmsetup.sort, dmsetup.select,
                        DmsetupReport.Layout.of(dmsetup.noHeadings, dmsetup.separator, dmsetup.namePrefixes,
                                dmsetup.unquoted, dmsetup.rows));
            }
            try {
                super.run(s);
            } finally {
                if (report != null) {
                    s.print(report.output()); // dm_report_output runs after the command, failed or not
                }
            }
        }

        @Override
        void all(Session s) throws DmsetupFailure, IOException {
            if (report != null) {
                List<DmsetupReport.Row> all = dmsetup.rows(s, null, report);
                if (all.isEmpty()) {
                    s.print("No devices found\n");
                }
                all.forEach(report::add);
                return;
            }
            List<DeviceInfo> all;
            try {
                all = s.client().info(null, dmsetup.inactive);
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
            if (all.isEmpty()) {
                s.print("No devices found\n");
            }
            for (DeviceInfo i : all) {
                s.print(DmsetupFormat.info(i, dmsetup.shown(i.name())));
            }
        }

        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            if (report != null) {
                dmsetup.rows(s, name, report).forEach(report::add);
                return;
            }
            try {
                DeviceInfo i = s.client().info(name, dmsetup.inactive).getFirst();
                s.print(DmsetupFormat.info(i, dmsetup.shown(i.name())));
            } catch (ControlException e) {
                throw e.errno() == Errno.ENXIO ? DmsetupFailure.command("Device does not exist.")
                        : ioctl(e, arg, null, false);
            }
        }
    }

    @Command(name = "deps", description = "Show the devices each device's table uses (default: all devices).")
    static final class Deps extends DevicesSub {
        @Override
        void all(Session s) throws DmsetupFailure, IOException {
            List<DeviceDeps> all;
            try {
                all = s.client().deps(null);
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
            if (all.isEmpty()) {
                s.print("No devices found\n");
            }
            for (DeviceDeps d : all) {
                s.print(DmsetupFormat.deps(dmsetup.shown(d.name()) + ": ", d));
            }
        }

        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            try {
                DeviceDeps d = s.client().deps(name).getFirst();
                s.print(DmsetupFormat.deps(multiple ? dmsetup.shown(d.name()) + ": " : "", d));
            } catch (ControlException e) {
                throw ioctl(e, arg, null, false);
            }
        }
    }

    /** "ls": names and numbers; --target/--exec as dmsetup's _status in ls mode; --tree with its -o options. */
    @Command(name = "ls", description = "List the devices, or draw their dependency tree.")
    static final class Ls extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (!args.isEmpty()) {
                throw DmsetupFailure.arguments();
            }
            DmsetupTree.Options treeOptions = null;
            if (dmsetup.tree) {
                treeOptions = DmsetupTree.Options.parse(dmsetup.options, dmsetup.env);
            }
            try {
                List<DeviceDeps> all = s.client().list();
                if (all.isEmpty()) {
                    s.print("No devices found\n");
                    return;
                }
                if (dmsetup.target != null || dmsetup.exec != null) {
                    listMatching(s, all);
                } else if (treeOptions != null) {
                    Map<DevNo, DeviceInfo> infos = new HashMap<>();
                    if (treeOptions.needsInfo()) {
                        for (DeviceInfo i : s.client().info(null)) {
                            infos.put(i.devNo(), i);
                        }
                    }
                    s.print(new DmsetupTree(all, infos, treeOptions, dmsetup::shown).draw());
                } else {
                    for (DeviceDeps d : all) {
                        s.print(dmsetup.shown(d.name()) + "\t(" + d.devNo().major() + ":" + d.devNo().minor()
                                + ")\n");
                    }
                }
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
        }

        /** _status in ls mode: each device with a target of the type (any device without --target), or --exec. */
        private void listMatching(Session s, List<DeviceDeps> all)
                throws IOException, ControlException, DmsetupFailure {
            Set<String> matching = new HashSet<>();
            for (DeviceTable t : s.client().table(null, dmsetup.target)) {
                if (dmsetup.target == null || !t.targets().isEmpty()) {
                    matching.add(t.name());
                }
            }
            for (DeviceDeps d : all) {
                if (!matching.contains(d.name())) {
                    continue;
                }
                if (dmsetup.exec == null) {
                    s.print(DmsetupFormat.dev(dmsetup.shown(d.name()), d.devNo()));
                } else {
                    dmsetup.execFor(s, d.name());
                }
            }
        }
    }

    @Command(name = "message", description = "Send a message to the target that holds SECTOR.")
    static final class Message extends Sub {
        @Parameters(paramLabel = "DEVICE SECTOR MESSAGE", arity = "0..*", description = "Device, sector, words.")
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (args.size() < 2) {
                throw DmsetupFailure.arguments();
            }
            String arg = args.get(0);
            String name = dmsetup.deviceName(arg, false);
            Long sector = strtoull(args.get(1));
            if (sector == null) {
                throw DmsetupFailure.command("Invalid sector.");
            }
            List<String> words = args.subList(2, args.size());
            if (words.isEmpty()) {
                s.err().print("No message supplied.\n");
            }
            String response;
            try {
                response = s.client().message(name, sector, String.join(" ", words));
            } catch (ControlException e) {
                throw ioctl(e, arg, null, false);
            }
            if (!response.isEmpty()) {
                s.print(response.endsWith("\n") ? response : response + "\n");
            }
        }
    }

    @Command(name = "targets", description = "List the target types and their versions.")
    static final class Targets extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (!args.isEmpty()) {
                throw DmsetupFailure.arguments();
            }
            try {
                for (TargetVersion v : s.client().targets()) {
                    s.print(DmsetupFormat.targetVersion(v));
                }
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
        }
    }

    @Command(name = "version", description = "Show the library and driver versions.")
    static final class Version extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (!args.isEmpty()) {
                throw DmsetupFailure.arguments();
            }
            s.print("Library version:   " + LIBRARY_VERSION + "\n");
            s.out().flush();
            try {
                s.print("Driver version:    " + s.client().driverVersion() + "\n");
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
        }
    }

    @Command(name = "wait", description = "Wait until the device's event number is no longer EVENT_NR (default 0).")
    static final class Wait extends Sub {
        @Parameters(paramLabel = "DEVICE [EVENT_NR]", arity = "0..*", description = "Device, event number.")
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (args.size() > 2) {
                throw DmsetupFailure.arguments();
            }
            if (args.isEmpty()) {
                throw DmsetupFailure.command("No device specified.");
            }
            String arg = args.get(0);
            String name = dmsetup.deviceName(arg, false);
            int eventNr = args.size() == 2 ? atoi(args.get(1)) : 0;
            ioctlOn(arg, name, n -> s.client().waitEvent(n, eventNr));
        }
    }

    /** "rename DEVICE NEW_NAME" and "rename DEVICE --setuuid UUID" (dmsetup's _do_rename and libdm's checks). */
    @Command(name = "rename", description = "Rename a device, or set its UUID (--setuuid).")
    static final class Rename extends Sub {
        @Parameters(paramLabel = "DEVICE NEW_NAME_OR_UUID", arity = "0..*", description = "Device, new name/UUID.")
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (args.isEmpty() || args.size() > 2) {
                throw DmsetupFailure.arguments();
            }
            if (args.size() == 1) {
                throw DmsetupFailure.command("No device specified.");
            }
            String arg = args.get(0);
            String name = dmsetup.deviceName(arg, false);
            String next = args.get(1);
            if (dmsetup.setUuid) {
                if (next.getBytes(StandardCharsets.UTF_8).length >= UUID_LEN) {
                    throw DmsetupFailure.command("Uuid \"" + next + "\" too long");
                }
                String u = dmsetup.mangling.mangle(next, "new UUID", "Failed to mangle new device UUID \"" + next
                        + "\"");
                ioctlOn(arg, name, n -> s.client().setUuid(n, u));
                return;
            }
            if (next.contains("/")) {
                throw DmsetupFailure.command("Name \"" + next + "\" invalid. It contains \"/\".");
            }
            if (next.getBytes(StandardCharsets.UTF_8).length >= NAME_LEN) {
                throw DmsetupFailure.command("Name \"" + next + "\" too long");
            }
            if (next.isEmpty()) {
                throw DmsetupFailure.command("Non empty new name is required.");
            }
            String newName = dmsetup.mangling.mangle(next, "new name", "Failed to mangle new device name \"" + next
                    + "\"");
            ioctlOn(arg, name, n -> s.client().rename(n, newName));
        }
    }

    /** "mknodes": jdm has no device nodes to create or remove; as dmsetup with nothing to fix, it prints nothing. */
    @Command(name = "mknodes", description = "Accepted: jdm keeps no /dev/mapper nodes.")
    static final class Mknodes extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure {
            for (String a : args) {
                dmsetup.deviceName(a, false);
            }
        }
    }

    /**
     * "udevcomplete_all [AGE]": there are no udev cookies (semaphores with dmsetup's key prefix 0x0D4D) to destroy;
     * prints dmsetup's warning, prompt and count.
     */
    @Command(name = "udevcomplete_all", description = "Accepted: jdm has no udev cookies.")
    static final class UdevCompleteAll extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (args.size() > 1) {
                throw DmsetupFailure.arguments();
            }
            long age = 0;
            if (args.size() == 1) {
                Long a = strtoull(args.getFirst());
                if (a == null || a < 0 || a > 0xffffffffL) {
                    throw DmsetupFailure.command("Failed to read age_in_minutes parameter.");
                }
                age = a;
            }
            if (!dmsetup.yes) {
                s.err().print("WARNING: This operation will destroy all semaphores "
                        + (age != 0 ? "older than " + age + " minutes " : "")
                        + "with keys that have a prefix 3405 (0xd4d).\n");
                s.err().print("Do you really want to continue? [y/n]: ");
                s.err().flush();
                String answer = readAnswer(s.stdin());
                if (!answer.startsWith("y") && !answer.startsWith("Y")) {
                    s.print("Semaphores with keys prefixed by 3405 (0xd4d) NOT destroyed.\n");
                    return;
                }
            }
            s.print("0 semaphores with keys prefixed by 3405 (0xd4d) destroyed. 0 skipped.\n");
        }

        private static String readAnswer(InputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                sb.append((char) c);
            }
            return sb.toString().trim();
        }
    }

    /** "udevcookies": the header of dmsetup's cookie table; jdm has no udev cookies. */
    @Command(name = "udevcookies", description = "Accepted: jdm has no udev cookies.")
    static final class UdevCookies extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure {
            if (!args.isEmpty()) {
                throw DmsetupFailure.arguments();
            }
            s.print("Cookie       Semid      Value      Last semop time           Last change time\n");
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
