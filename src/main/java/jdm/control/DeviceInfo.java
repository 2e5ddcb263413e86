package jdm.control;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the info ioctl reports for a mapped device (the kernel's __dev_status): the fields of "dmsetup info".
 *
 * @param uuid null when the device has none
 * @param targetCount targets in the live table (0 without one)
 * @param readAheadSectors the device's read-ahead, as BLKRAGET reports it
 */
public record DeviceInfo(String name, String uuid, DevNo devNo, boolean suspended, boolean readOnly,
                         boolean liveTable, boolean inactiveTable, int openCount, int eventNr, int targetCount,
                         int readAheadSectors) {
    Map<String, Object> toWire() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("uuid", uuid);
        m.put("dev", devNo.toWire());
        m.put("suspended", suspended);
        m.put("readOnly", readOnly);
        m.put("liveTable", liveTable);
        m.put("inactiveTable", inactiveTable);
        m.put("openCount", (long) openCount);
        m.put("eventNr", (long) eventNr);
        m.put("targetCount", (long) targetCount);
        m.put("readAhead", (long) readAheadSectors);
        return m;
    }

    static DeviceInfo fromWire(Object v) throws WireException {
        Map<String, Object> m = Fields.map(v, "device info");
        return new DeviceInfo(Fields.string(m, "name"), Fields.optString(m, "uuid"), DevNo.fromWire(m.get("dev")),
                Fields.bool(m, "suspended", false), Fields.bool(m, "readOnly", false),
                Fields.bool(m, "liveTable", false), Fields.bool(m, "inactiveTable", false),
                Fields.intValue(m, "openCount"), Fields.intValue(m, "eventNr"), Fields.intValue(m, "targetCount"),
                Fields.intValue(m, "readAhead"));
    }
}
