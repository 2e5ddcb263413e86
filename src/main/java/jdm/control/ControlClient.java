package jdm.control;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Talks to a jdm daemon over its control socket: one connection per request, as each dmsetup command issues its
 * ioctls. {@link #call} returns whatever the daemon answered; the typed methods throw a {@link ControlException} for
 * an error reply (errno, failed ioctl, reason) and an {@link IOException} when the daemon cannot be reached
 * ("cannot reach the jdm daemon at PATH: ...") or answers with something that is not a reply.
 */
public final class ControlClient {
    /** Where the daemon listens unless told otherwise. */
    public static final Path DEFAULT_SOCKET = Path.of("/run/jdm/control.sock");

    private static final int CONNECT_RETRIES = 100;

    private final Path socketPath;

    public ControlClient(Path socketPath) {
        this.socketPath = socketPath;
    }

    public Path socketPath() {
        return socketPath;
    }

    /** Sends one request and returns the reply, successful or not. */
    public Response call(Request request) throws IOException {
        try (SocketChannel ch = connect()) {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch)));
            DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch)));
            Wire.writeFrame(out, request.toWire());
            Object reply = Wire.readFrame(in, Wire.MAX_RESPONSE_BYTES);
            if (reply == Wire.Eof.INSTANCE) {
                throw new IOException("the jdm daemon at " + socketPath + " closed the connection without replying");
            }
            return Response.fromWire(reply);
        } catch (WireException e) {
            throw new IOException("bad reply from the jdm daemon at " + socketPath + ": " + e.getMessage(), e);
        }
    }

    /**
     * Connects, retrying for a moment while the daemon's accept queue is full (a Unix socket's connect fails with
     * EAGAIN then, where a TCP one would wait).
     */
    private SocketChannel connect() throws IOException {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socketPath);
        for (int attempt = 0; ; attempt++) {
            try {
                return SocketChannel.open(address);
            } catch (IOException e) {
                if (attempt >= CONNECT_RETRIES || !"Resource temporarily unavailable".equals(e.getMessage())) {
                    throw new IOException("cannot reach the jdm daemon at " + socketPath + ": " + reason(e), e);
                }
            }
            try {
                Thread.sleep(Math.min(50, 1 + attempt * 5L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while connecting to " + socketPath);
            }
        }
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** Sends one request; an error reply becomes a ControlException. */
    public Response invoke(Request request) throws IOException, ControlException {
        Response r = call(request);
        if (!r.isOk()) {
            throw r.failure();
        }
        return r;
    }

    /** The dm ioctl interface version the daemon implements, e.g. "4.47.0". */
    public String driverVersion() throws IOException, ControlException {
        return invoke(Request.of("version")).string("driver");
    }

    /** Every device with its number and dependencies, in name order. */
    public List<DeviceDeps> list() throws IOException, ControlException {
        return devices(invoke(Request.of("list")), DeviceDeps::fromWire);
    }

    /**
     * Creates a device; with a table, also loads and resumes it, and a failure removes it again (the error's ioctl
     * says which step failed: create, reload or resume).
     *
     * @param uuid null for none
     * @param table null for a device without a table
     * @param cwd the directory relative backing-file paths in the table are resolved against
     */
    public void create(String name, String uuid, boolean readOnly, String table, Path cwd)
            throws IOException, ControlException {
        invoke(Request.of("create", "name", name, "uuid", uuid, "readOnly", readOnly, "table", table,
                "cwd", cwd == null ? null : cwd.toAbsolutePath().toString()));
    }

    /** Loads table as the device's inactive table. */
    public void load(String name, String table, Path cwd) throws IOException, ControlException {
        load(name, table, cwd, false);
    }

    /** Loads table as the device's inactive table, read-only when asked ("dmsetup load --readonly"). */
    public void load(String name, String table, Path cwd, boolean readOnly) throws IOException, ControlException {
        invoke(Request.of("load", "name", name, "table", table, "cwd", cwd.toAbsolutePath().toString(),
                "readOnly", readOnly ? Boolean.TRUE : null));
    }

    /** Removes every device nothing holds open (dmsetup remove_all). */
    public void removeAll() throws IOException, ControlException {
        invoke(Request.of("remove_all"));
    }

    public void clear(String name) throws IOException, ControlException {
        invoke(Request.of("clear", "name", name));
    }

    public void suspend(String name, boolean noflush) throws IOException, ControlException {
        invoke(Request.of("suspend", "name", name, "noflush", noflush));
    }

    public void resume(String name) throws IOException, ControlException {
        invoke(Request.of("resume", "name", name));
    }

    public void remove(String name, boolean force) throws IOException, ControlException {
        invoke(Request.of("remove", "name", name, "force", force));
    }

    /** Info for one device, or for every device when name is null. */
    public List<DeviceInfo> info(String name) throws IOException, ControlException {
        return info(name, false);
    }

    /** Info as the inactive table would give it (target count, read-only), as "dmsetup info --inactive". */
    public List<DeviceInfo> info(String name, boolean inactive) throws IOException, ControlException {
        return devices(invoke(Request.of("info", "name", name, "inactive", inactive ? Boolean.TRUE : null)),
                DeviceInfo::fromWire);
    }

    /** Live tables (TABLE status) of one device or all; only targets of targetType when it is not null. */
    public List<DeviceTable> table(String name, String targetType) throws IOException, ControlException {
        return table(name, targetType, false);
    }

    /** TABLE status of the live table, or of the inactive one ("dmsetup table --inactive"). */
    public List<DeviceTable> table(String name, String targetType, boolean inactive)
            throws IOException, ControlException {
        return devices(invoke(Request.of("table", "name", name, "target", targetType,
                "inactive", inactive ? Boolean.TRUE : null)), DeviceTable::fromWire);
    }

    /** INFO status of one device or all; only targets of targetType when it is not null. */
    public List<DeviceTable> status(String name, String targetType) throws IOException, ControlException {
        return status(name, targetType, false);
    }

    /** INFO status of the live table, or of the inactive one ("dmsetup status --inactive"). */
    public List<DeviceTable> status(String name, String targetType, boolean inactive)
            throws IOException, ControlException {
        return devices(invoke(Request.of("status", "name", name, "target", targetType,
                "inactive", inactive ? Boolean.TRUE : null)), DeviceTable::fromWire);
    }

    public List<DeviceDeps> deps(String name) throws IOException, ControlException {
        return devices(invoke(Request.of("deps", "name", name)), DeviceDeps::fromWire);
    }

    /** Sends a message to the target holding sector; returns its reply text ("" for none). */
    public String message(String name, long sector, String message) throws IOException, ControlException {
        return invoke(Request.of("message", "name", name, "sector", sector, "message", message)).string("response");
    }

    public List<TargetVersion> targets() throws IOException, ControlException {
        Response r = invoke(Request.of("targets"));
        List<TargetVersion> out = new ArrayList<>();
        try {
            for (Object o : r.list("targets")) {
                out.add(TargetVersion.fromWire(o));
            }
        } catch (WireException e) {
            throw badReply(e);
        }
        return out;
    }

    /** Gives a device without a UUID one. */
    public void setUuid(String name, String uuid) throws IOException, ControlException {
        invoke(Request.of("setuuid", "name", name, "uuid", uuid));
    }

    /** Renames a device; its number, UUID and tables stay. */
    public void rename(String name, String newName) throws IOException, ControlException {
        invoke(Request.of("rename", "name", name, "newName", newName));
    }

    /** Waits until the device's event number is no longer eventNr; returns the new number. */
    public int waitEvent(String name, int eventNr) throws IOException, ControlException {
        return (int) invoke(Request.of("wait", "name", name, "eventNr", (long) eventNr)).longValue("eventNr");
    }

    /** The daemon's kernel-log lines, oldest first, as dmesg prints them; clear empties the log after reading. */
    public List<String> dmesg(boolean clear) throws IOException, ControlException {
        List<String> out = new ArrayList<>();
        try {
            for (Object o : invoke(Request.of("dmesg", "clear", clear ? Boolean.TRUE : null)).list("lines")) {
                if (!(o instanceof String line)) {
                    throw new WireException("a log line must be a string, got " + Fields.describe(o));
                }
                out.add(line);
            }
        } catch (WireException e) {
            throw badReply(e);
        }
        return out;
    }

    private interface Decoder<T> {
        T decode(Object v) throws WireException;
    }

    private <T> List<T> devices(Response r, Decoder<T> decoder) throws IOException {
        List<T> out = new ArrayList<>();
        try {
            for (Object o : r.list("devices")) {
                out.add(decoder.decode(o));
            }
        } catch (WireException e) {
            throw badReply(e);
        }
        return out;
    }

    private IOException badReply(WireException e) {
        return new IOException("bad reply from the jdm daemon at " + socketPath + ": " + e.getMessage(), e);
    }
}
