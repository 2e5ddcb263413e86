package jdm.nbd;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.SocketChannel;

/**
 * A socket channel's descriptor, for the system calls the JDK has no method for (see {@link ReadSpin},
 * {@link SocketSplice}). The JDK keeps it in sun.nio.ch, which the jar's manifest exports to us (Add-Exports);
 * without that export there is none, and callers do without.
 */
final class SocketFd {
    private static final MethodHandle FD_VAL;

    static {
        MethodHandle fdVal;
        try {
            Class<?> selCh = Class.forName("sun.nio.ch.SelChImpl");
            fdVal = MethodHandles.lookup().findVirtual(selCh, "getFDVal", MethodType.methodType(int.class));
        } catch (Throwable e) {
            fdVal = null;
        }
        FD_VAL = fdVal;
    }

    private SocketFd() {
    }

    /** The channel's descriptor, or -1 where it cannot be had. */
    static int of(SocketChannel channel) {
        if (FD_VAL == null) {
            return -1;
        }
        try {
            return (int) FD_VAL.invoke(channel);
        } catch (Throwable e) {
            return -1;
        }
    }
}
