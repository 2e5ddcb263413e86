package jdm.md.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** raid0 strip zones over unequal members, worked by hand from raid0.c's create_strip_zones / map_sector. */
class MdLayoutsRaid0ZonesTest {
    // members of 4, 2 and 3 chunks (chunk 8 sectors, plus a partial chunk md drops): zone 0 = 3 members × 2
    // chunks (array chunks 0-5), zone 1 = members 0 and 2 from member chunk 2, 1 chunk each (array chunks 6-7),
    // zone 2 = member 0 alone, member chunk 3 (array chunk 8).
    private static final long[] SIZES = {32 + 5, 16, 24};

    @Test
    void zonesOfTheAlternateLayoutCountChunksFromTheZoneStart() {
        Raid0Layout l = new Raid0Layout(8, Raid0Layout.ALT_MULTIZONE_LAYOUT, SIZES);
        assertThat(l.zoneCount()).isEqualTo(3);
        assertThat(l.arraySectors()).isEqualTo(9 * 8);
        assertThat(l.map(0)).isEqualTo(new MemberSector(0, 0));
        assertThat(l.map(5 * 8 + 3)).isEqualTo(new MemberSector(2, 8 + 3));
        assertThat(l.map(6 * 8)).isEqualTo(new MemberSector(0, 16));
        assertThat(l.map(7 * 8 + 7)).isEqualTo(new MemberSector(2, 16 + 7));
        assertThat(l.map(8 * 8 + 1)).isEqualTo(new MemberSector(0, 24 + 1));
    }

    @Test
    void theOriginalLayoutPicksTheMemberByTheArrayChunk() {
        // members of 4, 1 and 3 chunks: zone 0 = array chunks 0-2 (3 members), zone 1 = members 0 and 2 from
        // member chunk 1, array chunks 3-6. Array chunk 3 is zone 1's chunk 0: the alternate layout puts it on the
        // zone's first member (0), the original on member (3 % 2) = the second (2), both at member chunk 1.
        long[] sizes = {32, 8, 24};
        Raid0Layout orig = new Raid0Layout(8, Raid0Layout.ORIG_LAYOUT, sizes);
        Raid0Layout alt = new Raid0Layout(8, Raid0Layout.ALT_MULTIZONE_LAYOUT, sizes);
        assertThat(orig.map(3 * 8 + 2)).isEqualTo(new MemberSector(2, 8 + 2));
        assertThat(alt.map(3 * 8 + 2)).isEqualTo(new MemberSector(0, 8 + 2));
        assertThat(orig.map(4 * 8)).isEqualTo(new MemberSector(0, 8));
        assertThat(alt.map(4 * 8)).isEqualTo(new MemberSector(2, 8));
        assertThat(orig.map(6 * 8)).isEqualTo(new MemberSector(0, 16));   // zone chunk 3: member chunk 1 + 1
        assertThat(orig.map(1 * 8)).isEqualTo(alt.map(1 * 8));             // zone 0 is the same in both
    }

    @Test
    void everyMemberSectorIsUsedOnce() {
        for (int layout : new int[] {Raid0Layout.ORIG_LAYOUT, Raid0Layout.ALT_MULTIZONE_LAYOUT}) {
            Raid0Layout l = new Raid0Layout(8, layout, new long[] {40, 16, 24, 64});
            Set<MemberSector> seen = new HashSet<>();
            for (long s = 0; s < l.arraySectors(); s++) {
                assertThat(seen.add(l.map(s))).as("sector " + s).isTrue();
            }
            assertThat(l.arraySectors()).isEqualTo(40 + 16 + 24 + 64);
        }
    }
}
