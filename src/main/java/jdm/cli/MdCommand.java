package jdm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jdm.control.ControlException;
import jdm.control.Errno;
import jdm.control.MdClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** "jdm md ...": md's control files. */
@Command(name = "md", description = {"md's control files (jdm md attr)."}, subcommands = {MdCommand.Attr.class})
public final class MdCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 1;
    }

    /**
     * "jdm md attr ARRAY [NAME [VALUE]]": lists an array's md attributes (as ls /sys/block/md0/md), prints one
     * (as cat) or writes one (as echo VALUE > FILE), with the kernel's names, values and errors; "jdm md attr
     * speed_limit_min [VALUE]" (and speed_limit_max) is /proc/sys/dev/raid's.
     */
    @Command(name = "attr", description = {"Read or write an md array's sysfs attribute, or the global"
            + " speed_limit_min/max."})
    public static final class Attr implements Callable<Integer> {
        static final List<String> GLOBALS = List.of("speed_limit_min", "speed_limit_max");
        /** What ls /sys/block/mdN/md shows when the daemon does not list them itself. */
        static final List<String> DEFAULT_NAMES = List.of("array_state", "bitmap", "chunk_size", "component_size",
                "degraded", "layout", "level", "mismatch_cnt", "raid_disks", "reshape_position", "resync_start",
                "sync_action", "sync_completed", "sync_speed", "sync_speed_max", "sync_speed_min");

        @Parameters(arity = "1..3", paramLabel = "ARRAY [NAME [VALUE]]",
                description = "The array (md0, /dev/md0, /dev/md/NAME), the attribute, the value to write.")
        List<String> words = new ArrayList<>();

        @Option(names = "--control", paramLabel = "PATH",
                description = "The jdm daemon's control socket (default: $JDM_CONTROL, else /run/jdm/control.sock).")
        String control;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
        boolean help;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Path socket = MdadmCommand.controlSocket(control, System::getenv,
                    Path.of(System.getProperty("user.dir")));
            try {
                return run(new MdClient(socket), words, out, err);
            } finally {
                out.flush();
                err.flush();
            }
        }

        static int run(MdClient client, List<String> words, PrintWriter out, PrintWriter err) {
            boolean global = GLOBALS.contains(words.getFirst());
            if (global && words.size() > 2) {
                err.print("jdm md attr: too many arguments\n");
                return 2;
            }
            String array = global ? null : words.getFirst();
            String name = global ? words.getFirst() : words.size() > 1 ? words.get(1) : null;
            String value = words.size() > (global ? 1 : 2) ? words.get(global ? 1 : 2) : null;
            String path = global ? "/proc/sys/dev/raid/" + name
                    : "/sys/block/" + sysName(array) + "/md" + (name == null ? "" : "/" + name);
            try {
                if (name == null) {
                    client.readAttr(array, "array_state"); // the array must exist
                    List<String> names = new ArrayList<>();
                    try {
                        names.addAll(client.attrNames(array));
                    } catch (ControlException e) {
                        // a daemon that does not list them: md's common ones
                    }
                    if (names.isEmpty()) {
                        names.addAll(DEFAULT_NAMES);
                    }
                    names.sort(null);
                    for (String n : names) {
                        out.print(n + "\n");
                    }
                } else if (value == null) {
                    out.print(client.readAttr(array, name) + "\n");
                } else {
                    client.writeAttr(array, name, value);
                }
                return 0;
            } catch (ControlException e) {
                boolean missing = e.errno() == Errno.ENOENT || e.errno() == Errno.ENODEV;
                if (name == null) {
                    err.print("ls: cannot access '" + path + "': " + Errno.strerror(e.errno()) + "\n");
                    return 2;
                }
                err.print("jdm md attr: " + (value != null && !missing ? "write error" : path) + ": "
                        + Errno.strerror(e.errno()) + "\n");
                return 1;
            } catch (IOException e) {
                err.print("jdm md attr: " + e.getMessage() + "\n");
                return 1;
            }
        }

        /** The array's name under /sys/block: md0 for /dev/md0 and md0. */
        static String sysName(String array) {
            return array.startsWith("/dev/") && !array.startsWith("/dev/md/") ? array.substring(5) : array;
        }
    }
}
