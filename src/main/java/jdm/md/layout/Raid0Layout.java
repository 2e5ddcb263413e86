package jdm.md.layout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * raid0 as raid0.c's create_strip_zones and map_sector (power-of-two chunk). Members are used up to a whole number
 * of chunks. Zone 0 stripes over every member up to the smallest one; each further zone stripes over the members
 * still longer than the previous zone's end on them, in role order. Inside a zone of n members at member offset
 * {@code devStart}, chunk k of the zone is at member chunk {@code k / n}; the member is the zone's
 * {@code (c % n)}-th where c counts chunks from the zone's start (layout 2, RAID0_ALT_MULTIZONE_LAYOUT) or from the
 * array's start (layout 1, RAID0_ORIG_LAYOUT). With one zone (equal members) the layouts are the same.
 */
public final class Raid0Layout {
    /** md's raid0 layout numbers. */
    public static final int ORIG_LAYOUT = 1;
    public static final int ALT_MULTIZONE_LAYOUT = 2;

    private record Zone(long arrayStart, long arrayEnd, long devStart, int[] members) {
    }

    private final int chunkSectors;
    private final int layout;
    private final List<Zone> zones = new ArrayList<>();

    /** Equal members: one zone. */
    public Raid0Layout(int disks, int chunkSectors, long memberSectors) {
        this(chunkSectors, ALT_MULTIZONE_LAYOUT, filled(disks, memberSectors));
    }

    /**
     * @param layout {@link #ORIG_LAYOUT} or {@link #ALT_MULTIZONE_LAYOUT} (matters only with unequal members)
     * @param memberSectors each member's data-area size, by role; each rounded down to a chunk multiple
     */
    public Raid0Layout(int chunkSectors, int layout, long[] memberSectors) {
        Geometry.checkChunk(chunkSectors);
        if (memberSectors.length < 1) {
            throw new IllegalArgumentException("raid0 needs at least 1 member");
        }
        if (layout != ORIG_LAYOUT && layout != ALT_MULTIZONE_LAYOUT) {
            throw new IllegalArgumentException("raid0 layout " + layout);
        }
        this.chunkSectors = chunkSectors;
        this.layout = layout;
        long[] sizes = new long[memberSectors.length];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = memberSectors[i] / chunkSectors * chunkSectors;
        }
        long devStart = 0;
        long arrayEnd = 0;
        while (true) {
            int n = 0;
            long smallest = Long.MAX_VALUE;
            int[] members = new int[sizes.length];
            for (int i = 0; i < sizes.length; i++) {
                if (sizes[i] > devStart) {
                    members[n++] = i;
                    smallest = Math.min(smallest, sizes[i]);
                }
            }
            if (n == 0) {
                break;
            }
            long width = (smallest - devStart) * n;
            zones.add(new Zone(arrayEnd, arrayEnd + width, devStart, Arrays.copyOf(members, n)));
            arrayEnd += width;
            devStart = smallest;
        }
        if (zones.isEmpty()) {
            throw new IllegalArgumentException("raid0 members smaller than a chunk");
        }
    }

    private static long[] filled(int disks, long memberSectors) {
        if (disks < 1) {
            throw new IllegalArgumentException("raid0 needs at least 1 member: " + disks);
        }
        long[] s = new long[disks];
        Arrays.fill(s, memberSectors);
        return s;
    }

    public long arraySectors() {
        return zones.getLast().arrayEnd();
    }

    /** Number of strip zones. */
    public int zoneCount() {
        return zones.size();
    }

    public MemberSector map(long arraySector) {
        Geometry.checkSector(arraySector, arraySectors());
        Zone z = zones.getFirst();
        for (Zone candidate : zones) {
            if (arraySector < candidate.arrayEnd()) {
                z = candidate;
                break;
            }
        }
        int n = z.members().length;
        long inZone = arraySector - z.arrayStart();
        long chooser = layout == ORIG_LAYOUT ? arraySector : inZone;
        long inChunk = inZone % chunkSectors;
        long memberChunk = inZone / ((long) n * chunkSectors);
        int member = z.members()[(int) (chooser / chunkSectors % n)];
        return new MemberSector(member, z.devStart() + memberChunk * chunkSectors + inChunk);
    }
}
