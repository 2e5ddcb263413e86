package jdm.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A mapped device's number and the devices its live table uses, each once, in the kernel's order (the table's
 * device list, newest first): what the names and deps ioctls report, and what "dmsetup ls --tree" is drawn from.
 */
public record DeviceDeps(String name, DevNo devNo, List<DevNo> deps) {
    public DeviceDeps {
        deps = List.copyOf(deps);
    }

    Map<String, Object> toWire() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("dev", devNo.toWire());
        List<Object> d = new ArrayList<>();
        for (DevNo n : deps) {
            d.add(n.toWire());
        }
        m.put("deps", d);
        return m;
    }

    static DeviceDeps fromWire(Object v) throws WireException {
        Map<String, Object> m = Fields.map(v, "device deps");
        List<DevNo> deps = new ArrayList<>();
        for (Object o : Fields.list(m, "deps")) {
            deps.add(DevNo.fromWire(o));
        }
        return new DeviceDeps(Fields.string(m, "name"), DevNo.fromWire(m.get("dev")), deps);
    }
}
