package jdm.cli;

import java.nio.file.Path;
import jdm.control.ControlClient;
import picocli.CommandLine.Option;

/**
 * The {@code --control PATH} option the daemon's small front ends share (a picocli mixin), with where it points
 * when absent: {@code $JDM_CONTROL}, else /run/jdm/control.sock. A relative path is taken from the caller's
 * directory.
 */
public final class ControlOption {
    @Option(names = "--control", paramLabel = "PATH",
            description = "The jdm daemon's control socket (default: $JDM_CONTROL, else /run/jdm/control.sock).")
    String control;

    /** The control socket these options name, as an absolute path. */
    Path socket() {
        return MdadmCommand.controlSocket(control, System::getenv, Path.of(System.getProperty("user.dir")))
                .toAbsolutePath();
    }
}
