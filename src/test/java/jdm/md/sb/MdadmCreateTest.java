package jdm.md.sb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import jdm.md.sb.MdadmCreate.Plan;
import jdm.md.sb.MdadmCreate.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MdadmCreate against what the real mdadm 4.2 wrote on the oracle's 16 MiB members when the array was created
 * --readonly (the kernel then writes no superblock, so the dumps are mdadm's own bytes): the same bytes but for the
 * random device uuid; and the data offset rule of validate_geometry1 over device sizes.
 */
class MdadmCreateTest {
    private static final long MEMBER = 32768; // 16 MiB
    private static final String[] DEVS = {"vda", "vdb", "vdc", "vdd"};

    record Case(String dump, Request request, int members, int bytes) {
        @Override
        public String toString() {
            return dump;
        }
    }

    static Request layouts(String tag, int n, int level, int layout, int chunk) {
        return new Request(level, layout, chunk, 4, false, "oracle", tag,
                Superblock1.parseUuid(String.format("01234567:89abcdef:01234567:89ab%04x", n)), true);
    }

    static Stream<Case> mdadmWrites() {
        int d = MdadmCreate.LAYOUT_DEFAULT;
        return Stream.of(
                new Case("raid0-ro", layouts("raid0-ro", 1, 0, d, 128), 4, 8192),
                new Case("raid1-ro", layouts("raid1-ro", 2, 1, d, 0), 4, 8192),
                new Case("raid5-ro", layouts("raid5-ro", 3, 5, d, 128), 4, 8192),
                new Case("raid6-ro", layouts("raid6-ro", 4, 6, d, 128), 4, 8192),
                new Case("raid10-ro", layouts("raid10-ro", 5, 10, 0x201, 128), 4, 8192),
                new Case("r1bm-ro", new Request(1, d, 0, 2, true, "oracle", "r1bm",
                        Superblock1.parseUuid("01234567:89abcdef:01234567:89ab0101"), false), 2, 12288),
                new Case("r5sp-ro", new Request(5, d, 0, 3, false, "oracle", "r5sp",
                        Superblock1.parseUuid("01234567:89abcdef:01234567:89ab0102"), false), 4, 8192));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mdadmWrites")
    void theSuperblocksAreMdadmsBytes(Case c) throws Exception {
        long ctime = Superblock1.decode(Resources.superblock(c.dump() + "-vda")).ctime();
        long[] sizes = new long[c.members()];
        Arrays.fill(sizes, MEMBER);
        Plan plan = MdadmCreate.plan(c.request(), sizes, Superblock1.seconds(ctime), 0, new Random(1));
        for (int i = 0; i < c.members(); i++) {
            String dump = c.dump() + "-" + DEVS[i];
            byte[] real = Resources.member(dump);
            Superblock1 sb = plan.superblocks().get(i);
            sb.setDeviceUuid(Superblock1.decode(Resources.superblock(dump)).deviceUuid()); // mdadm's random one
            byte[] mine = new byte[c.bytes()];
            byte[] enc = sb.encode().array();
            System.arraycopy(enc, 0, mine, 4096, enc.length);
            if (plan.bitmap() != null) {
                byte[] area = plan.bitmap().encodeArea().array();
                System.arraycopy(area, 0, mine, 8192, area.length);
            }
            assertThat(mine).as(dump).isEqualTo(Arrays.copyOf(real, c.bytes()));
        }
    }

    @Test
    void aRaid5CreatedWithoutAssumeCleanMakesTheLastSlotARecoveringSpareNumberedLast() {
        Plan plan = MdadmCreate.plan(new Request(5, MdadmCreate.LAYOUT_DEFAULT, 0, 4, false, "h", "r", null, false),
                new long[] {MEMBER, MEMBER, MEMBER, MEMBER}, 0, 0, new Random(1));
        List<Superblock1> sbs = plan.superblocks();
        assertThat(sbs.stream().map(Superblock1::devNumber)).containsExactly(0, 1, 2, 4);
        assertThat(sbs.get(3).ownRole()).isEqualTo(Superblock1.ROLE_SPARE);
        assertThat(sbs.get(0).role(3)).isEqualTo(Superblock1.ROLE_SPARE);
        assertThat(plan.clean()).as("clean: the missing slot is recovered, not resynced").isTrue();
        assertThat(sbs.get(0).resyncOffset()).isEqualTo(Superblock1.MAX_SECTOR);
        assertThat(plan.chunkSectors()).isEqualTo(1024);
        assertThat(plan.dataOffset()).isEqualTo(4096);
        assertThat(plan.componentSectors()).isEqualTo(28672);
    }

    @Test
    void aRaid1WithoutAssumeCleanStartsDirty() {
        Plan plan = MdadmCreate.plan(new Request(1, MdadmCreate.LAYOUT_DEFAULT, 0, 2, false, null, "x", null, false),
                new long[] {MEMBER, MEMBER + 1000}, 0, 0, new Random(1));
        assertThat(plan.clean()).isFalse();
        assertThat(plan.superblocks().get(0).resyncOffset()).isZero();
        assertThat(plan.superblocks().get(0).name()).isEqualTo("x");
        assertThat(plan.superblocks().get(1).dataSize()).as("data_size is per member").isEqualTo(MEMBER + 1000 - 2048);
        assertThat(plan.componentSectors()).as("the smallest member, rounded to 64 KiB").isEqualTo(30720);
    }

    @Test
    void aMissingMemberHasNoSuperblockAndKeepsItsNumber() {
        Plan plan = MdadmCreate.plan(new Request(1, MdadmCreate.LAYOUT_DEFAULT, 0, 3, false, null, "x", null, true),
                new long[] {MEMBER, MdadmCreate.MISSING, MEMBER}, 0, 0, new Random(1));
        assertThat(plan.superblocks().get(1)).isNull();
        Superblock1 last = plan.superblocks().get(2);
        assertThat(last.devNumber()).isEqualTo(2);
        assertThat(new int[] {last.role(0), last.role(1), last.role(2)})
                .containsExactly(0, Superblock1.ROLE_SPARE, 2);
    }

    @Test
    void aRaid6CreatedWithOneMissingMakesItsLastGoodSlotARecoveringSpare() {
        Plan plan = MdadmCreate.plan(new Request(6, MdadmCreate.LAYOUT_DEFAULT, 0, 4, false, null, "x", null, false),
                new long[] {MEMBER, MdadmCreate.MISSING, MEMBER, MEMBER}, 0, 0, new Random(1));
        List<Superblock1> sbs = plan.superblocks();
        assertThat(sbs.get(1)).isNull();
        assertThat(sbs.get(3).devNumber()).isEqualTo(4);
        Superblock1 first = sbs.get(0);
        assertThat(new int[] {first.role(0), first.role(1), first.role(2), first.role(3), first.role(4)})
                .containsExactly(0, Superblock1.ROLE_SPARE, 2, Superblock1.ROLE_SPARE, Superblock1.ROLE_SPARE);
        assertThat(plan.clean()).isTrue();
        assertThatThrownBy(() -> MdadmCreate.plan(new Request(1, MdadmCreate.LAYOUT_DEFAULT, 0, 2, false, null, "x",
                null, false), new long[] {MdadmCreate.MISSING, MdadmCreate.MISSING}, 0, 0, new Random(1)))
                .hasMessage("Subdevs can't be all missing");
        assertThatThrownBy(() -> MdadmCreate.plan(new Request(0, MdadmCreate.LAYOUT_DEFAULT, 0, 2, false, null, "x",
                null, false), new long[] {MEMBER, MdadmCreate.MISSING}, 0, 0, new Random(1)))
                .hasMessage("This level does not support missing devices");
    }

    @Test
    void raid0OfUnequalMembersGetsTheRaid0LayoutFeature() {
        Request r = new Request(0, MdadmCreate.LAYOUT_DEFAULT, 128, 2, false, null, "x", null, true);
        Plan equal = MdadmCreate.plan(r, new long[] {MEMBER, MEMBER}, 0, 0, new Random(1));
        assertThat(equal.superblocks().get(0).featureMap()).isZero();
        assertThat(equal.superblocks().get(0).layout()).isEqualTo(MdadmCreate.RAID0_ORIG_LAYOUT);
        assertThat(equal.componentSectors()).isZero();
        Plan unequal = MdadmCreate.plan(r, new long[] {MEMBER, 2 * MEMBER}, 0, 0, new Random(1));
        assertThat(unequal.superblocks().get(1).featureMap()).isEqualTo(Superblock1.FEATURE_RAID0_LAYOUT);
    }

    @Test
    void theNameIsHomehostColonNameWhenItFits() {
        assertThat(MdadmCreate.setName("oracle", "raid0")).isEqualTo("oracle:raid0");
        assertThat(MdadmCreate.setName(null, "raid0")).isEqualTo("raid0");
        assertThat(MdadmCreate.setName("h", "a:b")).isEqualTo("a:b");
        assertThat(MdadmCreate.setName("hhhhhhhhhhhhhhhh", "nnnnnnnnnnnnnnn")).as("32 bytes do not fit")
                .isEqualTo("nnnnnnnnnnnnnnn");
        assertThat(MdadmCreate.setName("hhhhhhhhhhhhhhh", "nnnnnnnnnnnnnnn")).isEqualTo(
                "hhhhhhhhhhhhhhh:nnnnnnnnnnnnnnn");
        assertThat(MdadmCreate.setName(null, "n".repeat(40))).isEqualTo("n".repeat(31));
    }

    @Test
    void refusedRequestsGetMdadmsMessages() {
        long[] four = {MEMBER, MEMBER, MEMBER, MEMBER};
        assertThatThrownBy(() -> plan(6, 0, 3, false, new long[] {MEMBER, MEMBER, MEMBER}))
                .hasMessage("at least 4 raid-devices needed for level 6");
        assertThatThrownBy(() -> plan(1, 128, 2, false, new long[] {MEMBER, MEMBER}))
                .hasMessage("specifying chunk size is forbidden for this level");
        assertThatThrownBy(() -> plan(0, 0, 4, true, four)).hasMessage("bitmaps not meaningful with level raid0");
        assertThatThrownBy(() -> plan(0, 0, 3, false, four)).hasMessage("This level does not support spare devices");
        assertThatThrownBy(() -> plan(5, 0, 4, false, new long[] {MEMBER}))
                .hasMessage("You haven't given enough devices (real or missing) to create this array");
        assertThatThrownBy(() -> plan(5, 0, 2, false, new long[] {MEMBER, 2000}))
                .hasMessage("device 1 is too small (1000K) for required metadata!");
        assertThatThrownBy(() -> plan(7, 0, 2, false, new long[] {MEMBER, MEMBER})).hasMessage("unknown level 7");
        assertThatThrownBy(() -> MdadmCreate.plan(new Request(10, 0x301, 0, 2, false, null, "x", null, true),
                new long[] {MEMBER, MEMBER}, 0, 0, new Random(1)))
                .hasMessage("that layout requires at least 3 devices");
        assertThatThrownBy(() -> MdadmCreate.plan(new Request(1, MdadmCreate.LAYOUT_DEFAULT, 0, 2, true, null, "x",
                null, true), new long[] {MEMBER, MEMBER}, 0, 2048, new Random(1)))
                .hasMessage("Given bitmap chunk size not supported.");
    }

    private static Plan plan(int level, int chunk, int raidDisks, boolean bitmap, long[] sizes) {
        return MdadmCreate.plan(new Request(level, MdadmCreate.LAYOUT_DEFAULT, chunk, raidDisks, bitmap, null, "x",
                null, true), sizes, 0, 0, new Random(1));
    }

    /**
     * validate_geometry1 worked by hand: offset = round_up(24 + choose_bm_space(dev) + headroom, 2048) where
     * headroom starts at 128 MiB and halves while headroom * 1024 exceeds the device and (no chunk, or half of it
     * still covers two chunks).
     */
    @ParameterizedTest(name = "{0} sectors, chunk {1}: {2}")
    @CsvSource({
            // tiny: headroom halves down to 0; no bitmap space under 64 KiB; 24 -> 1 MiB
            "100, 0, 2048",
            // 16 MiB, no chunk: headroom 32, bm 8 -> 64 -> 1 MiB
            "32768, 0, 2048",
            // 16 MiB, 64 KiB chunks: headroom stops at 256 (4 chunks); 288 -> 1 MiB
            "32768, 128, 2048",
            // 16 MiB, 512 KiB chunks: headroom 2048; 2080 -> 2 MiB (the oracle's raid5 with the default chunk)
            "32768, 1024, 4096",
            // 1 GiB: headroom 2048 (2048 * 1024 = 1 GiB, not over); 2080 -> 2 MiB
            "2097152, 0, 4096",
            "2097152, 1024, 4096",
            // 8 GiB: bm 8, headroom 16384; 16416 -> 16 MiB + 1 MiB
            "16777216, 0, 18432",
            // just over 8 GiB + 4 KiB: bitmap space 64 KiB (128), headroom 16384; 16536 -> 18432
            "16777225, 0, 18432",
            // 100 GiB: bm 128; headroom 128 MiB is over 0.1%, 64 MiB is not; 131224 -> 133120
            "209715200, 0, 133120",
            // 200 GiB + 64 KiB: bm 256; headroom stays 262144 (128 MiB is under 0.1%); 262424 -> 264192
            "419430528, 0, 264192",
            // 1 TiB: headroom stays 128 MiB; 24 + 256 + 262144 -> 264192
            "2147483648, 0, 264192",
            "2147483648, 1024, 264192",
    })
    void theDataOffsetFollowsValidateGeometry1(long sectors, int chunk, long expected) {
        assertThat(MdadmCreate.dataOffset(sectors, chunk)).isEqualTo(expected);
    }

    @Test
    void bitmapSpaceSteps() {
        assertThat(MdadmCreate.chooseBitmapSpace(127)).isZero();
        assertThat(MdadmCreate.chooseBitmapSpace(128)).isEqualTo(8);
        assertThat(MdadmCreate.chooseBitmapSpace(8L * 1024 * 1024 * 2 + 8)).isEqualTo(8);
        assertThat(MdadmCreate.chooseBitmapSpace(8L * 1024 * 1024 * 2 + 9)).isEqualTo(128);
        assertThat(MdadmCreate.chooseBitmapSpace(200L * 1024 * 1024 * 2 + 128)).isEqualTo(256);
    }

    @Test
    void largeArraysGetABitmapByDefault() {
        assertThat(MdadmCreate.addsBitmapByDefault(1, 100L * 1024 * 1024 * 2)).isFalse();
        assertThat(MdadmCreate.addsBitmapByDefault(1, 100L * 1024 * 1024 * 2 + 2)).isTrue();
        assertThat(MdadmCreate.addsBitmapByDefault(0, 1L << 40)).isFalse();
    }
}
