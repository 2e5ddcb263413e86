package jdm.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.List;
import jdm.block.DeviceProvider;
import jdm.block.dev.BackingFiles;
import jdm.block.dev.RamDisks;
import jdm.control.ControlServer;
import jdm.daemon.state.StateStore;
import jdm.dm.DeviceNamespace;
import jdm.dm.targets.BuiltinTargets;
import jdm.md.MdArray;
import jdm.md.MdArrays;
import jdm.md.personalities.BuiltinPersonalities;
import jdm.nbd.NbdServer;
import jdm.nbd.SocketAccess;
import jdm.nbd.TlsConfig;

/**
 * The jdm process: one device namespace, its NBD exports (Unix socket and/or TCP) and its control socket. Stopping
 * it (close, SIGTERM) stops the listeners, lets in-flight requests finish, then removes every device, which
 * releases (and closes) the backing files. With a state directory, the devices saved there are recreated before
 * any listener opens, and every change is saved there (see {@link StateStore}).
 */
public final class Daemon implements AutoCloseable {
    private final DeviceNamespace namespace;
    private final MdArrays arrays;
    private final NbdServer nbd;
    private final ControlServer control;
    private final StateStore state;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private Daemon(DeviceNamespace namespace, MdArrays arrays, NbdServer nbd, ControlServer control,
            StateStore state) {
        this.namespace = namespace;
        this.arrays = arrays;
        this.nbd = nbd;
        this.control = control;
        this.state = state;
    }

    /**
     * Where to listen (null or 0 leaves a listener out), and the RAM disks (/dev/ramN, 1:N) tables may use, as the
     * kernel's brd module parameters rd_nr and rd_size.
     */
    public record Listen(Path nbdSocket, String tcpHost, int tcpPort, Path controlSocket, int ramDisks,
                         long ramDiskSizeBytes, Duration handshakeTimeout, int maxConnections,
                         SocketAccess access, TlsConfig tls, long maxInflightBytes) {
        /** With the NBD server's default cap on the payload bytes in flight on all connections. */
        public Listen(Path nbdSocket, String tcpHost, int tcpPort, Path controlSocket, int ramDisks,
                long ramDiskSizeBytes, Duration handshakeTimeout, int maxConnections, SocketAccess access,
                TlsConfig tls) {
            this(nbdSocket, tcpHost, tcpPort, controlSocket, ramDisks, ramDiskSizeBytes, handshakeTimeout,
                    maxConnections, access, tls, NbdServer.DEFAULT_MAX_INFLIGHT_BYTES);
        }

        /** With the default socket access: mode 0600, root and the daemon's own user. */
        public Listen(Path nbdSocket, String tcpHost, int tcpPort, Path controlSocket, int ramDisks,
                long ramDiskSizeBytes, Duration handshakeTimeout, int maxConnections) {
            this(nbdSocket, tcpHost, tcpPort, controlSocket, ramDisks, ramDiskSizeBytes, handshakeTimeout,
                    maxConnections, SocketAccess.ownerOnly(), null);
        }

        /** With brd's default RAM disks: 16 of 4 MiB, sparse (memory is taken only as they are written). */
        public Listen(Path nbdSocket, String tcpHost, int tcpPort, Path controlSocket) {
            this(nbdSocket, tcpHost, tcpPort, controlSocket, RamDisks.DEFAULT_COUNT, RamDisks.DEFAULT_SIZE_BYTES);
        }

        /** With the NBD server's default handshake timeout and connection cap. */
        public Listen(Path nbdSocket, String tcpHost, int tcpPort, Path controlSocket, int ramDisks,
                long ramDiskSizeBytes) {
            this(nbdSocket, tcpHost, tcpPort, controlSocket, ramDisks, ramDiskSizeBytes,
                    NbdServer.DEFAULT_HANDSHAKE_TIMEOUT, NbdServer.DEFAULT_MAX_CONNECTIONS);
        }
    }

    public static Daemon start(Listen listen) throws IOException {
        return start(listen, null);
    }

    /** Starts with the devices saved in stateDir (null: no state, nothing persisted). */
    public static Daemon start(Listen listen, Path stateDir) throws IOException {
        return start(listen, stateDir, (Setup<IOException>) ns -> {
        });
    }

    /** What to create in the namespace before any client can connect. */
    public interface Setup<E extends Exception> {
        void create(DeviceNamespace ns) throws E;
    }

