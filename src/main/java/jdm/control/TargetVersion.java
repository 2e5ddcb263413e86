package jdm.control;

import java.util.LinkedHashMap;
import java.util.Map;

/** A registered target type and its version, as the list_versions ioctl reports it. */
public record TargetVersion(String name, int major, int minor, int patch) {
    Map<String, Object> toWire() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("major", (long) major);
        m.put("minor", (long) minor);
        m.put("patch", (long) patch);
        return m;
    }

    static TargetVersion fromWire(Object v) throws WireException {
        Map<String, Object> m = Fields.map(v, "a target version");
        return new TargetVersion(Fields.string(m, "name"), Fields.intValue(m, "major"), Fields.intValue(m, "minor"),
                Fields.intValue(m, "patch"));
    }
}
