package jdm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import jdm.control.ControlClient;
import jdm.control.ControlException;
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
 * "Command failed."; the daemon's reason for a refused ioctl (the kernel's dmesg line) follows as "jdm: reason".
 */
@Command(name = "dmsetup", sortOptions = false,
        description = {"Device-mapper control with dmsetup's commands and output, through the jdm daemon's control"
                + " socket (--control PATH, else $JDM_CONTROL, else " + "/run/jdm/control.sock)."},
        subcommands = {DmsetupCommand.Create.class, DmsetupCommand.Load.class, DmsetupCommand.Suspend.class,
                DmsetupCommand.Resume.class, DmsetupCommand.Remove.class, DmsetupCommand.Clear.class,
                DmsetupCommand.TableCmd.class, DmsetupCommand.Status.class, DmsetupCommand.Info.class,
                DmsetupCommand.Deps.class, DmsetupCommand.Ls.class, DmsetupCommand.Message.class,
                DmsetupCommand.Targets.class, DmsetupCommand.Version.class, DmsetupCommand.Wait.class,
                DmsetupCommand.Rename.class})
public final class DmsetupCommand implements Callable<Integer> {
    /** What "dmsetup version" prints as the library version: the dmsetup release whose behaviour this follows. */
    static final String LIBRARY_VERSION = "1.02.185 (jdm)";
    static final String CONTROL_ENV = "JDM_CONTROL";

    @Option(names = "--control", paramLabel = "PATH", scope = ScopeType.INHERIT,
            description = "The jdm daemon's control socket (default: $JDM_CONTROL, else /run/jdm/control.sock).")
    Path control;

    @Option(names = {"--noudevsync", "--noudevrules", "--verifyudev"}, scope = ScopeType.INHERIT, hidden = true,
            description = "Accepted and ignored: jdm has no udev.")
    boolean udevIgnored;

    @Option(names = {"-h", "--help"}, usageHelp = true, scope = ScopeType.INHERIT, description = "Show this help.")
    boolean help;

    @Spec
    CommandSpec spec;

    private final InputStream stdin;
    private final Function<String, String> env;
    private final Path cwd;

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

    /** The control socket: --control, else $JDM_CONTROL, else the default; relative paths from the current dir. */
    Path controlPath() {
        Path p = control;
        if (p == null) {
            String e = env.apply(CONTROL_ENV);
            p = e != null && !e.isEmpty() ? Path.of(e) : ControlClient.DEFAULT_SOCKET;
        }
        return cwd.resolve(p);
    }

    private int execute(Sub sub) {
        CommandLine cl = sub.spec.commandLine();
        PrintWriter out = cl.getOut();
        PrintWriter err = cl.getErr();
        try {
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

        /** A refused ioctl: libdm's line, the daemon's reason, then "Command failed.". */
        DmsetupFailure ioctl(ControlException e, String name, String uuid) {
            return DmsetupFailure.command(DmsetupFormat.ioctlFailed(e, name, uuid), "jdm: " + e.reason());
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

    /** Subcommands taking device names, each processed in turn until one fails (dmsetup's repeatable commands). */
    abstract static class DevicesSub extends Sub {
        @Parameters(paramLabel = "DEVICE", arity = "0..*", description = "Device names.")
        List<String> devices = new ArrayList<>();

        void requireDevice() throws DmsetupFailure {
            if (devices.isEmpty()) {
                throw DmsetupFailure.command("No device specified.");
            }
        }

        /** One control call per named device, as dmsetup runs one ioctl per device; stops at the first failure. */
        void eachDevice(Session s, DeviceCall call) throws DmsetupFailure, IOException {
            requireDevice();
            for (String name : devices) {
                try {
                    call.run(name);
                } catch (ControlException e) {
                    throw s.ioctl(e, name, null);
                }
            }
        }
    }

    @FunctionalInterface
    interface DeviceCall {
        void run(String name) throws ControlException, IOException;
    }

    @Command(name = "create", description = "Create a device, with a table from --table, TABLE_FILE or stdin.")
    static final class Create extends Sub {
        @Parameters(paramLabel = "NAME [TABLE_FILE]", arity = "0..*", description = "Device name, table file.")
        List<String> args = new ArrayList<>();

        @Option(names = {"-u", "--uuid"}, paramLabel = "UUID", description = "The device's UUID.")
        String uuid;

        @Option(names = {"-r", "--readonly"}, description = "Create the device read-only.")
        boolean readOnly;

        @Option(names = {"-n", "--notable"}, description = "Create the device without a table.")
        boolean noTable;

        @Option(names = "--table", paramLabel = "TABLE", description = "The table (lines separated by newlines).")
        String table;

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (table != null && noTable) {
                throw DmsetupFailure.commandLine("--table and --notable are incompatible.",
                        "Couldn't process command line.");
            }
            if (args.size() > 2) {
                throw DmsetupFailure.arguments();
            }
            if (args.isEmpty()) {
                throw DmsetupFailure.command("Please provide a name for the new device.");
            }
            String name = args.get(0);
            String text = null;
            if (!noTable) {
                TableInput.Parsed p = s.readTable(table, args.size() == 2 ? args.get(1) : null);
                text = p.targets() > 0 ? p.text() : null; // no targets: a device without a table, as dmsetup
            }
            try {
                s.client().create(name, uuid, readOnly, text, s.cwd());
            } catch (ControlException e) {
                throw s.ioctl(e, name, e.ioctl().equals("create") ? uuid : null);
            }
        }
    }

    @Command(name = "load", aliases = "reload",
            description = "Load a table (from --table, TABLE_FILE or stdin) as the device's inactive table.")
    static final class Load extends Sub {
        @Parameters(paramLabel = "DEVICE [TABLE_FILE]", arity = "0..*", description = "Device name, table file.")
        List<String> args = new ArrayList<>();

        @Option(names = "--table", paramLabel = "TABLE", description = "The table (lines separated by newlines).")
        String table;

        @Option(names = {"-n", "--notable"}, hidden = true)
        boolean noTable;

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (noTable) {
                throw DmsetupFailure.command("--notable only available when creating new device.");
            }
            if (args.size() > 2) {
                throw DmsetupFailure.arguments();
            }
            if (args.isEmpty()) {
                throw DmsetupFailure.command("Please specify device.");
            }
            String name = args.get(0);
            TableInput.Parsed p = s.readTable(table, args.size() == 2 ? args.get(1) : null);
            try {
                s.client().load(name, p.text(), s.cwd());
            } catch (ControlException e) {
                throw s.ioctl(e, name, null);
            }
        }
    }

    @Command(name = "suspend", description = "Suspend devices: I/O is queued until resume.")
    static final class Suspend extends DevicesSub {
        @Option(names = "--noflush", description = "Keep I/O a target would requeue queued instead of failing it.")
        boolean noflush;

        @Option(names = "--nolockfs", description = "Accepted; there is no filesystem to freeze.")
        boolean nolockfs;

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            eachDevice(s, name -> s.client().suspend(name, noflush));
        }
    }

