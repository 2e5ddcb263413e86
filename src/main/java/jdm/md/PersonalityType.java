package jdm.md;

import java.util.List;

/**
 * A registered md personality (the kernel's {@code struct md_personality} minus the per-array methods): its name
 * and the levels it serves (raid456 serves 4, 5 and 6), and {@code run}, which builds the running personality of
 * one array from the array's geometry and members or refuses with the kernel's reason.
 */
public record PersonalityType(String name, List<Integer> levels, Factory factory) {
    /** pers->run: checks the geometry and members and sets the personality up; throws with the kernel's reason. */
    @FunctionalInterface
    public interface Factory {
        Personality run(Mddev mddev) throws MdException;
    }

    public PersonalityType {
        levels = List.copyOf(levels);
    }

    public PersonalityType(String name, int level, Factory factory) {
        this(name, List.of(level), factory);
    }
}
