package jdm.dm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import jdm.block.QueueLimits;

/**
 * A device-mapper table: targets covering {@code [0, size)} without gaps, in order, and the devices they hold
 * (drivers/md/dm-table.c). {@link #find} locates the target for a sector by binary search over the targets' last
 * sectors ("highs"), the kernel's btree index in O(log n). A table is immutable once built; {@link #release()}
 * destroys its targets and releases their devices.
 */
public final class Table {
    /** One line of the table with the target built from it. */
    public record Entry(long beginSector, long lengthSectors, TargetType type, Target target) {
        public long endSector() {
            return beginSector + lengthSectors;
        }
    }

    private final Entry[] entries;
    private final long[] highs;
    private final List<DmDev> devices;
    private final DeviceResolver resolver;
    private final boolean readOnly;
    private final QueueLimits limits;

    private Table(Entry[] entries, List<DmDev> devices, DeviceResolver resolver, boolean readOnly,
                  QueueLimits limits) {
        this.limits = limits;
        this.entries = entries;
        this.devices = devices;
        this.resolver = resolver;
        this.readOnly = readOnly;
        this.highs = new long[entries.length];
        for (int i = 0; i < entries.length; i++) {
            highs[i] = entries[i].endSector() - 1;
        }
    }

    /**
     * Builds a table for {@code owner} from parsed lines; the whole table is rejected on the first bad line, with
     * every device it had acquired released again. Errors read "line N: TYPE: ti->error", as the kernel's
     * "table: 253:0: TYPE: ti->error" log line, plus the line.
     */
    public static Table build(MappedDevice owner, List<TableLine> lines, TargetRegistry registry,
                              DeviceResolver resolver, boolean readOnly) throws DmException {
        Builder b = new Builder(owner, resolver, readOnly);
        try {
            List<Entry> entries = new ArrayList<>();
            long next = 0;
            TargetType singleton = null;
            for (TableLine line : lines) {
                String where = "line " + line.lineNo() + ": ";
                // the checks in dm_table_add_target's order, so a line wrong in several ways fails as there
                if (singleton != null) {
                    throw DmException.invalid(where + "target type " + singleton.name()
                            + " must appear alone in table");
                }
                if (line.lengthSectors() == 0) {
                    throw DmException.invalid(where + "zero-length target");
                }
                TargetType type = registry.find(line.type());
                if (type == null) {
                    throw DmException.invalid(where + line.type() + ": unknown target type");
                }
                checkFeatures(type, entries, readOnly, where);
                if (type.has(TargetType.Feature.SINGLETON)) {
                    singleton = type;
                }
                if (line.startSector() != next) {
                    throw DmException.invalid(where + "Gap in table: target starts at sector " + line.startSector()
                            + " but the table so far ends at " + next
                            + (line.startSector() < next ? " (targets overlap)" : " (sectors left unmapped)"));
                }
                if (Long.MAX_VALUE - line.startSector() < line.lengthSectors()) {
                    throw DmException.invalid(where + "target end overflows");
                }
                Target t;
                try {
                    t = type.constructor().create(
                            new TargetArgs(line.argv(), line.startSector(), line.lengthSectors(), b));
                } catch (DmException e) {
                    throw new DmException(e.errno(), where + type.name() + ": " + e.getMessage());
                }
                Entry entry = new Entry(line.startSector(), line.lengthSectors(), type, t);
                entries.add(entry);
                checkDeviceAreas(entry, where);
                next = entry.endSector();
            }
            if (entries.isEmpty()) {
                throw DmException.invalid("empty table: no targets");
            }
            Entry[] all = entries.toArray(Entry[]::new);
            return new Table(all, List.copyOf(b.devices), resolver, readOnly, calculateLimits(all));
        } catch (DmException | RuntimeException e) {
            b.releaseAll();
            throw e;
        }
    }

    /** The type features dm_table_add_target checks, with its ti->error sentences. */
    private static void checkFeatures(TargetType type, List<Entry> before, boolean readOnly, String where)
            throws DmException {
        String prefix = where + type.name() + ": ";
        if (type.has(TargetType.Feature.SINGLETON) && !before.isEmpty()) {
            throw DmException.invalid(prefix + "singleton target type must appear alone in table");
        }
        if (type.has(TargetType.Feature.ALWAYS_WRITEABLE) && readOnly) {
            throw DmException.invalid(prefix + "target type may not be included in a read-only table");
        }
        TargetType immutable = before.isEmpty() ? null : immutableType(before);
        if ((immutable != null && immutable != type)
                || (type.has(TargetType.Feature.IMMUTABLE) && !before.isEmpty() && before.getFirst().type() != type)) {
            throw DmException.invalid(prefix + "immutable target type cannot be mixed with other target types");
        }
    }

