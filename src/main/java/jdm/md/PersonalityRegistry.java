package jdm.md;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The registered personalities by level: register_md_personality and find_pers. */
public final class PersonalityRegistry {
    private final Map<Integer, PersonalityType> byLevel = new LinkedHashMap<>();

    /** Registers a personality for each of its levels; a level may be registered once. */
    public synchronized void register(PersonalityType type) {
        for (int level : type.levels()) {
            if (byLevel.containsKey(level)) {
                throw new IllegalStateException("md personality for level " + level + " registered twice");
            }
        }
        for (int level : type.levels()) {
            byLevel.put(level, type);
        }
    }

    /** The personality serving level, or null. */
    public synchronized PersonalityType find(int level) {
        return byLevel.get(level);
    }

    public synchronized Collection<PersonalityType> all() {
        return List.copyOf(new java.util.LinkedHashSet<>(byLevel.values()));
    }
}
