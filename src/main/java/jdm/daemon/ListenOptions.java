package jdm.daemon;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The listener options shared by "jdm daemon" and "jdm serve". */
final class ListenOptions {
    @Option(names = "--socket", paramLabel = "PATH", description = "Serve NBD on this Unix domain socket.")
    Path socket;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT",
            description = "Serve NBD on this TCP port (default 10809 when no --socket is given; 0: no TCP).")
    Integer port;

    @Option(names = {"-i", "--bind"}, paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "TCP address to listen on (default ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--control", paramLabel = "PATH",
            description = "Control socket for 'jdm dmsetup' (env JDM_CONTROL).")
    Path control;

    Daemon.Listen listen(Path defaultControl) {
        int tcp = port != null ? port : socket == null ? 10809 : 0;
        return new Daemon.Listen(socket, bind, tcp, control != null ? control : defaultControl);
    }
}
