package jdm.nbd;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.SocketChannel;

/**
 * A short busy wait for a socket to become readable, before a reader blocks in read(2). At queue depth 1 the
 * client's next request follows each reply within tens of microseconds, and the wake-up of a blocked thread costs
 * a good part of that in a VM; polling for it instead answers it at once. Bounded (see {@link #SPIN_NANOS}), so an
 * idle connection costs one short spin, then blocks as before. Adaptive, as adaptive mutexes are: it spins only
 * while the waits it spun for were short (their moving average, {@link #gapNanos}, within the bound); otherwise
 * one wait in {@link #PROBE_EVERY} spins to see whether that changed. A client that keeps the reader waiting
 * longer (a copy whose client is short of CPU: its gaps are 100+ us) gets few spins, which would only take CPU
 * from it: measured on 2 CPUs, nbdcopy to a RAM disk over 4 connections was a tenth faster without them, while
 * random I/O at queue depth 1 (gaps of 10-20 us) keeps spinning. Needs the socket's descriptor, which the JDK
 * keeps in sun.nio.ch (exported to us by the jar's manifest, Add-Exports): without it, {@link #of} gives null and
 * readers just block.
 */
final class ReadSpin {
    /** How long a reader polls before it blocks: about one client round trip at queue depth 1. */
    static final long SPIN_NANOS = 50_000;
    /** A single wait counts as at most this long, so one idle pause weighs like a few slow requests, no more. */
    static final long GAP_CAP_NANOS = 4 * SPIN_NANOS;
    /** While spins do not pay, one wait in this many spins anyway, to notice when they would again. */
    static final int PROBE_EVERY = 8;
    private static final short POLLIN = 1;
    private static final MethodHandle POLL;
    private static final MethodHandle FD_VAL;

    static {
        MethodHandle poll = null;
        MethodHandle fdVal = null;
        try {
            Linker linker = Linker.nativeLinker();
            poll = linker.downcallHandle(linker.defaultLookup().find("poll").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT), Linker.Option.critical(false));
            Class<?> selCh = Class.forName("sun.nio.ch.SelChImpl");
            fdVal = java.lang.invoke.MethodHandles.lookup().findVirtual(selCh, "getFDVal",
                    java.lang.invoke.MethodType.methodType(int.class));
        } catch (Throwable e) { // no native access, or sun.nio.ch not exported to us: no spinning
            poll = null;
            fdVal = null;
        }
        POLL = poll;
        FD_VAL = fdVal;
    }

    private final MemorySegment pollfd; // struct pollfd { int fd; short events; short revents; }
    /** The moving average of the waits the reader spun for (ns; each new one weighs 1/8). */
    private long gap;
    /** When the spun wait that the next {@link #readDone} ends began (its spin ran out); 0: none is being timed. */
    private long waitStart;
    /** Waits not spun for since the last spin. */
    private int skipped;
    /** Waits spun for, in all (for tests). */
    private long spins;

    private ReadSpin(int fd) {
        pollfd = Arena.ofAuto().allocate(8);
        pollfd.set(ValueLayout.JAVA_INT, 0, fd);
        pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
    }

    /** A spinner for the socket, or null where the descriptor cannot be had. */
    static ReadSpin of(SocketChannel channel) {
        if (POLL == null || FD_VAL == null) {
            return null;
        }
        try {
            int fd = (int) FD_VAL.invoke(channel);
            return fd >= 0 ? new ReadSpin(fd) : null;
        } catch (Throwable e) {
            return null;
        }
    }

    /**
     * Before a read that would block: polls until the socket is readable (or hung up, or in error) or the spin time
     * is over, if recent spins found data soon enough to be worth it (or this wait is a probe); else returns.
     */
    void await() {
        if (gap > SPIN_NANOS && ++skipped < PROBE_EVERY) {
            return;
        }
        skipped = 0;
        spins++;
        long start = System.nanoTime();
        long deadline = start + SPIN_NANOS;
        try {
            do {
                if ((int) POLL.invokeExact(pollfd, 1L, 0) != 0) {
                    record(System.nanoTime() - start);
                    return;
                }
                Thread.onSpinWait();
            } while (System.nanoTime() - deadline < 0);
        } catch (Throwable e) {
            // a failed poll: the blocking read that follows reports what is wrong
        }
        waitStart = start;
    }

    /** After the read that followed {@link #await}: a spun wait whose spin ran out joins the average. */
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
