package jdm.md;

/**
 * What the sync thread does, as md's {@code sync_action} names it. RESYNC makes the redundancy of a dirty array
 * consistent; RECOVER rebuilds members that are not in sync from the others; CHECK reads everything and counts
 * mismatches, changing nothing; REPAIR rewrites the redundancy where it mismatches; RESHAPE moves data to a new
 * geometry.
 */
public enum SyncAction {
    RESYNC("resync"),
    RECOVER("recover"),
    CHECK("check"),
    REPAIR("repair"),
    RESHAPE("reshape");

    private final String sysfsName;

    SyncAction(String sysfsName) {
        this.sysfsName = sysfsName;
    }

    /** The word {@code sync_action} shows and takes. */
    public String sysfsName() {
        return sysfsName;
    }

    /** Whether the pass only reads (a check). */
    public boolean readOnly() {
        return this == CHECK;
    }
}
