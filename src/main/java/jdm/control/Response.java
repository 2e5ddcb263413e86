package jdm.control;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One control reply. Success: {@code ok=true} and the operation's fields. Failure: {@code ok=false}, the errno, the
 * ioctl that failed and the reason ("error").
 */
public record Response(Map<String, Object> fields) {
    public Response {
        fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    public static Response ok(Map<String, Object> body) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", true);
        m.putAll(body);
        return new Response(m);
    }

    public static Response error(int errno, String ioctl, String message) {
        return error(errno, ioctl, message, null);
    }

    /** A failure reply; device is the device number the failed ioctl addressed, or null. */
    public static Response error(int errno, String ioctl, String message, DevNo device) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", false);
        m.put("errno", (long) errno);
        m.put("ioctl", ioctl);
        m.put("error", bounded(message));
        if (device != null) {
            m.put("dev", device.toWire());
        }
        return new Response(m);
    }

    /** Longest error message sent back: messages may quote client input (a name, a table line) of any size. */
    static final int MAX_MESSAGE = 4096;

    /** The message, cut to {@link #MAX_MESSAGE} characters with a note of its full length when longer. */
    static String bounded(String message) {
        if (message == null || message.length() <= MAX_MESSAGE) {
            return message;
        }
        int cut = Character.isHighSurrogate(message.charAt(MAX_MESSAGE - 1)) ? MAX_MESSAGE - 1 : MAX_MESSAGE;
        return message.substring(0, cut) + "... (" + message.length() + " characters)";
    }

    public static Response error(ControlException e) {
        return error(e.errno(), e.ioctl(), e.getMessage(), e.device());
    }

    public boolean isOk() {
        return Boolean.TRUE.equals(fields.get("ok"));
    }

    /** The failure as an exception; only for a response that is not ok. */
    public ControlException failure() throws WireException {
        return new ControlException(Fields.intValue(fields, "errno"), Fields.string(fields, "ioctl"),
                Fields.string(fields, "error"), fields.get("dev") == null ? null : DevNo.fromWire(fields.get("dev")));
    }

    public Object get(String key) {
        return fields.get(key);
    }

    public String string(String key) throws WireException {
        return Fields.string(fields, key);
    }

    public long longValue(String key) throws WireException {
        return Fields.longValue(fields, key);
    }

    public java.util.List<?> list(String key) throws WireException {
        return Fields.list(fields, key);
    }

    public Map<String, Object> toWire() {
        return fields;
    }

    public static Response fromWire(Object v) throws WireException {
        Map<String, Object> m = Fields.map(v, "a response");
        if (!(m.get("ok") instanceof Boolean)) {
            throw new WireException("a response needs a boolean \"ok\" field");
        }
        return new Response(m);
    }
}
