package jdm.nbd;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A listening socket, TCP or Unix domain, and its accept loop. A Unix socket path left behind by a dead server is
 * removed before binding (a live one, or a path that is not a socket, is an error), and the socket file this
 * listener created is deleted when it closes.
 */
final class Listener implements AutoCloseable {
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final int UNIX_SEND_BUFFER = 2 << 20; // the kernel caps it at net.core.wmem_max
    /** As listen(2) with SOMAXCONN: the kernel caps the backlog at net.core.somaxconn (4096 since Linux 5.4). */
    private static final int BACKLOG = Integer.MAX_VALUE;
    private static final long MIN_BACKOFF_MILLIS = 10;
    private static final long MAX_BACKOFF_MILLIS = 1000;

    private final ServerSocketChannel server;
    private final Path unixPath;
    private final Object unixFileKey;
    private final boolean tcp;
    /** Whether an accepted peer may stay (Unix sockets: its uid); null lets everyone in (TCP). */
    private final Predicate<SocketChannel> peerCheck;
    private long refusedPeers; // accept thread only

    private Listener(ServerSocketChannel server, Path unixPath, Object unixFileKey, boolean tcp,
            Predicate<SocketChannel> peerCheck) {
        this.server = server;
        this.unixPath = unixPath;
        this.unixFileKey = unixFileKey;
        this.tcp = tcp;
        this.peerCheck = peerCheck;
    }

    static Listener tcp(String host, int port) throws IOException {
        InetSocketAddress addr = host == null ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(addr, BACKLOG);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new Listener(ch, null, null, true, null);
    }

    /** A Unix socket with access's mode and group from the start, letting in only the peers access permits. */
    static Listener unix(Path path, SocketAccess access) throws IOException {
        removeStale(path);
        ServerSocketChannel ch = access.bind(path, BACKLOG);
        try {
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return new Listener(ch, path, key, false, access.checkerFor(path));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Deletes a socket file nobody listens on; refuses a live socket or anything that is not a socket. */
    private static void removeStale(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new BindException(path + " exists and is not a socket");
        }
        boolean live;
        try {
            SocketChannel.open(UnixDomainSocketAddress.of(path)).close();
            live = true;
        } catch (IOException refused) {
            live = false;
        }
        if (live) {
            throw new BindException(path + " is in use by a running server");
        }
        Files.deleteIfExists(path);
    }

    SocketAddress address() throws IOException {
        // A Unix socket was bound in a private directory and renamed: its final path is the address.
        return unixPath != null ? UnixDomainSocketAddress.of(unixPath) : server.getLocalAddress();
    }

    /**
     * Accepts until closed, handing each connection to the consumer (which must not block). Nothing a failed accept
     * throws ends the loop: out of descriptors (EMFILE, ENFILE), memory or threads, it backs off (doubling up to a
     * second, so a listen socket that stays readable does not spin) and tries again, and serves again as soon as
     * resources free up. Logging is guarded too: with no descriptor left even a log call can fail.
     */
    void acceptLoop(Handler onAccept) {
        long backoffMillis = 0;
        while (true) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (Throwable e) {
                if (!server.isOpen()) {
                    return;
                }
                if (backoffMillis == 0) {
                    log(System.Logger.Level.WARNING, "accept failed, backing off: " + e);
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
                log(System.Logger.Level.INFO, "accepting connections again");
            }
            if (peerCheck != null && !peerCheck.test(ch)) {
                closeQuietly(ch);
                if (refusedPeers++ % 1000 == 0) {
                    log(System.Logger.Level.WARNING, "refused a connection from a user not allowed (" + refusedPeers
                            + " so far; --allow-uid lets a uid in)");
                }
                continue;
            }
            try {
                if (tcp) {
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true); // replies are latency-bound
                } else {
                    // Unix sockets have no autotuning: the default ~200 KiB makes every large read reply wait
                    // for the client mid-write (measured: +30% nbdcopy read with 2 MiB). TCP tunes itself.
                    ch.setOption(StandardSocketOptions.SO_SNDBUF, UNIX_SEND_BUFFER);
                }
                onAccept.accepted(ch);
            } catch (Throwable e) { // e.g. no memory or thread for the connection: drop it, keep listening
                closeQuietly(ch);
                log(System.Logger.Level.WARNING, "dropped a new connection: " + e);
            }
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (Throwable ignored) {
            // giving up on this client anyway
        }
    }

    /** Takes an accepted connection; must not block. */
    interface Handler {
        void accepted(SocketChannel ch) throws IOException;
    }

    static {
        // Load now what the first log record needs from files (the logging configuration, the time-zone rules its
        // time stamp uses): at fd exhaustion, the moment there is something to log, opening them would fail.
        System.getLogger(Listener.class.getName()).isLoggable(System.Logger.Level.INFO);
        java.time.ZonedDateTime.now(java.time.ZoneId.systemDefault());
    }

    private static void log(System.Logger.Level level, String message) {
        try {
            System.getLogger(Listener.class.getName()).log(level, message);
        } catch (Throwable ignored) {
            // out of descriptors or memory: the loop must go on without its message
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // the accept loop ends either way
        }
        if (unixPath != null) {
            try {
                // Delete only our own socket file: another server may have replaced it since.
                Object key = Files.readAttributes(unixPath, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                        .fileKey();
                if (Objects.equals(key, unixFileKey)) {
                    Files.deleteIfExists(unixPath);
                }
            } catch (IOException ignored) {
                // already gone
            }
        }
    }
}
