package jdm.control;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One target of a table as the table and status ioctls return it: start, length, type and the target's status
 * text for the requested kind (TABLE: its parameters, INFO: its state), empty when it reports nothing.
 */
public record TargetLine(long startSector, long lengthSectors, String type, String params) {
    Map<String, Object> toWire() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("start", startSector);
        m.put("length", lengthSectors);
        m.put("type", type);
        m.put("params", params);
        return m;
    }

    static TargetLine fromWire(Object v) throws WireException {
        Map<String, Object> m = Fields.map(v, "a target line");
        return new TargetLine(Fields.longValue(m, "start"), Fields.longValue(m, "length"), Fields.string(m, "type"),
                Fields.string(m, "params"));
    }
}