    /**
     * As {@link #start(Listen, Path)}, running setup on the namespace before the listeners open, so that the first
     * client already finds its devices; if setup throws, nothing is left behind.
     */
    public static <E extends Exception> Daemon start(Listen listen, Path stateDir, Setup<E> setup)
            throws IOException, E {
        // Table words resolve to mapped devices first (the namespace), then RAM disks, md arrays, then backing
        // files; md members to mapped devices, RAM disks and backing files (the same 7:N as tables see).
        BackingFiles files = new BackingFiles();
        RamDisks ramDisks = new RamDisks(listen.ramDisks(), listen.ramDiskSizeBytes());
        MdArrays arrays = new MdArrays(BuiltinPersonalities.registry(), line -> { });
        DeviceNamespace ns = new DeviceNamespace(BuiltinTargets.registry(), files,
                DeviceProvider.chain(List.of(ramDisks, arrays)));
        arrays.setMembers(DeviceProvider.chain(List.of(ns.mappedDevices(), ramDisks, files)));
        StateStore state = null;
        if (stateDir != null) {
            state = StateStore.open(stateDir, m -> System.err.println("jdm: state: " + m));
            try {
                state.restoreAndTrack(ns);
            } catch (IOException | RuntimeException e) {
                state.close();
                removeAll(ns, arrays);
                throw e;
            }
        }
        try {
            setup.create(ns);
            return listen(listen, ns, arrays, state);
        } catch (Throwable e) {
            if (state != null) {
                state.close();
            }
            removeAll(ns, arrays);
            throw e;
        }
    }

    private static Daemon listen(Listen listen, DeviceNamespace ns, MdArrays arrays, StateStore state)
            throws IOException {
        NbdServer nbd = new NbdServer(new DmExports(ns, arrays)).handshakeTimeout(listen.handshakeTimeout())
                .maxConnections(listen.maxConnections()).maxInflightBytes(listen.maxInflightBytes())
                .unixAccess(listen.access()).tls(listen.tls());
        if (listen.nbdSocket() != null) {
            createParent(listen.nbdSocket());
            nbd.listenUnix(listen.nbdSocket());
        }
        if (listen.tcpPort() > 0) {
            nbd.listenTcp(listen.tcpHost(), listen.tcpPort());
        }
        ControlServer control = null;
        try {
            if (listen.controlSocket() != null) {
                createParent(listen.controlSocket());
                control = ControlServer.start(ns, arrays, listen.controlSocket(), listen.access());
            }
            nbd.start();
        } catch (IOException | RuntimeException e) {
            nbd.close();
            if (control != null) {
                control.close();
            }
            throw e;
        }
        return new Daemon(ns, arrays, nbd, control, state);
    }

    private static void createParent(Path p) throws IOException {
        Path parent = p.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }

    public DeviceNamespace namespace() {
        return namespace;
    }

    /** The md arrays (9:N). */
    public MdArrays arrays() {
        return arrays;
    }

    public NbdServer nbd() {
        return nbd;
    }

    /** Blocks until {@link #close()} has run. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Stops on SIGTERM/SIGINT: in-flight requests finish and files are closed before the JVM exits. */
    public Daemon closeOnShutdown() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "jdm-shutdown"));
        return this;
    }

    @Override
    public synchronized void close() {
        if (stopped.getCount() == 0) {
            return;
        }
        if (control != null) {
            control.close();
        }
        if (state != null) {
            state.close(); // before the devices go: they are to come back at the next start
        }
        nbd.close();
        removeAll(namespace, arrays);
        stopped.countDown();
    }

    /**
     * Removes every device top-down: a device used by another table (or an array used by a table, a mapped device
     * that is an array's member) is busy until its user is gone. Arrays are stopped cleanly (clean superblocks).
     */
    private static void removeAll(DeviceNamespace namespace, MdArrays arrays) {
        boolean progress = true;
        while (progress && (!namespace.list().isEmpty() || !arrays.list().isEmpty())) {
            progress = false;
            for (var md : namespace.list()) {
                try {
                    namespace.remove(md.name());
                    progress = true;
                } catch (Exception e) {
                    // still used by a device not removed yet: the next round gets it
                }
            }
            for (MdArray a : arrays.list()) {
                try {
                    a.stop();
                    progress = true;
                } catch (Exception e) {
                    // still open: the next round gets it
                }
            }
        }
        for (var md : namespace.list()) {
            System.err.println("jdm: " + md.name() + " still open at shutdown (open count " + md.openCount() + ")");
        }
        for (MdArray a : arrays.list()) {
            System.err.println("jdm: " + a.name() + " still open at shutdown (open count " + a.openers() + ")");
        }
    }
}
