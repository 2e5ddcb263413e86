package jdm.dm;

import java.util.EnumSet;
import java.util.Set;

/**
 * A registered target type, the kernel's {@code struct target_type}: its name in tables, its version (as
 * {@code dmsetup targets} prints it), its features and its constructor.
 */
public record TargetType(String name, int[] version, Set<Feature> features, Constructor constructor) {
    /**
     * What a type demands of the table it is in, the kernel's DM_TARGET_* feature bits. The table checks them,
     * with the kernel's messages; targets never do.
     */
    public enum Feature {
        /** Must be the table's only target (DM_TARGET_SINGLETON). */
        SINGLETON,
        /** Cannot be in a read-only table (DM_TARGET_ALWAYS_WRITEABLE). */
        ALWAYS_WRITEABLE,
        /** Not mixed with other types, and once live not replaced by another type (DM_TARGET_IMMUTABLE). */
        IMMUTABLE,
        /** May replace an immutable target (DM_TARGET_WILDCARD: the error target). */
        WILDCARD
    }

    /** Builds a target from its table words; throws with the kernel's ti->error sentence. */
    @FunctionalInterface
    public interface Constructor {
        Target create(TargetArgs args) throws DmException;
    }

    public TargetType {
        features = features.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(features));
    }

    /** A type with no features. */
    public TargetType(String name, int[] version, Constructor constructor) {
        this(name, version, Set.of(), constructor);
    }

    public boolean has(Feature f) {
        return features.contains(f);
    }

    /** "v1.4.0". */
    public String versionString() {
        return "v" + version[0] + "." + version[1] + "." + version[2];
    }
}
