package jdm.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A device's live table as the table or status ioctl returns it; no targets when it has no live table. */
public record DeviceTable(String name, List<TargetLine> targets) {
    public DeviceTable {
        targets = List.copyOf(targets);
    }

    Map<String, Object> toWire() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        List<Object> t = new ArrayList<>();
        for (TargetLine l : targets) {
            t.add(l.toWire());
        }
        m.put("targets", t);
        return m;
    }

    static DeviceTable fromWire(Object v) throws WireException {
        Map<String, Object> m = Fields.map(v, "a device table");
        List<TargetLine> targets = new ArrayList<>();
        for (Object o : Fields.list(m, "targets")) {
            targets.add(TargetLine.fromWire(o));
        }
        return new DeviceTable(Fields.string(m, "name"), targets);
    }
}
