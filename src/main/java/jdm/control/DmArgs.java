package jdm.control;

import java.nio.file.Path;

/**
 * The arguments of the dm control operations, read from a {@link Request} once at the boundary: a missing or
 * mistyped field is a {@link WireException} naming it, so the operations themselves work with checked, typed
 * values. Absent optional fields get dmsetup's defaults (no name: every device; no cwd: the daemon's directory).
 */
final class DmArgs {
    private DmArgs() {
    }

    /** One device by name: clear, resume. */
    record Device(String name) {
        static Device from(Request r) throws WireException {
            return new Device(r.string("name"));
        }
    }

    /** create: with a table, also reload and resume; cwd resolves relative backing-file paths. */
    record Create(String name, String uuid, boolean readOnly, String table, Path cwd) {
        static Create from(Request r) throws WireException {
            String table = r.optString("table");
            return new Create(r.string("name"), r.optString("uuid"), r.bool("readOnly", false), table,
                    table == null ? null : DmArgs.cwd(r));
        }
    }

    /** load (the reload ioctl). */
    record Load(String name, String table, Path cwd, boolean readOnly) {
        static Load from(Request r) throws WireException {
            return new Load(r.string("name"), r.string("table"), DmArgs.cwd(r), r.bool("readOnly", false));
        }
    }

    record Suspend(String name, boolean noflush) {
        static Suspend from(Request r) throws WireException {
            return new Suspend(r.string("name"), r.bool("noflush", false));
        }
    }

    record Remove(String name, boolean force) {
        static Remove from(Request r) throws WireException {
            return new Remove(r.string("name"), r.bool("force", false));
        }
    }

    /** info, table, status, deps: one device or (name null) all; only targets of one type; the inactive table. */
    record Query(String name, String targetType, boolean inactive) {
        static Query from(Request r) throws WireException {
            return new Query(r.optString("name"), r.optString("target"), r.bool("inactive", false));
        }
    }

    record Message(String name, long sector, String message) {
        static Message from(Request r) throws WireException {
            return new Message(r.string("name"), r.longValue("sector"), r.string("message"));
        }
    }

    record SetUuid(String name, String uuid) {
        static SetUuid from(Request r) throws WireException {
            return new SetUuid(r.string("name"), r.string("uuid"));
        }
    }

    record Rename(String name, String newName) {
        static Rename from(Request r) throws WireException {
            return new Rename(r.string("name"), r.string("newName"));
        }
    }

    /** wait: until the event number is not eventNr; timeoutMillis &lt; 0 waits without bound. */
    record Wait(String name, int eventNr, long timeoutMillis) {
        static Wait from(Request r) throws WireException {
            long timeout = r.has("timeoutMillis") ? Math.max(0, Math.min(r.longValue("timeoutMillis"),
                    Long.MAX_VALUE / 2_000_000)) : -1;
            return new Wait(r.string("name"), (int) r.longValue("eventNr"), timeout);
        }
    }

    /** The caller's working directory: absolute, else the request is refused; absent: the daemon's own. */
    private static Path cwd(Request r) throws WireException {
        String cwd = r.optString("cwd");
        if (cwd == null) {
            return Path.of("").toAbsolutePath();
        }
        Path p = Path.of(cwd);
        if (!p.isAbsolute()) {
            throw new WireException("cwd must be an absolute path, got \"" + cwd + "\"");
        }
        return p;
    }
}
