package jdm.control;

import java.util.List;
import java.util.Map;

/** Typed reads from decoded {@link Wire} maps; a missing or mistyped field is a {@link WireException} naming it. */
final class Fields {
    private Fields() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object v, String what) throws WireException {
        if (v instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new WireException(what + " must be a map, got " + describe(v));
    }

    static List<?> list(Map<String, Object> m, String key) throws WireException {
        Object v = m.get(key);
        if (v instanceof List<?> l) {
            return l;
        }
        throw new WireException("field \"" + key + "\" must be a list, got " + describe(v));
    }

    static String string(Map<String, Object> m, String key) throws WireException {
        Object v = m.get(key);
        if (v instanceof String s) {
            return s;
        }
        throw new WireException("field \"" + key + "\" must be a string, got " + describe(v));
    }

    /** A string field that may be absent or null. */
    static String optString(Map<String, Object> m, String key) throws WireException {
        Object v = m.get(key);
        return v == null ? null : string(m, key);
    }

    static long longValue(Map<String, Object> m, String key) throws WireException {
        Object v = m.get(key);
        if (v instanceof Long l) {
            return l;
        }
        throw new WireException("field \"" + key + "\" must be an integer, got " + describe(v));
    }

    static int intValue(Map<String, Object> m, String key) throws WireException {
        long l = longValue(m, key);
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw new WireException("field \"" + key + "\" is out of range: " + l);
        }
        return (int) l;
    }

    static boolean bool(Map<String, Object> m, String key, boolean dflt) throws WireException {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new WireException("field \"" + key + "\" must be a boolean, got " + describe(v));
    }

    static String describe(Object v) {
        return switch (v) {
            case null -> "nothing";
            case String s -> "a string";
            case Long l -> "an integer";
            case Boolean b -> "a boolean";
            case List<?> l -> "a list";
            case Map<?, ?> m -> "a map";
            default -> v.getClass().getSimpleName();
        };
    }
}
