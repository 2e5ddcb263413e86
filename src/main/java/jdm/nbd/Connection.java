package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One client connection from accept to close: runs the handshake and then the transmission phase on its own
 * (virtual) thread, sends simple replies for requests completing on any thread, and shuts down in the order the
 * spec asks: stop reading, let in-flight requests finish and reply, then release the export and close the socket.
 */
final class Connection implements Runnable {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    private static final int READ_AHEAD = 64 << 10;
    private static final int MAX_INFLIGHT_REQUESTS = 256;
    private static final long MAX_INFLIGHT_BYTES = 128L << 20;

    private final SocketChannel channel;
    private final Exports exports;
    private final BufferPool pool;
    private final Executor submitter;
    private final Runnable onClosed;
    private final Inflight inflight = new Inflight(MAX_INFLIGHT_REQUESTS, MAX_INFLIGHT_BYTES);
    private final CountDownLatch closed = new CountDownLatch(1);

    // Reply path: one gathering write per reply, under the lock, so replies never interleave on the wire.
    private final ReentrantLock sendLock = new ReentrantLock();
    private final ByteBuffer replyHeader = ByteBuffer.allocateDirect(SIMPLE_REPLY_BYTES);
    private final ByteBuffer[] gather = {replyHeader, null};
    private volatile boolean broken;

    Connection(SocketChannel channel, Exports exports, BufferPool pool, Executor submitter, Runnable onClosed) {
        this.channel = channel;
        this.exports = exports;
        this.pool = pool;
        this.submitter = submitter;
        this.onClosed = onClosed;
    }

    @Override
    public void run() {
        Export export = null;
        SocketInput in = new SocketInput(channel, pool.take(READ_AHEAD));
        try {
            export = Handshake.negotiate(in, channel, exports);
            if (export != null) {
                new Transmission(this, in, export, ExportInfo.of(export)).run();
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "connection ended: {0}", e.toString());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "connection failed", e);
        } finally {
            inflight.awaitIdle(); // every submitted request has replied (or found the socket broken)
            pool.give(in.buffer());
            if (export != null) {
                try {
                    export.close();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "closing export " + export.name(), e);
                }
            }
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to tell the client
            }
            closed.countDown();
            onClosed.run();
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

    /**
     * Sends a simple reply: the 16-byte header and, for a successful READ, the payload, in one gathering write.
     * After a send failure the connection is broken: later replies are dropped and the reader is stopped.
     */
    void reply(long handle, int error, ByteBuffer payload) {
        if (broken) {
            return;
        }
        sendLock.lock();
        try {
            replyHeader.clear();
            replyHeader.putInt(SIMPLE_REPLY_MAGIC).putInt(error).putLong(handle).flip();
            if (payload == null) {
                do {
                    channel.write(replyHeader);
                } while (replyHeader.hasRemaining());
            } else {
                gather[1] = payload;
                try {
                    do {
                        channel.write(gather);
                    } while (payload.hasRemaining());
                } finally {
                    gather[1] = null;
                }
            }
        } catch (IOException e) {
            fail(e);
        } finally {
            sendLock.unlock();
        }
    }

    private void fail(IOException e) {
        if (!broken) {
            broken = true;
            LOG.log(Level.DEBUG, "send failed, dropping connection: {0}", e.toString());
            shutdownInput();
        }
    }

    /** Stops the reader at the next request (it sees end of stream); in-flight requests still finish and reply. */
    void shutdownInput() {
        try {
            channel.shutdownInput();
        } catch (IOException ignored) {
            // already closed or disconnected: the reader stops anyway
        }
    }

    /** Closes the socket at once: for a server close whose requests do not finish in time. */
    void abort() {
        broken = true;
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
