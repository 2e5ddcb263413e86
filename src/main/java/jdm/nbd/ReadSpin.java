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
 * idle connection costs one short spin, then blocks as before. Needs the socket's descriptor, which the JDK keeps
 * in sun.nio.ch (exported to us by the jar's manifest, Add-Exports): without it, {@link #of} gives null and readers
 * just block.
 */
final class ReadSpin {
    /** How long a reader polls before it blocks: about one client round trip at queue depth 1. */
    static final long SPIN_NANOS = 50_000;
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

    /** Polls until the socket is readable (or hung up, or in error) or the spin time is over. */
    void await() {
        long deadline = System.nanoTime() + SPIN_NANOS;
        try {
            do {
                if ((int) POLL.invokeExact(pollfd, 1L, 0) != 0) {
                    return;
                }
                Thread.onSpinWait();
            } while (System.nanoTime() - deadline < 0);
        } catch (Throwable e) {
            // a failed poll: the blocking read that follows reports what is wrong
        }
    }
}