    @Command(name = "resume", description = "Resume devices, making a loaded inactive table live.")
    static final class Resume extends DevicesSub {
        @Option(names = {"--noflush", "--nolockfs"}, hidden = true)
        boolean ignored;

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            eachDevice(s, name -> s.client().resume(name));
        }
    }

    @Command(name = "remove", description = "Remove devices.")
    static final class Remove extends DevicesSub {
        @Option(names = {"-f", "--force"}, description = "Replace the table with an error target first.")
        boolean force;

        @Option(names = "--retry", description = "Accepted; nothing here opens devices behind your back.")
        boolean retry;

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            eachDevice(s, name -> s.client().remove(name, force));
        }
    }

    @Command(name = "clear", description = "Drop the devices' inactive tables.")
    static final class Clear extends DevicesSub {
        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            eachDevice(s, name -> s.client().clear(name));
        }
    }

    /** "table" and "status": one device's lines bare, several (or all) devices' lines prefixed "NAME: ". */
    abstract static class TablesSub extends DevicesSub {
        @Option(names = "--target", paramLabel = "TYPE", description = "Only targets of this type.")
        String target;

        abstract List<DeviceTable> fetch(ControlClient c, String name) throws IOException, ControlException;

        /** The ioctl's ENXIO: libdm turns it into "Device does not exist." for status but not for table. */
        abstract DmsetupFailure missing(Session s, ControlException e, String name);

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (devices.isEmpty()) {
                List<DeviceTable> all;
                try {
                    all = fetch(s.client(), null);
                } catch (ControlException e) {
                    throw s.ioctl(e, "", null);
                }
                if (all.isEmpty()) {
                    s.print("No devices found\n");
                }
                for (DeviceTable t : all) {
                    print(s, t, true);
                }
                return;
            }
            for (String name : devices) {
                try {
                    print(s, fetch(s.client(), name).getFirst(), devices.size() != 1);
                } catch (ControlException e) {
                    throw e.errno() == Errno.ENXIO ? missing(s, e, name) : s.ioctl(e, name, null);
                }
            }
        }

        private void print(Session s, DeviceTable t, boolean multiple) {
            String prefix = multiple ? t.name() + ": " : "";
            if (t.targets().isEmpty()) {
                if (target == null) {
                    s.print(prefix + "\n"); // a device without a live table: dmsetup prints an empty line
                }
                return;
            }
            for (TargetLine l : t.targets()) {
                s.print(DmsetupFormat.target(prefix, l));
            }
        }
    }

    @Command(name = "table", description = "Show the live tables of the devices (default: all).")
    static final class TableCmd extends TablesSub {
        @Override
        List<DeviceTable> fetch(ControlClient c, String name) throws IOException, ControlException {
            return c.table(name, target);
        }

        @Override
        DmsetupFailure missing(Session s, ControlException e, String name) {
            return s.ioctl(e, name, null);
        }
    }

    @Command(name = "status", description = "Show the status of the devices' targets (default: all).")
    static final class Status extends TablesSub {
        @Override
        List<DeviceTable> fetch(ControlClient c, String name) throws IOException, ControlException {
            return c.status(name, target);
        }

        @Override
        DmsetupFailure missing(Session s, ControlException e, String name) {
            return DmsetupFailure.command("Device does not exist.");
        }
    }

    @Command(name = "info", description = "Show the state of the devices (default: all).")
    static final class Info extends DevicesSub {
        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (devices.isEmpty()) {
                List<DeviceInfo> all;
                try {
                    all = s.client().info(null);
                } catch (ControlException e) {
                    throw s.ioctl(e, "", null);
                }
                if (all.isEmpty()) {
                    s.print("No devices found\n");
                }
                for (DeviceInfo i : all) {
                    s.print(DmsetupFormat.info(i));
                }
                return;
            }
            for (String name : devices) {
                try {
                    s.print(DmsetupFormat.info(s.client().info(name).getFirst()));
                } catch (ControlException e) {
                    throw e.errno() == Errno.ENXIO ? DmsetupFailure.command("Device does not exist.")
                            : s.ioctl(e, name, null);
                }
            }
        }
    }

    @Command(name = "deps", description = "Show the devices each device's table uses (default: all devices).")
    static final class Deps extends DevicesSub {
        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (devices.isEmpty()) {
                List<DeviceDeps> all;
                try {
                    all = s.client().deps(null);
                } catch (ControlException e) {
                    throw s.ioctl(e, "", null);
                }
                if (all.isEmpty()) {
                    s.print("No devices found\n");
                }
                for (DeviceDeps d : all) {
                    s.print(DmsetupFormat.deps(d.name() + ": ", d));
                }
                return;
            }
            for (String name : devices) {
                try {
                    s.print(DmsetupFormat.deps(devices.size() != 1 ? name + ": " : "",
                            s.client().deps(name).getFirst()));
                } catch (ControlException e) {
                    throw s.ioctl(e, name, null);
                }
            }
        }
    }

    @Command(name = "ls", description = "List the devices, or draw their dependency tree.")
    static final class Ls extends Sub {
        @Option(names = "--tree", description = "Draw the devices as a tree of what uses what.")
        boolean tree;

        @Option(names = "--target", paramLabel = "TYPE", description = "Only devices with a target of this type.")
        String target;

        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (!args.isEmpty()) {
                throw DmsetupFailure.arguments();
            }
            try {
                List<DeviceDeps> all = s.client().list();
                if (all.isEmpty()) {
                    s.print("No devices found\n");
                    return;
                }
                if (target != null) {
                    Set<String> matching = new HashSet<>();
                    for (DeviceTable t : s.client().table(null, target)) {
                        if (!t.targets().isEmpty()) {
                            matching.add(t.name());
                        }
                    }
                    for (DeviceDeps d : all) {
                        if (matching.contains(d.name())) {
                            s.print(DmsetupFormat.dev(d.name(), d.devNo()));
                        }
                    }
                } else if (tree) {
                    s.print(DmsetupFormat.tree(all));
                } else {
                    for (DeviceDeps d : all) {
                        s.print(DmsetupFormat.name(d));
                    }
                }
            } catch (ControlException e) {
                throw s.ioctl(e, "", null);
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
            String name = args.get(0);
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
                throw s.ioctl(e, name, null);
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
                throw s.ioctl(e, "", null);
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
                throw s.ioctl(e, "", null);
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
            String name = args.get(0);
            int eventNr = args.size() == 2 ? atoi(args.get(1)) : 0;
            try {
                s.client().waitEvent(name, eventNr);
            } catch (ControlException e) {
                throw s.ioctl(e, name, null);
            }
        }
    }

    @Command(name = "rename", description = "Set a device's UUID (--setuuid); renaming is not supported yet.")
    static final class Rename extends Sub {
        @Parameters(paramLabel = "DEVICE NEW_NAME_OR_UUID", arity = "0..*", description = "Device, new name/UUID.")
        List<String> args = new ArrayList<>();

        @Option(names = "--setuuid", description = "Set the UUID of a device that has none.")
        boolean setUuid;

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (args.isEmpty() || args.size() > 2) {
                throw DmsetupFailure.arguments();
            }
            if (args.size() == 1) {
                throw DmsetupFailure.command("No device specified.");
            }
            String name = args.get(0);
            try {
                if (setUuid) {
                    s.client().setUuid(name, args.get(1));
                } else {
                    s.client().rename(name, args.get(1));
                }
            } catch (ControlException e) {
                throw s.ioctl(e, name, null);
            }
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
