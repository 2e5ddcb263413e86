package jdm.md.sb;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jdm.md.sb.MdadmCreate.Plan;
import jdm.md.sb.MdadmCreate.Request;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MdadmCreate on bigger members, against what the real mdadm 4.2 wrote on the oracle (resources md/sb/sizes.out:
 * raid1 and raid5 (default chunk) with mdadm's automatic bitmap choice, raid10 with an internal bitmap, raid0
 * of equal and unequal members, on 1 GiB, 8 GiB + 1 MiB, 100 GiB + 1 MiB and 300 GiB pairs): each member's
 * --examine text, rendered by Examine from MdadmCreate's superblock, equals mdadm's but for the random device uuid,
 * the times and the checksum; the bitmap's chunk, sync size and bit count equal what mdadm -X read.
 */
class MdadmCreateSizesTest {
    record Member(String tag, String device, long sectors, List<String> examine, List<String> xbitmap) {
        @Override
        public String toString() {
            return tag + " " + device + " (" + sectors + " sectors)";
        }
    }

    record Array(String tag, List<Member> members) {
        @Override
        public String toString() {
            return tag + " on " + members.get(0).sectors() + "+" + members.get(1).sectors() + " sectors";
        }
    }

    static Stream<Array> arrays() {
        Map<String, List<Member>> byTag = new LinkedHashMap<>();
        Pattern head = Pattern.compile("^=== (\\S+) (/dev/vd.) (\\d+)$");
        Member m = null;
        for (String line : Resources.text("sizes.out").split("\n")) {
            Matcher h = head.matcher(line);
            if (h.matches()) {
                m = new Member(h.group(1), h.group(2), Long.parseLong(h.group(3)), new ArrayList<>(),
                        new ArrayList<>());
                byTag.computeIfAbsent(m.tag(), t -> new ArrayList<>()).add(m);
            } else if (m != null && line.matches("^ +(Chunksize|Sync Size|Bitmap) :.*")
                    && !line.startsWith("Internal")) {
                m.xbitmap().add(line.strip());
            } else if (m != null) {
                m.examine().add(line);
            }
        }
        assertThat(byTag).hasSize(20);
        return byTag.entrySet().stream().map(e -> new Array(e.getKey(), e.getValue()));
    }

    static Request request(String tag, int n) {
        byte[] uuid = Superblock1.parseUuid(String.format("01234567:89abcdef:01234567:89ab%04x", n));
        int d = MdadmCreate.LAYOUT_DEFAULT;
        return switch (tag.substring(0, tag.indexOf('-'))) {
            case "r1" -> new Request(1, d, 0, 2, false, "oracle", tag, uuid, false);
            case "r5" -> new Request(5, d, 0, 2, false, "oracle", tag, uuid, true);
            case "r10" -> new Request(10, d, 0, 2, true, "oracle", tag, uuid, true);
            case "r0" -> new Request(0, d, 128, 2, false, "oracle", tag, uuid, true);
            default -> throw new IllegalArgumentException(tag);
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("arrays")
    void mdadmsChoicesOnBigMembers(Array a) {
        List<String> tags = arrays().map(Array::tag).toList();
        long[] sizes = a.members().stream().mapToLong(Member::sectors).toArray();
        Request r = request(a.tag(), tags.indexOf(a.tag()) + 1);
        if (a.tag().startsWith("r1-") || a.tag().startsWith("r5-")) {
            r = MdadmCreate.withDefaultBitmap(r, sizes); // sizes.sh gave these no --bitmap option
        }
        Plan plan = MdadmCreate.plan(r, sizes, 1577836800L, 0, new Random(1));
        for (int i = 0; i < sizes.length; i++) {
            Member m = a.members().get(i);
            String text = Examine.render(m.device(), plan.superblocks().get(i), plan.bitmap(), m.sectors(), "oracle",
                    ZoneOffset.UTC);
            assertThat(stable(List.of(text.split("\n")))).as(m.toString()).isEqualTo(stable(m.examine()));
            if (plan.bitmap() != null) {
                BitmapSuper b = plan.bitmap();
                assertThat(m.xbitmap()).containsExactly(
                        "Chunksize : " + (b.chunksize() >> 20) + " MB",
                        "Sync Size : " + b.syncSize() / 2 + Examine.humanSize(b.syncSize() * 512),
                        m.xbitmap().get(2)); // dirty count: all dirty when resyncing, else cleared
                assertThat(m.xbitmap().get(2)).startsWith("Bitmap : " + b.bits() + " bits (chunks), ");
            } else {
                assertThat(m.xbitmap()).isEmpty();
            }
        }
    }

    /** The lines that do not depend on the random device uuid or the clock. */
    private static List<String> stable(List<String> lines) {
        return lines.stream().filter(l -> !l.matches("^ *(Device UUID|Creation Time|Update Time|Checksum) :.*"))
                .toList();
    }
}
