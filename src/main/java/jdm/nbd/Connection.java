package jdm.nbd;

import static jdm.nbd.NbdProtocol.EXTENDED_HEADER_BYTES;
import static jdm.nbd.NbdProtocol.REQUEST_HEADER_BYTES;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client connection from accept to close: runs the handshake and then the transmission phase on its own
 * (virtual) thread, and shuts down in the order the spec asks (proto.md "Terminating the transmission phase"):
 * stop reading, let in-flight requests finish and reply, then release the export and close the socket.
 */
final class Connection implements Runnable {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    private static final int READ_AHEAD = 64 << 10;
    private static final int MAX_INFLIGHT_REQUESTS = 256;
    private static final long MAX_INFLIGHT_BYTES = 128L << 20;
    private static final long MAX_SEND_BACKLOG = 1L << 20;
    /** How long a TLS close_notify may take to go out before the socket is closed anyway. */
    private static final long TLS_CLOSE_SECONDS = 2;
    /** During a shutdown, how long reading goes on after the last option or request refused for it. */
    private static final long SHUTDOWN_QUIET_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final SocketChannel channel;
    /** What the handshake and the replies go through when the server offers TLS, else null (the socket itself). */
    private final StartTlsChannel tls;
    private final Exports exports;
    private final BufferPool pool;
    private final Executor submitter;
    private final Runnable onClosed;
    private final Inflight inflight;
    private final SendBacklog backlog = new SendBacklog(MAX_SEND_BACKLOG);
    private final SubmitCost submitCost = new SubmitCost();
    private final ReplySender sender;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final ScheduledExecutorService timers;
    /** Set once after the handshake, read by the reader only. */
    private boolean writesByReference;
    /** Set once after the handshake, before the first request. */
    private volatile boolean extendedHeaders;
    static final int PAYLOAD_SECONDS = 10;
    /** When the payload being read by reference began (nanoTime, 0: none); see {@link #payloadStarted}. */
    private volatile long payloadSince;
    /** The stalled-payload check, once a payload went by reference; cancelled when the connection ends. */
    private ScheduledFuture<?> watchdog;
    private final long handshakeTimeoutNanos;
    private volatile boolean negotiated;
    private volatile boolean shuttingDown;
    /** When the shutdown began, or when the reader last refused something for it (System.nanoTime). */
    private volatile long lastShutdownRefusal;

    /**
     * A connection whose handshake must end within handshakeTimeoutNanos (0: no limit; the timer runs on timers),
     * else it is closed: an idle or trickling client holds a socket, a thread and a read-ahead buffer. Its payload
     * bytes in flight count in serverBytes, which the server's connections keep under maxServerBytes (see
     * {@link Inflight}).
     */
    Connection(SocketChannel channel, Exports exports, BufferPool pool, Executor submitter, Runnable onClosed,
            ScheduledExecutorService timers, long handshakeTimeoutNanos, AtomicLong serverBytes,
            long maxServerBytes) {
        this(channel, exports, pool, submitter, onClosed, timers, handshakeTimeoutNanos, serverBytes, maxServerBytes,
                null);
    }

    /** As above, offering NBD_OPT_STARTTLS with tlsConfig (null: no TLS). */
    Connection(SocketChannel channel, Exports exports, BufferPool pool, Executor submitter, Runnable onClosed,
            ScheduledExecutorService timers, long handshakeTimeoutNanos, AtomicLong serverBytes,
            long maxServerBytes, TlsConfig tlsConfig) {
        this.inflight = new Inflight(MAX_INFLIGHT_REQUESTS, MAX_INFLIGHT_BYTES, serverBytes, maxServerBytes);
        this.channel = channel;
        this.exports = exports;
        this.pool = pool;
        this.submitter = submitter;
        this.onClosed = onClosed;
        this.timers = timers;
        this.handshakeTimeoutNanos = handshakeTimeoutNanos;
        this.tls = tlsConfig == null ? null : new StartTlsChannel(channel, tlsConfig);
        this.sender = new ReplySender(tls != null ? tls : channel, this::shutdownInput);
    }

