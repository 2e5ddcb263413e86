package jdm.dm;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.LinkedHashMap;

/** The registered target types by name, in registration order: dm_register_target and dm_get_target_type. */
public final class TargetRegistry {
    private final Map<String, TargetType> types = Collections.synchronizedMap(new LinkedHashMap<>());

    /** Registers a type; a name may be registered once (the kernel's EEXIST). */
    public void register(TargetType type) {
        if (types.putIfAbsent(type.name(), type) != null) {
            throw new IllegalStateException("target type registered twice: " + type.name());
        }
    }

    public TargetType find(String name) {
        return types.get(name);
    }

    public Collection<TargetType> all() {
        synchronized (types) {
            return java.util.List.copyOf(types.values());
        }
    }
}
