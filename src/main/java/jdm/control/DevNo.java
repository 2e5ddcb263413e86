package jdm.control;

import java.util.LinkedHashMap;
import java.util.Map;

/** A device number as control replies carry it: 253:N for mapped devices, 7:N for backing files. */
public record DevNo(int major, int minor) {
    Map<String, Object> toWire() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("major", (long) major);
        m.put("minor", (long) minor);
        return m;
    }

    static DevNo fromWire(Object v) throws WireException {
        Map<String, Object> m = Fields.map(v, "a device number");
        return new DevNo(Fields.intValue(m, "major"), Fields.intValue(m, "minor"));
    }

    /** "major:minor". */
    @Override
    public String toString() {
        return major + ":" + minor;
    }
}
