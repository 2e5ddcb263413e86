package jdm.control;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One control request: an operation named like the dm ioctl it stands for and its arguments. On the wire it is a
 * map with the operation under "op" and each argument under its own key; absent arguments are left out.
 */
public record Request(String op, Map<String, Object> args) {
    public Request {
        args = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(args));
    }

    /** A request from key/value pairs; pairs whose value is null are left out. */
    public static Request of(String op, Object... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("keyValues must come in pairs");
        }
        Map<String, Object> args = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            if (keyValues[i + 1] != null) {
                args.put((String) keyValues[i], keyValues[i + 1]);
            }
        }
        return new Request(op, args);
    }

    public Map<String, Object> toWire() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", op);
        m.putAll(args);
        return m;
    }

    public static Request fromWire(Object v) throws WireException {
        Map<String, Object> m = Fields.map(v, "a request");
        String op = Fields.string(m, "op");
        Map<String, Object> args = new LinkedHashMap<>(m);
        args.remove("op");
        return new Request(op, args);
    }

    public String string(String key) throws WireException {
        return Fields.string(args, key);
    }

    public String optString(String key) throws WireException {
        return Fields.optString(args, key);
    }

    public long longValue(String key) throws WireException {
        return Fields.longValue(args, key);
    }

    public boolean bool(String key, boolean dflt) throws WireException {
        return Fields.bool(args, key, dflt);
    }

    public boolean has(String key) {
        return args.get(key) != null;
    }
}
