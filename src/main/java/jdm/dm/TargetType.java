package jdm.dm;

/**
 * A registered target type, the kernel's {@code struct target_type}: its name in tables, its version (as
 * {@code dmsetup targets} prints it) and its constructor.
 */
public record TargetType(String name, int[] version, Constructor constructor) {
    /** Builds a target from its table words; throws with the kernel's ti->error sentence. */
    @FunctionalInterface
    public interface Constructor {
        Target create(TargetArgs args) throws DmException;
    }

    /** "v1.4.0". */
    public String versionString() {
        return "v" + version[0] + "." + version[1] + "." + version[2];
    }
}
