package jdm.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** "jdm daemon": runs the device namespace with its NBD exports and control socket, in the foreground. */
@Command(name = "daemon", mixinStandardHelpOptions = true,
        description = {"Run the jdm daemon in the foreground: NBD exports (one per mapped device, export name ="
                + " device name) and the control socket that 'jdm dmsetup' talks to."})
public final class DaemonCommand implements Callable<Integer> {
    static final Path DEFAULT_CONTROL = Path.of("/run/jdm/control.sock");

    @Mixin
    ListenOptions listen = new ListenOptions();

    @Option(names = "--state", paramLabel = "DIR", description = "Keep the devices in DIR: saved on every change"
            + " (DIR/devices.state) and recreated at start, so they survive a restart or a crash.")
    Path state;

    @Override
    public Integer call() throws Exception {
        String env = System.getenv("JDM_CONTROL");
        Daemon d;
        try {
            d = Daemon.start(listen.listen(env != null ? Path.of(env) : DEFAULT_CONTROL), state).closeOnShutdown();
        } catch (IOException e) {
            System.err.println("jdm: daemon not started: " + e.getMessage()); // e.g. the state directory is in use
            return 1;
        }
        System.err.println("jdm: daemon serving NBD on " + d.nbd().addresses() + ", control socket "
                + (listen.control != null ? listen.control : env != null ? env : DEFAULT_CONTROL));
        d.awaitStop();
        return 0;
    }
}
