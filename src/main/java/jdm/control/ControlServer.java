package jdm.control;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import jdm.dm.DeviceNamespace;
import jdm.md.MdArrays;
import jdm.nbd.SocketAccess;

/**
 * The control socket: a Unix domain socket on which clients (the dmsetup front end, tests, scripts) send
 * {@link Request}s in {@link Wire} frames and get one {@link Response} frame back per request. It stands for the
 * kernel's /dev/mapper/control: each request is one registered {@link Operations operation}, a dm ioctl against the
 * namespace ({@link DmIoctl}) or "dmesg", which reads (and with clear=true empties) the {@link KernelLog}.
 *
 * <p>One virtual thread per connection; a connection may carry any number of requests, one after the other. A
 * malformed frame gets an error reply (EINVAL, saying what is wrong) and the connection is closed, since the stream
 * can no longer be trusted; other connections are unaffected.
 */
public final class ControlServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ControlServer.class.getName());

    /** Pending connections the kernel queues before connect fails with EAGAIN (capped by net.core.somaxconn). */
    private static final int BACKLOG = 1024;
    /** How long a client may take to send a request: from connecting, or from the last reply. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final long MIN_BACKOFF_MILLIS = 10;
    private static final long MAX_BACKOFF_MILLIS = 1000;

    private final Path socketPath;
    private final ServerSocketChannel server;
    private final Operations ops;
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
    private final Set<Thread> workers = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closing;
    private final Duration requestTimeout;
    private final ScheduledThreadPoolExecutor timers;

    /** Whether an accepted peer's uid may use the socket (SO_PEERCRED). */
    private final Predicate<SocketChannel> peerCheck;
    private long refusedPeers; // accept thread only

    private ControlServer(DeviceNamespace ns, MdArrays md, Path socketPath, ServerSocketChannel server,
            Duration requestTimeout, Predicate<SocketChannel> peerCheck) {
        this.socketPath = socketPath;
        this.server = server;
        this.peerCheck = peerCheck;
        this.requestTimeout = requestTimeout;
        this.timers = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("jdm-control-timer").daemon()
                .factory());
        timers.setRemoveOnCancelPolicy(true);
        this.ops = new Operations(new KernelLog());
        List<Subsystem> subsystems = new java.util.ArrayList<>();
        subsystems.add(new DmIoctl(ns, () -> closing, ops.log()));
        subsystems.add(ControlServer::registerKernelLog);
        if (md != null) {
            md.setKernelLog(ops.log()::log);
            subsystems.add(new MdControl(md));
        }
        subsystems.forEach(s -> s.register(ops));
        this.acceptor = Thread.ofVirtual().name("jdm-control-accept").unstarted(this::acceptLoop);
    }

    /** "dmesg": the kernel log's lines, oldest first; with clear=true the log is emptied after reading (syslog(2)). */
    private static void registerKernelLog(Operations ops) {
        ops.register("dmesg", "syslog", r -> r.bool("clear", false),
                clear -> Map.of("lines", List.copyOf(ops.log().read(clear))));
    }

    /**
     * Listens on socketPath (creating its directory if needed) and serves ns until closed. A socket file left by a
     * daemon that is gone is replaced; a live daemon on the path, or a path that is not a socket, is an error.
     */
    public static ControlServer start(DeviceNamespace ns, Path unixSocketPath) throws IOException {
        return start(ns, unixSocketPath, REQUEST_TIMEOUT);
    }

    /** As {@link #start(DeviceNamespace, Path)}, with another time allowed for each request to arrive. */
    static ControlServer start(DeviceNamespace ns, Path unixSocketPath, Duration requestTimeout) throws IOException {
        return start(ns, unixSocketPath, requestTimeout, SocketAccess.ownerOnly());
    }

    /**
     * As {@link #start(DeviceNamespace, Path)}, with the socket's mode, group and allowed users from access (the
     * default: 0600, root and the daemon's user).
     */
    public static ControlServer start(DeviceNamespace ns, Path unixSocketPath, SocketAccess access)
            throws IOException {
        return start(ns, unixSocketPath, REQUEST_TIMEOUT, access);
    }

    static ControlServer start(DeviceNamespace ns, Path unixSocketPath, Duration requestTimeout,
            SocketAccess access) throws IOException {
        return start(ns, null, unixSocketPath, requestTimeout, access);
    }

    /** As {@link #start(DeviceNamespace, Path, SocketAccess)}, also answering md's operations on md's arrays. */
    public static ControlServer start(DeviceNamespace ns, MdArrays md, Path unixSocketPath, SocketAccess access)
            throws IOException {
        return start(ns, md, unixSocketPath, REQUEST_TIMEOUT, access);
    }

    static ControlServer start(DeviceNamespace ns, MdArrays md, Path unixSocketPath, Duration requestTimeout,
            SocketAccess access) throws IOException {
        Path path = unixSocketPath.toAbsolutePath();
        removeStaleSocket(path);
        Path parent = path.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ServerSocketChannel ch;
        Predicate<SocketChannel> check;
        try {
            ch = access.bind(path, BACKLOG);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + path + ": " + e.getMessage(), e);
        }
        try {
            check = access.checkerFor(path);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        ControlServer s = new ControlServer(ns, md, path, ch, requestTimeout, check);
        s.acceptor.start();
        return s;
    }

    private static void removeStaleSocket(Path path) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        if (!attrs.isOther()) {
            throw new IOException("cannot listen on " + path + ": it exists and is not a socket");
        }
        boolean live;
        try {
            SocketChannel.open(UnixDomainSocketAddress.of(path)).close();
            live = true;
        } catch (IOException e) {
            live = false; // nobody answers: a socket left by a daemon that is gone
        }
        if (live) {
            throw new IOException("cannot listen on " + path + ": another jdm daemon is listening there");
        }
        Files.deleteIfExists(path);
    }

    /** The log of what the kernel would have logged for the requests served (read by "jdm dmesg"). */
    public KernelLog kernelLog() {
        return ops.log();
    }

    /** The socket path clients connect to. */
    public Path socketPath() {
        return socketPath;
    }

    /**
     * Accepts until closed. Nothing a failed accept throws ends the loop: out of descriptors (EMFILE), memory or
     * threads, it backs off (doubling up to a second: the listening socket stays readable, so retrying at once would
     * spin) and serves again once resources free up. Logging is guarded: with no descriptor left it can fail too.
     */
    private void acceptLoop() {
        long backoffMillis = 0;
        while (!closing) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (Throwable e) {
                if (closing || !server.isOpen()) {
                    return;
                }
                if (backoffMillis == 0) {
                    log(System.Logger.Level.WARNING, "control socket accept failed, backing off: " + e);
                }
                backoffMillis = Math.clamp(2 * backoffMillis, MIN_BACKOFF_MILLIS, MAX_BACKOFF_MILLIS);
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException ie) {
                    return;
                }
                continue;
            }
            if (backoffMillis != 0) {
                backoffMillis = 0;
                log(System.Logger.Level.INFO, "control socket accepting again");
            }
            if (!peerCheck.test(c)) {
                closeQuietly(c);
                if (refusedPeers++ % 1000 == 0) {
                    log(System.Logger.Level.WARNING, "control socket refused a user not allowed (" + refusedPeers
                            + " so far)");
                }
                continue;
            }
            try {
                clients.add(c);
                Thread t = Thread.ofVirtual().name("jdm-control-client").unstarted(() -> serve(c));
                workers.add(t);
                try {
                    t.start();
                } catch (Throwable e) {
                    workers.remove(t);
                    throw e;
                }
            } catch (Throwable e) { // no memory or thread for it: drop this client, keep listening
                clients.remove(c);
                try {
                    c.close();
                } catch (Throwable ignored) {
                    // giving up on this client anyway
                }
                log(System.Logger.Level.WARNING, "control socket dropped a client: " + e);
            }
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    private static void log(System.Logger.Level level, String message) {
        try {
            LOG.log(level, message);
        } catch (Throwable ignored) {
            // out of descriptors or memory: the loop goes on without its message
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(c)));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(c)));
            while (!closing) {
                Request req;
                // Each request must arrive whole in time (from connecting, or from the last reply): a client that
                // idles or trickles holds a socket and a thread. The reply itself may take as long as it needs.
                ScheduledFuture<?> deadline = timers.schedule(() -> closeQuietly(c), requestTimeout.toNanos(),
                        TimeUnit.NANOSECONDS);
                try {
                    Object frame = Wire.readFrame(in, Wire.MAX_REQUEST_BYTES);
                    if (frame == Wire.Eof.INSTANCE) {
                        return;
                    }
                    req = Request.fromWire(frame);
                } catch (WireException e) {
                    Wire.writeFrame(out, Response.error(Errno.EINVAL, "control",
                            "malformed control request: " + e.getMessage()).toWire());
                    return; // the byte stream can no longer be trusted
                } finally {
                    deadline.cancel(false);
                }
                Wire.writeFrame(out, ops.handle(req).toWire());
            }
        } catch (IOException e) {
            if (!closing) {
                LOG.log(System.Logger.Level.DEBUG, "control client went away: " + e);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "control connection failed", e);
        } finally {
            clients.remove(c);
            workers.remove(Thread.currentThread());
        }
    }

    /** Stops listening, ends every connection (waits in progress are interrupted) and deletes the socket file. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        timers.shutdownNow();
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the control socket failed", e);
        }
        for (SocketChannel c : clients) {
            try {
                c.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        for (Thread t : workers) {
            t.interrupt();
        }
        try {
            acceptor.join(5000);
            for (Thread t : workers) {
                t.join(5000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete the control socket " + socketPath, e);
        }
    }
}
