package jdm.nbd;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
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
import java.util.function.Consumer;

/**
 * A listening socket, TCP or Unix domain, and its accept loop. A Unix socket path left behind by a dead server is
 * removed before binding (a live one, or a path that is not a socket, is an error), and the socket file this
 * listener created is deleted when it closes.
 */
final class Listener implements AutoCloseable {
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final int UNIX_SEND_BUFFER = 2 << 20; // the kernel caps it at net.core.wmem_max

    private final ServerSocketChannel server;
    private final Path unixPath;
    private final Object unixFileKey;
    private final boolean tcp;

    private Listener(ServerSocketChannel server, Path unixPath, Object unixFileKey, boolean tcp) {
        this.server = server;
        this.unixPath = unixPath;
        this.unixFileKey = unixFileKey;
        this.tcp = tcp;
    }

    static Listener tcp(String host, int port) throws IOException {
        InetSocketAddress addr = host == null ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(addr, 128);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new Listener(ch, null, null, true);
    }

    static Listener unix(Path path) throws IOException {
        removeStale(path);
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(path), 128);
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return new Listener(ch, path, key, false);
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
        return server.getLocalAddress();
    }

    /** Accepts until closed, handing each connection to the consumer (which must not block). */
    void acceptLoop(Consumer<SocketChannel> onAccept) {
        while (true) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!server.isOpen()) {
                    return;
                }
                System.getLogger(Listener.class.getName()).log(System.Logger.Level.WARNING, "accept failed", e);
                try {
                    Thread.sleep(100); // e.g. out of descriptors: keep serving rather than die, but do not spin
                } catch (InterruptedException ie) {
                    return;
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
                onAccept.accept(ch);
            } catch (IOException | RuntimeException e) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // giving up on this client anyway
                }
            }
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
