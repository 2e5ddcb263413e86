package jdm.nbd;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A short busy wait for a socket's next bytes, before a reader blocks in read(2). At queue depth 1 the client's
 * next request follows each reply within tens of microseconds, and the wake-up of a blocked thread costs a good
 * part of that in a VM; polling for it instead answers it at once. The spin is non-blocking recv(2) calls
 * (MSG_DONTWAIT), so the call that finds the bytes also reads them: one system call per request when they are
 * already there, where a poll(2) and then the read were two (4 KiB random writes at queue depth 32: a poll, a read
 * and a writev per request, all of the server's work on one CPU). Bounded (see {@link #SPIN_NANOS}), so an idle
 * connection costs one short spin, then blocks as before. Adaptive, as adaptive mutexes are: it spins only while
 * the waits it spun for were short (their moving average, {@link #gapNanos}, within the bound); otherwise one wait
 * in {@link #PROBE_EVERY} spins to see whether that changed. A client that keeps the reader waiting longer (a copy
 * whose client is short of CPU: its gaps are 100+ us) gets few spins, which would only take CPU from it: measured
 * on 2 CPUs, nbdcopy to a RAM disk over 4 connections was a tenth faster without them, while random I/O at queue
 * depth 1 (gaps of 10-20 us) keeps spinning. Needs the socket's descriptor, which the JDK keeps in sun.nio.ch
 * (exported to us by the jar's manifest, Add-Exports): without it, {@link #of} gives null and readers just block.
 * The descriptor's blocking mode is left as the JDK set it: recv's flag makes each call non-blocking by itself.
 */
final class ReadSpin {
    /** How long a reader spins before it blocks: about one client round trip at queue depth 1. */
    static final long SPIN_NANOS = 50_000;
    /** A single wait counts as at most this long, so one idle pause weighs like a few slow requests, no more. */
    static final long GAP_CAP_NANOS = 4 * SPIN_NANOS;
    /** While spins do not pay, one wait in this many spins anyway, to notice when they would again. */
    static final int PROBE_EVERY = 8;
    private static final int MSG_DONTWAIT = 0x40;
    private static final MethodHandle RECV;

    static {
        MethodHandle recv = null;
        try {
            Linker linker = Linker.nativeLinker();
            // ssize_t recv(int fd, void *buf, size_t len, int flags); critical: no thread-state change for a call
            // that never blocks (MSG_DONTWAIT)
            recv = linker.downcallHandle(linker.defaultLookup().find("recv").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT), Linker.Option.critical(false));
        } catch (Throwable e) { // no native access: no spinning
            recv = null;
        }
        RECV = recv;
    }

    private final int fd;
    /** The moving average of the waits the reader spun for (ns; each new one weighs 1/8). */
    private long gap;
    /** When the spun wait that the next {@link #readDone} ends began (its spin ran out); 0: none is being timed. */
    private long waitStart;
    /** Waits not spun for since the last spin. */
    private int skipped;
    /** Waits spun for, in all (for tests). */
    private long spins;

    private ReadSpin(int fd) {
        this.fd = fd;
    }

    /** A spinner for the socket, or null where the descriptor cannot be had. */
    static ReadSpin of(SocketChannel channel) {
        int fd = SocketFd.of(channel);
        return RECV != null && fd >= 0 ? new ReadSpin(fd) : null;
    }

    /**
     * Reads what the socket has into dst (a direct buffer), without blocking: spins with non-blocking reads until
     * bytes come (or the end of the stream, or an error), or the spin time is over, if recent spins found data soon
     * enough to be worth it (or this wait is a probe); else returns at once. Returns the bytes read (dst's position
     * moves on), -1 at the end of the stream, or 0 when nothing came: the caller then blocks in its channel's read
     * (which also reports an error this one met), and calls {@link #readDone} after it.
     */
    int read(ByteBuffer dst) {
        if (gap > SPIN_NANOS && ++skipped < PROBE_EVERY) {
            return 0; // the channel's read tries first, then blocks
        }
        skipped = 0;
        spins++;
        long start = System.nanoTime();
        long deadline = start + SPIN_NANOS;
        MemorySegment to = MemorySegment.ofBuffer(dst);
        try {
            while (true) {
                long n = (long) RECV.invokeExact(fd, to, (long) dst.remaining(), MSG_DONTWAIT);
                if (n != -1) { // bytes, or 0: the peer closed its end
                    record(System.nanoTime() - start);
                    if (n == 0) {
                        return -1;
                    }
                    dst.position(dst.position() + (int) n);
                    return (int) n;
                }
                if (System.nanoTime() - deadline >= 0) {
                    break; // nothing yet (or an error: the channel's read reports it)
                }
                Thread.onSpinWait();
            }
        } catch (Throwable e) {
            // a failed call: the blocking read that follows reports what is wrong
        }
        waitStart = start;
        return 0;
    }

    /** After the blocking read that followed {@link #read}: a spun wait whose spin ran out joins the average. */
    void readDone() {
        if (waitStart != 0) {
            record(System.nanoTime() - waitStart);
            waitStart = 0;
        }
    }

    /** The moving average of recent spun waits, in nanoseconds. */
    long gapNanos() {
        return gap;
    }

    /** How many waits were spun for. */
    long spins() {
        return spins;
    }

    private void record(long waited) {
        gap += (Math.min(waited, GAP_CAP_NANOS) - gap) >> 3;
    }
}
