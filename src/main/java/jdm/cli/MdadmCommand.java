package jdm.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import jdm.control.ControlClient;
import jdm.control.MdClient;
import jdm.control.MdExamine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * "jdm mdadm": mdadm 4.2's command line and output (--create, --assemble, --manage and its short form, --grow,
 * --detail, --examine, --stop, ...) for the arrays of a jdm daemon, reached through its control socket (--control
 * PATH, else $JDM_CONTROL, else /run/jdm/control.sock). The arguments are read by mdadm's own getopt_long rules
 * ({@link MdadmParser}), not picocli's. Member paths are sent with the current directory, which the daemon resolves
 * them against. --examine reads the member files directly, as mdadm does.
 */
@Command(name = "mdadm", description = {"md arrays with mdadm 4.2's command line and messages (jdm mdadm --help)."})
public final class MdadmCommand implements Callable<Integer> {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Spec
    CommandSpec spec;

    private final InputStream stdin;
    private final Function<String, String> env;
    private final Path cwd;

    public MdadmCommand() {
        this(System.in, System::getenv, Path.of(System.getProperty("user.dir")));
    }

    MdadmCommand(InputStream stdin, Function<String, String> env, Path cwd) {
        this.stdin = stdin;
        this.env = env;
        this.cwd = cwd.toAbsolutePath();
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            MdadmParser.Parsed p;
            try {
                p = MdadmParser.parse(args.toArray(String[]::new));
            } catch (MdadmExit e) {
                err.print(e.getMessage() + "\n");
                return e.status();
            }
            Path socket = controlSocket(p.control, env, cwd);
            MdClient client = new MdClient(new ControlClient(socket));
            ZoneId zone = ZoneId.systemDefault();
            MdadmRun run = new MdadmRun(client::call, out, err,
                    new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8)), cwd, zone,
                    new MdMemberProbe(zone), MdadmCommand::examine);
            return run.run(p);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The control socket: the option, else $JDM_CONTROL, else the default; relative to the current directory. */
    static Path controlSocket(String option, Function<String, String> env, Path cwd) {
        String p = option;
        if (p == null || p.isEmpty()) {
            p = env.apply(DmsetupCommand.CONTROL_ENV);
        }
        return p == null || p.isEmpty() ? ControlClient.DEFAULT_SOCKET : cwd.resolve(p);
    }

    /**
     * Examine.c: each file in turn; a file that cannot be read or holds no superblock makes the status 1. With
     * --brief (or --scan) one ARRAY line per array instead (brief_examine_super1), files without a superblock
     * skipped, and with --scan unreadable ones too.
     */
    static int examine(List<String> files, Path cwd, MdadmRun.Examining how, PrintWriter out, PrintWriter err) {
        int rv = 0;
        List<MdExamine.Brief> arrays = new ArrayList<>();
        List<List<String>> devices = new ArrayList<>();
        List<int[]> spares = new ArrayList<>();
        for (String f : files) {
            try {
                if (!how.brief()) {
                    out.print(MdExamine.examine(cwd.resolve(f), f, how.homehost(), ZoneId.systemDefault()));
                    continue;
                }
                MdExamine.Brief b = MdExamine.brief(cwd.resolve(f), f);
                if (b == null) {
                    continue;
                }
                int at = -1;
                for (int i = 0; i < arrays.size() && at < 0; i++) {
                    at = arrays.get(i).sameArray(b) ? i : -1;
                }
                if (at < 0) {
                    arrays.addFirst(b); // mdadm pushes each new array on the front of its list
                    devices.addFirst(new ArrayList<>());
                    spares.addFirst(new int[1]);
                    at = 0;
                }
                devices.get(at).add(f);
                spares.get(at)[0] += b.spare() ? 1 : 0;
            } catch (IOException e) {
                if (!how.scan()) {
                    out.flush();
                    err.print(e.getMessage() + "\n");
                    rv = 1;
                }
            }
        }
        for (int i = 0; i < arrays.size(); i++) {
            out.print(MdDetailFormat.briefExamine(arrays.get(i), spares.get(i)[0], devices.get(i), how.verbose()));
        }
        out.flush();
        err.flush();
        return rv;
    }
}