    @Override
    public void run() {
        // What the handshake reads and writes: the socket, or the channel STARTTLS can switch to TLS when the server
        // offers TLS (as a local, this name keeps the protocol code below the same either way).
        var channel = tls != null ? tls : this.channel;
        Export export = null;
        SocketInput in = null;
        SocketSplice splice = null;
        ScheduledFuture<?> timeout = null;
        try {
            if (handshakeTimeoutNanos > 0) {
                timeout = timers.schedule(this::handshakeExpired, handshakeTimeoutNanos, TimeUnit.NANOSECONDS);
            }
            in = new SocketInput(channel, pool.take(READ_AHEAD));
            Session session = Handshake.negotiate(in, channel, exports, this::shuttingDown);
            negotiated = true;
            if (timeout != null) {
                timeout.cancel(false);
            }
            if (session != null) {
                export = session.export();
                sender.encoder(session.encoder());
                extendedHeaders = session.extendedHeaders();
                in.beforeRead(sender::uncork); // the reader's held replies go out before it may wait for input
                in.headerBytes(session.extendedHeaders() ? EXTENDED_HEADER_BYTES : REQUEST_HEADER_BYTES);
                if (tls == null || !tls.secure()) { // TLS has to encrypt every byte: no sendfile, no raw poll
                    sender.zeroCopy(this.channel);
                    in.spin(ReadSpin.of(this.channel));
                }
                writesByReference = this.channel.getLocalAddress() instanceof UnixDomainSocketAddress;
                if (writesByReference && (tls == null || !tls.secure())) { // TLS: the bytes must be decrypted
                    splice = SocketSplice.of(this.channel);
                    in.splice(splice);
                }
                new Transmission(this, in, session).run();
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "connection ended: {0}", e.toString());
        } catch (RuntimeException | Error e) { // e.g. out of memory: still release everything below
            LOG.log(Level.WARNING, "connection failed", e);
        } finally {
            if (timeout != null) {
                timeout.cancel(false);
            }
            if (watchdog != null) {
                watchdog.cancel(false);
            }
            inflight.awaitIdle(); // every submitted request has replied (or found the socket gone)
            if (splice != null) {
                splice.close();
            }
            if (in != null) {
                pool.give(in.buffer());
            }
            if (export != null) {
                try {
                    export.close();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "closing export " + export.name(), e);
                }
            }
            closeTls();
            try {
                this.channel.close();
            } catch (IOException ignored) {
                // nothing left to tell the client
            }
            onClosed.run();
            closed.countDown();
        }
    }

    /**
     * Ends a TLS session with close_notify before the socket closes (proto.md: after NBD_CMD_DISC the server MUST
     * close down the TLS session, then the TCP connection). A client that does not read could block that write,
     * so a timer cuts the socket off after a moment.
     */
    private void closeTls() {
        if (tls == null || !tls.secure() || sender.broken() || !channel.isOpen()) {
            return;
        }
        ScheduledFuture<?> cutOff = null;
        try {
            cutOff = timers.schedule(this::abort, TLS_CLOSE_SECONDS, TimeUnit.SECONDS);
            tls.close();
        } catch (IOException | RuntimeException e) { // a vanished client, or timers already shut down
            LOG.log(Level.DEBUG, "TLS close: {0}", e.toString());
        } finally {
            if (cutOff != null) {
                cutOff.cancel(false);
            }
        }
    }

    private void handshakeExpired() {
        if (!negotiated) {
            LOG.log(Level.DEBUG, "handshake not finished in time: closing");
            abort(); // the handshake's blocked read fails, and the connection ends as any other
        }
    }

    BufferPool pool() {
        return pool;
    }

    Executor submitter() {
        return submitter;
    }

    Inflight inflight() {
        return inflight;
    }

    SubmitCost submitCost() {
        return submitCost;
    }

    SendBacklog backlog() {
        return backlog;
    }

    /** Queues a reply; see {@link ReplySender}. */
    /**
     * Whether WRITE payloads may be read straight into a device's memory ({@link jdm.block.DataRegion}): on Unix
     * sockets, whose clients are local and quick. Such a write holds the device's suspend while its payload
     * arrives, so a payload that stalls longer than {@link #PAYLOAD_SECONDS} ends the connection.
     */
    boolean writesByReference() {
        return writesByReference;
    }

    /** Whether requests and reply chunks use the 32-byte extended headers (NBD_OPT_EXTENDED_HEADERS). */
    boolean extendedHeaders() {
        return extendedHeaders;
    }

    /**
     * The reader starts reading a payload into a device by reference: from now until {@link #payloadDone} the
     * connection's watchdog (one periodic check per connection, started with the first such payload: a timer per
     * write cost a queue insertion per request and left cancelled entries behind) ends it after PAYLOAD_SECONDS.
     */
    void payloadStarted() {
        payloadSince = System.nanoTime() | 1; // never 0, which means none
        if (watchdog == null) {
            watchdog = timers.scheduleWithFixedDelay(this::checkPayload, 1, 1, TimeUnit.SECONDS);
        }
    }

    void payloadDone() {
        payloadSince = 0;
    }

    private void checkPayload() {
        long since = payloadSince;
        if (since != 0 && System.nanoTime() - since > TimeUnit.SECONDS.toNanos(PAYLOAD_SECONDS)) {
            LOG.log(Level.WARNING, "a WRITE payload stalled for " + PAYLOAD_SECONDS + " s while writing a device by"
                    + " reference: closing the connection");
            payloadSince = 0;
            shutdownInput(); // the reader's blocked read ends, and with it the write and the connection
        }
    }

    /** Whether replies may carry file regions (see {@link ReplySender#zeroCopy(SocketChannel)}). */
    boolean zeroCopy() {
        return sender.zeroCopy();
    }

    /** The reader holds its own replies while it has more requests in hand (see {@link ReplySender#cork}). */
    void cork() {
        sender.cork();
    }

    /** The reader sends the replies it held. */
    void uncork() {
        sender.uncork();
    }

    void send(Reply r) {
        sender.send(r);
    }

    /** True once a server shutdown began: the reader then refuses what it reads (and says so by calling this). */
    boolean shuttingDown() {
        if (!shuttingDown) {
            return false;
        }
        lastShutdownRefusal = System.nanoTime();
        return true;
    }

    /**
     * Begins a server shutdown as proto.md asks ("Terminating the transmission phase", "Termination of the session
     * during option haggling"): requests read from now on fail with NBD_ESHUTDOWN and options with
     * NBD_REP_ERR_SHUTDOWN, to which a client must answer by disconnecting itself. Reading stops once no request is
     * in flight (at once if none is), or, in the handshake or with requests still in flight, once a second passes
     * without anything to refuse (a stalled WRITE payload then stops too); the connection ends as at end of stream.
     */
    void shutdown() {
        lastShutdownRefusal = System.nanoTime();
        shuttingDown = true;
        Thread.ofVirtual().name("nbd-shutdown").start(() -> {
            try {
                while (closed.getCount() != 0 && (!negotiated || inflight.requests() != 0)
                        && System.nanoTime() - lastShutdownRefusal < SHUTDOWN_QUIET_NANOS) {
                    Thread.sleep(5);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            shutdownInput();
        });
    }

    /** Stops the reader at its next read (it sees end of stream); in-flight requests still finish and reply. */
    void shutdownInput() {
        try {
            channel.shutdownInput();
        } catch (IOException ignored) {
            // already closed or disconnected: the reader stops anyway
        }
    }

    /** Closes the socket at once: for a server close whose requests do not finish in time. */
    void abort() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    boolean awaitClosed(long timeout, TimeUnit unit) throws InterruptedException {
        return closed.await(timeout, unit);
    }
}