    private static TargetType immutableType(List<Entry> entries) {
        for (Entry e : entries) {
            if (e.type().has(TargetType.Feature.IMMUTABLE)) {
                return e.type();
            }
        }
        return null;
    }

    /** The table's immutable target type, or null: dm_table_get_immutable_target_type. */
    public TargetType immutableType() {
        return immutableType(List.of(entries));
    }

    /** True when a target of the table may replace an immutable one: dm_table_get_wildcard_target. */
    public boolean hasWildcard() {
        for (Entry e : entries) {
            if (e.type().has(TargetType.Feature.WILDCARD)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The device's limits, as dm_calculate_queue_limits: for each target, its devices' limits stacked (through
     * iterateDevices), then its io_hints; the targets' results stacked into the table's.
     */
    private static QueueLimits calculateLimits(Entry[] entries) throws DmException {
        QueueLimits.Builder table = QueueLimits.STACKING.builder();
        for (Entry e : entries) {
            QueueLimits.Builder target = QueueLimits.STACKING.builder();
            e.target().iterateDevices((dev, start, len) -> target.stack(dev.device().limits()));
            e.target().ioHints(target);
            table.stack(target.build());
        }
        return table.build();
    }

    /** The kernel's device_area_is_invalid: every area a target maps to lies inside its device. */
    private static void checkDeviceAreas(Entry e, String where) throws DmException {
        e.target().iterateDevices((dev, start, len) -> {
            long size = dev.device().sizeSectors();
            if (start < 0 || len < 0 || start > size || len > size - start) {
                throw DmException.invalid(where + e.type().name() + ": " + dev.name() + " (" + dev.device().name()
                        + ") too small for target: start=" + start + ", len=" + len + ", dev_size=" + size);
            }
        });
    }

    /** Index of the target holding sector; the sector must be below {@link #sizeSectors()}. */
    public int find(long sector) {
        int i = Arrays.binarySearch(highs, sector);
        return i >= 0 ? i : -i - 1;
    }

    public Entry entry(int i) {
        return entries[i];
    }

    public int size() {
        return entries.length;
    }

    public long sizeSectors() {
        return highs[highs.length - 1] + 1;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** The stacked queue limits of the table's targets and devices. */
    public QueueLimits limits() {
        return limits;
    }

    /** The devices the table holds, each once, in acquisition order (dmsetup deps). */
    public List<DmDev> devices() {
        return devices;
    }

    /** One line per target: "start length type params", the lines of dmsetup table / status. */
    public List<String> statusLines(StatusType type) {
        List<String> out = new ArrayList<>(entries.length);
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            sb.setLength(0);
            sb.append(e.beginSector()).append(' ').append(e.lengthSectors()).append(' ').append(e.type().name())
                    .append(' ');
            e.target().status(type, sb);
            out.add(sb.toString());
        }
        return out;
    }

    void presuspend() {
        for (Entry e : entries) {
            e.target().presuspend();
        }
    }

    void postsuspend() {
        for (Entry e : entries) {
            e.target().postsuspend();
        }
    }

    /** Asks every target whether it may resume (commit metadata...); the first refusal is thrown. */
    void preresume() throws DmException {
        for (Entry e : entries) {
            e.target().preresume();
        }
    }

    void resumeTargets() {
        for (Entry e : entries) {
            e.target().resume();
        }
    }

    /** Destroys the targets and releases every device the table acquired. */
    public void release() {
        for (Entry e : entries) {
            e.target().close();
        }
        for (DmDev d : devices) {
            resolver.release(d);
        }
    }

    /** Collects what the targets of a table being built acquire, so a failed build can give it all back. */
    static final class Builder {
        private final MappedDevice owner;
        private final DeviceResolver resolver;
        private final boolean readOnly;
        private final List<DmDev> devices = new ArrayList<>();

        Builder(MappedDevice owner, DeviceResolver resolver, boolean readOnly) {
            this.owner = owner;
            this.resolver = resolver;
            this.readOnly = readOnly;
        }

        boolean readOnly() {
            return readOnly;
        }

        DmDev acquire(String word, String error) throws DmException {
            try {
                DmDev d = resolver.acquire(word, readOnly, owner);
                for (DmDev held : devices) {
                    if (held.device() == d.device()) { // the table already holds it: open it once, as the kernel
                        resolver.release(d);
                        return held;
                    }
                }
                devices.add(d);
                return d;
            } catch (DmException e) {
                throw new DmException(e.errno(), error + " (" + word + ": " + e.getMessage() + ")");
            }
        }

        Runnable eventTrigger() {
            return owner::event;
        }

        Consumer<String> kernelLog() {
            return resolver::kernelLog;
        }

        void releaseAll() {
            for (DmDev d : devices) {
                resolver.release(d);
            }
            devices.clear();
        }
    }
}
