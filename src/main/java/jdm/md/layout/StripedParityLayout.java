package jdm.md.layout;

/**
 * raid4, raid5 and raid6 as raid5.c's raid5_compute_sector: the array is cut into chunks, {@code dataDisks} chunks
 * make a stripe, stripe s takes chunk row s of every member; which member holds P (and Q) and in which order the
 * data chunks follow depends on the level and layout. Also gives the order of the data members in the Q syndrome
 * (raid6_d0 / raid6_idx_to_slot), which is what makes Q's bytes.
 */
public final class StripedParityLayout {
    /** Where an array sector lives and the parity members of its stripe (q is -1 below raid6). */
    public record Location(long stripe, int dataIndex, int member, long memberSector, int p, int q) {
    }

    private final int level;
    private final int disks;
    private final int dataDisks;
    private final int chunkSectors;
    private final ParityAlgorithm algorithm;
    private final long memberSectors;

    /**
     * @param level 4, 5 or 6
     * @param algorithm the raid5/6 layout (ignored for raid4)
     * @param memberSectors each member's data-area size; rounded down to a chunk multiple
     */
    public StripedParityLayout(int level, int disks, int chunkSectors, ParityAlgorithm algorithm, long memberSectors) {
        Geometry.checkChunk(chunkSectors);
        int parity = switch (level) {
            case 4, 5 -> 1;
            case 6 -> 2;
            default -> throw new IllegalArgumentException("not a parity level: " + level);
        };
        if (disks < (level == 6 ? 4 : 2)) {
            throw new IllegalArgumentException("raid" + level + " needs more than " + disks + " members");
        }
        this.level = level;
        this.disks = disks;
        this.dataDisks = disks - parity;
        this.chunkSectors = chunkSectors;
        this.algorithm = algorithm;
        this.memberSectors = memberSectors / chunkSectors * chunkSectors;
    }

    public int level() {
        return level;
    }

    public int disks() {
        return disks;
    }

    public int dataDisks() {
        return dataDisks;
    }

    public int chunkSectors() {
        return chunkSectors;
    }

    /** Number of stripes (chunk rows). */
    public long stripes() {
        return memberSectors / chunkSectors;
    }

    public long arraySectors() {
        return memberSectors * dataDisks;
    }

    public Location map(long arraySector) {
        Geometry.checkSector(arraySector, arraySectors());
        long chunk = arraySector / chunkSectors;
        long inChunk = arraySector % chunkSectors;
        long stripe = chunk / dataDisks;
        int dataIndex = (int) (chunk % dataDisks);
        int p = parityMember(stripe);
        return new Location(stripe, dataIndex, dataMember(stripe, dataIndex), stripe * chunkSectors + inChunk, p,
                qMember(stripe));
    }

    /** The member holding P in a stripe. */
    public int parityMember(long stripe) {
        int rot = (int) (stripe % disks);
        if (level == 4) {
            return dataDisks;
        }
        if (level == 5) {
            return switch (algorithm) {
                case LEFT_ASYMMETRIC, LEFT_SYMMETRIC -> dataDisks - rot;
                case RIGHT_ASYMMETRIC, RIGHT_SYMMETRIC -> rot;
                case PARITY_0 -> 0;
                case PARITY_N -> dataDisks;
            };
        }
        return switch (algorithm) {
            case LEFT_ASYMMETRIC, LEFT_SYMMETRIC -> disks - 1 - rot;
            case RIGHT_ASYMMETRIC, RIGHT_SYMMETRIC -> rot;
            case PARITY_0 -> 0;
            case PARITY_N -> dataDisks;
        };
    }

    /** The member holding Q in a stripe; -1 below raid6. */
    public int qMember(long stripe) {
        if (level != 6) {
            return -1;
        }
        int p = parityMember(stripe);
        return switch (algorithm) {
            case LEFT_ASYMMETRIC, RIGHT_ASYMMETRIC -> p == disks - 1 ? 0 : p + 1;
            case LEFT_SYMMETRIC, RIGHT_SYMMETRIC -> (p + 1) % disks;
            case PARITY_0 -> 1;
            case PARITY_N -> dataDisks + 1;
        };
    }

    /** The member holding data chunk {@code dataIndex} (0 ≤ dataIndex &lt; dataDisks) of a stripe. */
    public int dataMember(long stripe, int dataIndex) {
        if (dataIndex < 0 || dataIndex >= dataDisks) {
            throw new IndexOutOfBoundsException("data index " + dataIndex);
        }
        int p = parityMember(stripe);
        if (level == 4) {
            return dataIndex;
        }
        if (level == 5) {
            return switch (algorithm) {
                case LEFT_ASYMMETRIC, RIGHT_ASYMMETRIC -> dataIndex >= p ? dataIndex + 1 : dataIndex;
                case LEFT_SYMMETRIC, RIGHT_SYMMETRIC -> (p + 1 + dataIndex) % disks;
                case PARITY_0 -> dataIndex + 1;
                case PARITY_N -> dataIndex;
            };
        }
        return switch (algorithm) {
            case LEFT_ASYMMETRIC, RIGHT_ASYMMETRIC -> p == disks - 1 ? dataIndex + 1
                    : dataIndex >= p ? dataIndex + 2 : dataIndex;
            case LEFT_SYMMETRIC, RIGHT_SYMMETRIC -> (p + 2 + dataIndex) % disks;
            case PARITY_0 -> dataIndex + 2;
            case PARITY_N -> dataIndex;
        };
    }

    /**
     * The data members of a stripe in the order the Q syndrome weighs them (slot z gets g^z): walking the members
     * from raid6_d0 (the one after Q, or member 0 when Q is last) and skipping P and Q.
     */
    public int[] syndromeOrder(long stripe) {
        int p = parityMember(stripe);
        int q = qMember(stripe);
        int d0 = q < 0 || q == disks - 1 ? 0 : q + 1;
        int[] order = new int[dataDisks];
        int n = 0;
        for (int i = 0; i < disks; i++) {
            int m = (d0 + i) % disks;
            if (m != p && m != q) {
                order[n++] = m;
            }
        }
        return order;
    }
}
