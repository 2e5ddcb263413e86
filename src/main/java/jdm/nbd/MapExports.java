package jdm.nbd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import jdm.block.BlockDevice;

/**
 * A fixed set of exports: name → block device, with optional read-only override and description, and an optional
 * default for the empty name. Opening never fails for a known name; the devices stay owned by the caller (closing an
 * export does not close its device). Counts open exports per name, so tests and callers can see connections release
 * them.
 */
public final class MapExports implements Exports {
    private record Entry(String name, BlockDevice device, boolean readOnly, String description,
            AtomicInteger opens) {
    }

    private final Map<String, Entry> entries;
    private final String defaultName;

    private MapExports(Map<String, Entry> entries, String defaultName) {
        this.entries = entries;
        this.defaultName = defaultName;
    }

    /** One export, which is also the default. */
    public static MapExports of(String name, BlockDevice device) {
        return builder().add(name, device).defaultExport(name).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    @Override
    public String description(String name) {
        Entry e = entries.get(name);
        return e == null ? null : e.description;
    }

    @Override
    public Export open(String name) throws ExportUnavailableException {
        String key = name.isEmpty() && defaultName != null ? defaultName : name;
        Entry e = entries.get(key);
        if (e == null) {
            throw new ExportUnavailableException(name.isEmpty() ? "no default export" : "no export named '" + name + "'");
        }
        e.opens.incrementAndGet();
        return new Export() {
            private final AtomicInteger closed = new AtomicInteger();

            @Override
            public String name() {
                return e.name;
            }

            @Override
            public BlockDevice device() {
                return e.device;
            }

            @Override
            public boolean readOnly() {
                return e.readOnly;
            }

            @Override
            public String description() {
                return e.description;
            }

            @Override
            public void close() {
                if (closed.getAndIncrement() == 0) {
                    e.opens.decrementAndGet();
                }
            }
        };
    }

    /** How many opened exports of this name are not closed yet. */
    public int openCount(String name) {
        Entry e = entries.get(name);
        return e == null ? 0 : e.opens.get();
    }

    /** Builds a {@link MapExports}; exports are listed in the order added. */
    public static final class Builder {
        private final Map<String, Entry> entries = new LinkedHashMap<>();
        private String defaultName;

        /** Adds a device, read-only if the device is. */
        public Builder add(String name, BlockDevice device) {
            return add(name, device, device.readOnly(), null);
        }

        /** Adds a device; readOnly may restrict a writable device; description may be null. */
        public Builder add(String name, BlockDevice device, boolean readOnly, String description) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(device, "device");
            if (entries.containsKey(name)) {
                throw new IllegalArgumentException("duplicate export " + name);
            }
            entries.put(name, new Entry(name, device, readOnly || device.readOnly(), description,
                    new AtomicInteger()));
            return this;
        }

        /** The export the empty name opens. */
        public Builder defaultExport(String name) {
            this.defaultName = name;
            return this;
        }

        public MapExports build() {
            if (defaultName != null && !entries.containsKey(defaultName)) {
                throw new IllegalArgumentException("default export " + defaultName + " is not added");
            }
            return new MapExports(new LinkedHashMap<>(entries), defaultName);
        }
    }

    @Override
    public String toString() {
        return "MapExports" + new ArrayList<>(entries.keySet());
    }
}
