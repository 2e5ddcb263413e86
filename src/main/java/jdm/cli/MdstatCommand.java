package jdm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jdm.control.ControlException;
import jdm.control.MdClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** "jdm mdstat": the daemon's arrays as /proc/mdstat shows the kernel's (md.c md_seq_show). */
@Command(name = "mdstat", description = {"Print the daemon's md arrays as /proc/mdstat does."})
public final class MdstatCommand implements Callable<Integer> {
    @Mixin
    ControlOption control = new ControlOption();

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path socket = control.socket();
        try {
            out.print(MdstatFormat.mdstat(new MdClient(socket).list()));
            return 0;
        } catch (IOException | ControlException e) {
            err.print("cat: /proc/mdstat: " + e.getMessage() + "\n");
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }
}
