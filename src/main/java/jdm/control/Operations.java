package jdm.control;

import java.util.LinkedHashMap;
import java.util.Map;
import jdm.dm.DmException;

/**
 * The control operations a daemon answers, registered per subsystem (dm's ioctls by {@link DmIoctl}, the kernel
 * log by {@link ControlServer}; md's controls next), and the one place that turns a request into a reply. Every
 * failure becomes an error reply with the errno the kernel would return and the ioctl that failed, and its reason
 * goes to the {@link KernelLog}, as the kernel logs it; nothing a client sends can throw out of {@link #handle}.
 */
public final class Operations {
    private static final System.Logger LOG = System.getLogger(Operations.class.getName());

    /** Reads an operation's arguments from a request into their typed form (a WireException names a bad field). */
    @FunctionalInterface
    public interface Decoder<A> {
        A decode(Request r) throws WireException;
    }

    /** Runs one operation on its decoded arguments; returns the reply's fields. {@link #handle} maps failures. */
    @FunctionalInterface
    public interface Handler<A> {
        Map<String, Object> run(A args) throws Exception;
    }

    /** For operations without arguments. */
    public static final Decoder<Void> NO_ARGS = r -> null;

    /** An operation: the "op" clients send, the dm ioctl (or md control) errors name, and what runs it. */
    public record Operation(String op, String ioctl, Handler<Request> run) {
    }

    private final Map<String, Operation> ops = new LinkedHashMap<>();
    private final KernelLog log;

    public Operations(KernelLog log) {
        this.log = log;
    }

    /** Registers an operation with its argument decoder; each op name once. */
    public <A> void register(String op, String ioctl, Decoder<A> args, Handler<A> handler) {
        if (ops.putIfAbsent(op, new Operation(op, ioctl, r -> handler.run(args.decode(r)))) != null) {
            throw new IllegalStateException("control operation \"" + op + "\" registered twice");
        }
    }

    /** The ioctl an operation stands for, as libdm names it in "device-mapper: X ioctl on ... failed". */
    public String ioctlName(String op) {
        Operation o = ops.get(op);
        return o == null ? op : o.ioctl();
    }

    public KernelLog log() {
        return log;
    }

    public Response handle(Request r) {
        Operation op = ops.get(r.op());
        if (op == null) {
            return Response.error(Errno.ENOTTY, r.op(), "unknown control operation \"" + r.op() + "\"");
        }
        try {
            return Response.ok(op.run().run(r));
        } catch (ControlException e) {
            if (!e.ioctl().startsWith("md_")) { // md's refusals are mdadm's messages; md logs its own kernel lines
                logFailure(e.errno(), e.getMessage(), e.device());
            }
            return Response.error(e);
        } catch (DmException e) {
            logFailure(e.errno(), e.getMessage(), null);
            return Response.error(e.errno(), op.ioctl(), e.getMessage());
        } catch (WireException e) {
            return Response.error(Errno.EINVAL, op.ioctl(), "bad " + r.op() + " request: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Response.error(Errno.EINTR, op.ioctl(), "interrupted: the daemon is shutting down");
        } catch (Exception e) {
            LOG.log(System.Logger.Level.ERROR, "control operation " + r.op() + " failed", e);
            return Response.error(Errno.EIO, op.ioctl(), "internal error: " + e);
        }
    }

    /**
     * The kernel's log lines for a failed ioctl. A table error ("line N: TYPE: ti->error") is logged as
     * dm_table_add_target does, "table: MAJ:MIN: TYPE: error (-EINVAL)", followed by dm-ioctl's "error adding target
     * to table"; anything else as an ioctl error.
     */
    private void logFailure(int errno, String reason, DevNo device) {
        if (reason == null || reason.isEmpty()) {
            return;
        }
        if (reason.startsWith("line ") && device != null) {
            int colon = reason.indexOf(": ");
            if (colon > 0) {
                log.log("device-mapper: table: " + device.major() + ":" + device.minor() + ": "
                        + reason.substring(colon + 2) + " (-" + KernelLog.errnoName(errno) + ")");
                log.log("device-mapper: ioctl: error adding target to table");
                return;
            }
        }
        log.log("device-mapper: ioctl: " + reason);
    }
}
