package jdm;

import jdm.cli.DmesgCommand;
import jdm.cli.DmsetupCommand;
import jdm.cli.MdCommand;
import jdm.cli.MdadmCommand;
import jdm.cli.MdstatCommand;
import jdm.crash.CrashTestCommand;
import jdm.daemon.DaemonCommand;
import jdm.daemon.ServeCommand;
import jdm.tools.AotTrainCommand;
import jdm.tools.ReplayLogCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The jdm command: "jdm serve", "jdm daemon", "jdm dmsetup ...", "jdm dmesg", "jdm mdadm ...", "jdm mdstat", "jdm md attr ...". */
@Command(name = "jdm", mixinStandardHelpOptions = true, version = "jdm 0.1.0",
        description = "User-space device-mapper and md RAID served over NBD.",
        subcommands = {ServeCommand.class, DaemonCommand.class, DmsetupCommand.class, DmesgCommand.class,
                MdadmCommand.class, MdstatCommand.class, MdCommand.class,
                ReplayLogCommand.class,
                CrashTestCommand.class, AotTrainCommand.class})
public final class Main {
    /** The jdm command line; option values may look like options ("dmsetup info -c --sort -name"), as getopt allows. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main()).setAllowOptionsAsOptionParameters(true);
        CommandLine.IParameterExceptionHandler picocli = cl.getParameterExceptionHandler();
        return cl.setParameterExceptionHandler((ex, args) -> DmsetupCommand.isDmsetup(ex)
                ? DmsetupCommand.onBadCommandLine(ex, args) : picocli.handleParseException(ex, args));
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
