package jdm.control;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The md control operations of a jdm daemon (md_create, md_assemble, md_stop, md_manage, md_grow, md_detail,
 * md_list, md_attr), as jdm mdadm, jdm mdstat and jdm md attr send them. Replies are the daemon's maps; an error
 * reply becomes a {@link ControlException} carrying the errno and the message mdadm or the kernel would give.
 */
public final class MdClient {
    private final ControlClient client;

    public MdClient(ControlClient client) {
        this.client = client;
    }

    public MdClient(Path socket) {
        this(new ControlClient(socket));
    }

    /** Sends one md operation with its arguments (null values left out); returns the reply's fields. */
    public Map<String, Object> call(String op, Map<String, Object> args) throws IOException, ControlException {
        return client.invoke(new Request(op, withoutNulls(args))).fields();
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> args) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        args.forEach((k, v) -> {
            if (v != null) {
                m.put(k, v);
            }
        });
        return m;
    }

    /** md_detail: what mdadm --detail prints, as fields. */
    public Map<String, Object> detail(String name) throws IOException, ControlException {
        return call("md_detail", Map.of("name", name));
    }

    /** md_list: every array, for /proc/mdstat. */
    public Map<String, Object> list() throws IOException, ControlException {
        return call("md_list", Map.of());
    }

    /** md_attr read: the attribute's value as sysfs shows it (without the newline). */
    public String readAttr(String array, String attr) throws IOException, ControlException {
        Map<String, Object> args = new java.util.LinkedHashMap<>();
        args.put("name", array);
        args.put("attr", attr);
        return stringOf(call("md_attr", args).get("value"));
    }

    /** md_attr write: stores value as a write to the sysfs file would. */
    public void writeAttr(String array, String attr, String value) throws IOException, ControlException {
        Map<String, Object> args = new java.util.LinkedHashMap<>();
        args.put("name", array);
        args.put("attr", attr);
        args.put("value", value);
        call("md_attr", args);
    }

    /** md_attr listing: an array's attribute names (the request without attr), when the daemon lists them. */
    public List<String> attrNames(String array) throws IOException, ControlException {
        Map<String, Object> args = new java.util.LinkedHashMap<>();
        args.put("name", array);
        Object names = call("md_attr", args).get("names");
        List<String> out = new ArrayList<>();
        if (names instanceof List<?> l) {
            for (Object o : l) {
                out.add(String.valueOf(o));
            }
        }
        return out;
    }

    private static String stringOf(Object v) {
        return v == null ? "" : String.valueOf(v);
    }
}
