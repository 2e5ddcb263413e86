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

    /** Examine.c: each file in turn; a file that cannot be read or holds no superblock makes the status 1. */
    static int examine(List<String> files, Path cwd, String homehost, PrintWriter out, PrintWriter err) {
        int rv = 0;
        for (String f : files) {
            try {
                out.print(MdExamine.examine(cwd.resolve(f), f, homehost, ZoneId.systemDefault()));
            } catch (IOException e) {
                out.flush();
                err.print(e.getMessage() + "\n");
                rv = 1;
            }
        }
        out.flush();
        err.flush();
        return rv;
    }
}
