package jdm.nbd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An NBD server (NetworkBlockDevice/nbd doc/proto.md, fixed newstyle, simple replies) exporting {@link Exports} on
 * TCP and Unix domain sockets. Each connection runs on its own virtual thread; each request's bio is submitted on a
 * fresh virtual thread, so a device that does its I/O inside submit (FileDevice) still overlaps requests. (Measured
 * against a platform thread pool, which was slower, and against always submitting on the reader, which is faster
 * from the page cache but serializes a connection's I/O on a slow device; the reader only keeps a request when
 * nothing else is in flight, see {@link Transmission}.)
 *
 * <pre>{@code
 * NbdServer server = new NbdServer(MapExports.of("disk", device))
 *         .listenTcp("127.0.0.1", 0)
 *         .listenUnix(Path.of("/run/jdm/nbd.sock"))
 *         .start();
 * int port = server.tcpAddress().getPort();
 * ...
 * server.close(); // stops accepting, lets in-flight requests finish, closes connections and exports
 * }</pre>
 */
public final class NbdServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NbdServer.class.getName());
    /** How long a client may take from connecting to choosing an export (qemu-nbd: 10 s too). */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** Connections served at once; more are closed as soon as accepted. */
    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    /**
     * READ and WRITE payload bytes in flight on all connections together (each connection has its own 128 MiB);
     * over it, connections go on with one request in flight each.
     */
    public static final long DEFAULT_MAX_INFLIGHT_BYTES = 1L << 30;
    /** How long close() lets in-flight requests finish before cutting connections off. */
    private static final long CLOSE_GRACE_SECONDS = 30;

    private sealed interface Endpoint {
    }

    private record Tcp(String host, int port) implements Endpoint {
    }

    private record Unix(Path path) implements Endpoint {
    }

    private final Exports exports;
    private final Executor submitter;
    private final BufferPool pool = new BufferPool();
    private final List<Endpoint> endpoints = new ArrayList<>();
    private final List<Listener> listeners = new ArrayList<>();
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final ThreadFactory connectionThreads = Thread.ofVirtual().name("nbd-conn-", 0).factory();
    private final AtomicInteger open = new AtomicInteger();
    private SocketAccess unixAccess = SocketAccess.ownerOnly();
    private TlsConfig tls; // null: no TLS
    private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private long maxInflightBytes = DEFAULT_MAX_INFLIGHT_BYTES;
    private final AtomicLong inflightBytes = new AtomicLong();
    private ScheduledThreadPoolExecutor timers;
    private volatile long refused; // connections turned away at the cap (accept threads only)
    private boolean started;
    private volatile boolean closed;

    public NbdServer(Exports exports) {
        this(exports, submitOnVirtualThreads());
    }

    /** With another executor for submitting bios: for measuring alternatives. */
    NbdServer(Exports exports, Executor submitter) {
        this.exports = Objects.requireNonNull(exports, "exports");
        this.submitter = submitter;
    }

    private static Executor submitOnVirtualThreads() {
        ThreadFactory f = Thread.ofVirtual().name("nbd-io").factory();
        return task -> f.newThread(task).start();
    }

    /** Adds a TCP listener; host null means all interfaces, port 0 an ephemeral port (see {@link #tcpAddress}). */
    public synchronized NbdServer listenTcp(String host, int port) {
        checkNotStarted();
        endpoints.add(new Tcp(host, port));
        return this;
    }

    /** Adds a Unix domain socket listener; a stale socket file at path is replaced, and deleted on close. */
    public synchronized NbdServer listenUnix(Path path) {
        checkNotStarted();
        endpoints.add(new Unix(Objects.requireNonNull(path, "path")));
        return this;
    }

    /** Who may use the Unix sockets (default: mode 0600, root and the server's own user). */
    public synchronized NbdServer unixAccess(SocketAccess access) {
        checkNotStarted();
        this.unixAccess = Objects.requireNonNull(access, "access");
        return this;
    }

    /** Offers (or requires) NBD_OPT_STARTTLS with these credentials; null or mode OFF: no TLS. */
    public synchronized NbdServer tls(TlsConfig config) {
        checkNotStarted();
        this.tls = config == null || config.mode() == TlsConfig.Mode.OFF ? null : config;
        return this;
    }

    /** Closes connections that have not chosen an export this long after connecting; zero: no limit. */
    public synchronized NbdServer handshakeTimeout(Duration timeout) {
        checkNotStarted();
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative handshake timeout " + timeout);
        }
        this.handshakeTimeout = timeout;
        return this;
    }

    /** Serves at most n connections at once (handshaking or transmitting); beyond, a new one is closed at once. */
    public synchronized NbdServer maxConnections(int n) {
        checkNotStarted();
        if (n < 1) {
            throw new IllegalArgumentException("max connections " + n + " is below 1");
        }
        this.maxConnections = n;
        return this;
    }

    /** Keeps the payload bytes in flight on all connections together under n ({@link #DEFAULT_MAX_INFLIGHT_BYTES}). */
    public synchronized NbdServer maxInflightBytes(long n) {
        checkNotStarted();
        if (n < 1) {
            throw new IllegalArgumentException("max in-flight bytes " + n + " is below 1");
        }
        this.maxInflightBytes = n;
        return this;
    }

    /** Payload bytes of the requests in flight on all connections (for tests and monitoring). */
    long inflightBytes() {
        return inflightBytes.get();
    }

    /** Binds every listener and starts accepting; if one fails to bind, none is left open. */
    public synchronized NbdServer start() throws IOException {
        checkNotStarted();
        if (endpoints.isEmpty()) {
            throw new IllegalStateException("no listener configured");
        }
        try {
            for (Endpoint e : endpoints) {
                listeners.add(switch (e) {
                    case Tcp t -> Listener.tcp(t.host(), t.port());
                    case Unix u -> Listener.unix(u.path(), unixAccess);
                });
            }
        } catch (IOException | RuntimeException ex) {
            listeners.forEach(Listener::close);
            listeners.clear();
            throw ex;
        }
        started = true;
        timers = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("nbd-timer").daemon().factory());
        timers.setRemoveOnCancelPolicy(true); // a cancelled handshake timer goes at once, not after 10 s
        timers.scheduleAtFixedRate(pool::trim, BufferPool.TRIM_PERIOD_SECONDS, BufferPool.TRIM_PERIOD_SECONDS,
                TimeUnit.SECONDS); // memory goes back after a burst
        for (Listener l : listeners) {
            Thread.ofVirtual().name("nbd-accept").start(() -> l.acceptLoop(this::accepted));
        }
        return this;
    }

    private void checkNotStarted() {
        if (started || closed) {
            throw new IllegalStateException("server already started");
        }
    }

    private void accepted(SocketChannel ch) throws IOException {
        if (open.incrementAndGet() > maxConnections) {
            open.decrementAndGet();
            ch.close();
            if (refused++ % 1000 == 0) {
                LOG.log(System.Logger.Level.WARNING, "{0} connections open, the most allowed: closing new ones"
                        + " ({1} so far)", maxConnections, refused);
            }
            return;
        }
        Connection[] self = new Connection[1];
        Connection c;
        try {
            c = new Connection(ch, exports, pool, submitter, () -> {
                connections.remove(self[0]);
                open.decrementAndGet();
            }, timers, handshakeTimeout.toNanos(), inflightBytes, maxInflightBytes, tls);
        } catch (Throwable e) {
            open.decrementAndGet();
            throw e;
        }
        self[0] = c;
        connections.add(c);
        if (closed) {
            c.shutdownInput(); // raced with close(): the connection ends at its first read
        }
        try {
            connectionThreads.newThread(c).start();
        } catch (Throwable e) { // not started: nothing will close it, so it must not be waited for
            connections.remove(c);
            open.decrementAndGet();
            throw e;
        }
    }

    /** The bound addresses, in the order the listeners were added (after {@link #start}). */
    public synchronized List<SocketAddress> addresses() {
        List<SocketAddress> out = new ArrayList<>();
        for (Listener l : listeners) {
            try {
                out.add(l.address());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** The first TCP listener's bound address: the actual port when 0 was asked for. */
    public InetSocketAddress tcpAddress() {
        for (SocketAddress a : addresses()) {
            if (a instanceof InetSocketAddress inet) {
                return inet;
            }
        }
        throw new IllegalStateException("no TCP listener");
    }

    /** Open connections, handshaking or transmitting. */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Stops accepting; refuses requests arriving meanwhile with NBD_ESHUTDOWN (options with NBD_REP_ERR_SHUTDOWN, for
     * a moment) and stops reading once in-flight requests have replied, then closes each connection and releases its
     * export (see {@link Connection#shutdown}). Connections still busy after a grace period are cut off.
     */
    @Override
    public void close() {
        List<Listener> ls;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            ls = new ArrayList<>(listeners);
        }
        ls.forEach(Listener::close);
        for (Connection c : connections) {
            c.shutdown();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_GRACE_SECONDS);
        boolean interrupted = false;
        for (Connection c : connections) {
            try {
                if (!c.awaitClosed(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    LOG.log(System.Logger.Level.WARNING, "connection still busy at close: cutting it off");
                    c.abort();
                }
            } catch (InterruptedException e) {
                interrupted = true;
                c.abort();
            }
        }
        if (timers != null) {
            timers.shutdownNow();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
