package jdm.md.layout;

/**
 * The raid5/raid6 layouts md numbers ALGORITHM_* (drivers/md/raid5.h), with mdadm's names.
 * raid4 ignores the layout (parity on the last member).
 */
public enum ParityAlgorithm {
    LEFT_ASYMMETRIC(0, "left-asymmetric"),
    RIGHT_ASYMMETRIC(1, "right-asymmetric"),
    LEFT_SYMMETRIC(2, "left-symmetric"),
    RIGHT_SYMMETRIC(3, "right-symmetric"),
    PARITY_0(4, "parity-first"),
    PARITY_N(5, "parity-last");

    private final int number;
    private final String mdadmName;

    ParityAlgorithm(int number, String mdadmName) {
        this.number = number;
        this.mdadmName = mdadmName;
    }

    /** md's layout number (the superblock's and sysfs's {@code layout}). */
    public int number() {
        return number;
    }

    /** mdadm's --layout name. */
    public String mdadmName() {
        return mdadmName;
    }

    public static ParityAlgorithm ofNumber(int n) {
        for (ParityAlgorithm a : values()) {
            if (a.number == n) {
                return a;
            }
        }
        throw new IllegalArgumentException("unsupported raid5/6 layout " + n);
    }

    /** By mdadm's name, also its short forms (ls, ra, ...). */
    public static ParityAlgorithm ofName(String name) {
        String n = switch (name) {
            case "la" -> "left-asymmetric";
            case "ra" -> "right-asymmetric";
            case "ls" -> "left-symmetric";
            case "rs" -> "right-symmetric";
            default -> name;
        };
        for (ParityAlgorithm a : values()) {
            if (a.mdadmName.equals(n)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown raid5/6 layout " + name);
    }
}
