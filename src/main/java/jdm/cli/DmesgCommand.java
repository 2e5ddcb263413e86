package jdm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jdm.control.ControlClient;
import jdm.control.ControlException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * "jdm dmesg": what the daemon logged where the kernel would have (dm's table and ioctl errors), oldest first, as
 * dmesg prints the kernel's ring buffer; -c/--read-clear empties the log after printing it, as dmesg -c.
 */
@Command(name = "dmesg", description = {"Print the daemon's kernel log: why device-mapper requests failed, as the"
        + " kernel logs it (-c: and clear it)."})
public final class DmesgCommand implements Callable<Integer> {
    @Option(names = {"-c", "--read-clear"}, description = "Clear the log after printing it.")
    boolean clear;

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
            for (String line : new ControlClient(socket.toAbsolutePath()).dmesg(clear)) {
                out.print(line + "\n");
            }
            return 0;
        } catch (IOException | ControlException e) {
            err.print("dmesg: " + e.getMessage() + "\n");
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }
}
