package jdm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * --detail and /proc/mdstat text from reply maps, against what Linux 6.1 and mdadm 4.2 printed for the same states
 * (src/test/resources/jdm/cli/mdadm-detail.out, recorded by the kernel oracle running mdadm-detail.sh).
 */
@Timeout(30)
class MdDetailFormatTest {
    static final long T0 = 1577836800L; // 2020-01-01T00:00:00Z, the oracle's clock

    static String section(String name) throws IOException {
        String all;
        try (InputStream in = MdDetailFormatTest.class.getResourceAsStream("mdadm-detail.out")) {
            all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int at = all.indexOf("=== " + name + "\n");
        assertThat(at).as(name).isGreaterThanOrEqualTo(0);
        int start = at + name.length() + 5;
        int end = all.indexOf("\n=== ", start);
        String s = all.substring(start, end < 0 ? all.length() : end + 1);
        // lines mdadm printed after the section's own output ("mdadm: stopped ...") are not part of it
        return s.replaceAll("(?m)^mdadm: stopped /dev/md\\d\n", "").replaceAll("(?m)^rc=\\d+\n", "");
    }

    static Map<String, Object> member(int number, int major, int minor, int raid, String state, String dev) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("number", (long) number);
        m.put("major", (long) major);
        m.put("minor", (long) minor);
        m.put("raid_device", (long) raid);
        m.put("state", state);
        m.put("device", dev);
        return m;
    }

    static Map<String, Object> raid5(long utime, String state, int total, int active, int working, int failed,
                                     int spare, long events, List<Map<String, Object>> members) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("version", "1.2");
        r.put("creation_time", T0);
        r.put("level", "raid5");
        r.put("array_size_kib", 30720L);
        r.put("used_dev_size_kib", 15360L);
        r.put("raid_devices", 3L);
        r.put("total_devices", (long) total);
        r.put("persistence", "Superblock is persistent");
        r.put("intent_bitmap", "Internal");
        r.put("update_time", utime);
        r.put("state", state);
        r.put("active_devices", (long) active);
        r.put("working_devices", (long) working);
        r.put("failed_devices", (long) failed);
        r.put("spare_devices", (long) spare);
        r.put("layout", "left-symmetric");
        r.put("chunk_kib", 64L);
        r.put("consistency_policy", "bitmap");
        r.put("array_name", "oracle:r5");
        r.put("uuid", "01234567:89abcdef:01234567:89abcdef");
        r.put("events", events);
        r.put("members", members);
        return r;
    }

    static String detail(String dev, Map<String, Object> r) {
        return MdDetailFormat.detail(dev, r, "oracle", ZoneOffset.UTC);
    }

    @Test
    void raid5ResyncingAfterCreate() throws IOException {
        Map<String, Object> r = raid5(T0 + 2, "clean, degraded, recovering", 3, 2, 3, 0, 1, 2, List.of(
                member(0, 254, 0, 0, "active sync", "/dev/vda"), member(1, 254, 16, 1, "active sync", "/dev/vdb"),
                member(3, 254, 32, 2, "spare rebuilding", "/dev/vdc")));
        r.put("rebuild_status", "6% complete");
        assertThat(detail("/dev/md0", r)).isEqualTo(section("detail resync"));
        assertThat(MdDetailFormat.brief("/dev/md0", r)).isEqualTo(section("detail brief"));
    }

    @Test
    void raid5WithAFaultyMember() throws IOException {
        Map<String, Object> r = raid5(T0 + 7, "clean, degraded", 3, 2, 2, 1, 0, 20, List.of(
                member(0, 254, 0, 0, "active sync", "/dev/vda"), member(3, 254, 32, 2, "active sync", "/dev/vdc"),
                member(1, 254, 16, -1, "faulty", "/dev/vdb")));
        assertThat(detail("/dev/md0", r)).isEqualTo(section("detail failed"));
    }

    @Test
    void raid5WithTheMemberRemoved() throws IOException {
        // the daemon may send the empty slot itself: the row is the same
        List<Map<String, Object>> members = new ArrayList<>(List.of(member(0, 254, 0, 0, "active sync", "/dev/vda"),
                member(-1, 0, 0, 1, "removed", null), member(3, 254, 32, 2, "active sync", "/dev/vdc")));
        Map<String, Object> r = raid5(T0 + 7, "clean, degraded", 2, 2, 2, 0, 0, 21, members);
        assertThat(detail("/dev/md0", r)).isEqualTo(section("detail removed"));
        members.remove(1);
        assertThat(detail("/dev/md0", r)).isEqualTo(section("detail removed"));
    }

    @Test
    void raid5RecoveringOntoANewMember() throws IOException {
        Map<String, Object> r = raid5(T0 + 8, "clean, degraded, recovering", 3, 2, 3, 0, 1, 24, List.of(
                member(0, 254, 0, 0, "active sync", "/dev/vda"), member(3, 254, 32, 2, "active sync", "/dev/vdc"),
                member(4, 254, 48, 1, "spare rebuilding", "/dev/vdd")));
        r.put("rebuild_status", "6% complete");
        assertThat(detail("/dev/md0", r)).isEqualTo(section("detail recovery"));
    }

    static Map<String, Object> plain(String level, long size, Long used, int disks, int total, String state,
                                     Object layout, Long chunk, String policy, String name, String uuid, long ctime) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("version", "1.2");
        r.put("creation_time", ctime);
        r.put("level", level);
        r.put("array_size_kib", size);
        r.put("used_dev_size_kib", used);
        r.put("raid_devices", (long) disks);
        r.put("total_devices", (long) total);
        r.put("persistence", "Superblock is persistent");
        r.put("update_time", ctime);
        r.put("state", state);
        r.put("active_devices", (long) total);
        r.put("working_devices", (long) total);
        r.put("failed_devices", 0L);
        r.put("spare_devices", 0L);
        r.put("layout", layout);
        r.put("chunk_kib", chunk);
        r.put("consistency_policy", policy);
        r.put("array_name", name);
        r.put("uuid", uuid);
        r.put("events", 0L);
        return r;
    }

    @Test
    void raid10NearShowsTheSets() throws IOException {
        List<Map<String, Object>> members = List.of(member(0, 254, 0, 0, "active sync", "/dev/vda"),
                member(1, 254, 16, 1, "active sync", "/dev/vdb"), member(2, 254, 32, 2, "active sync", "/dev/vdc"),
                member(3, 254, 48, 3, "active sync", "/dev/vdd"));
        for (Object layout : List.of("near=2", 0x102L)) {
            Map<String, Object> r = plain("raid10", 28672, 14336L, 4, 4, "clean", layout, 512L, "resync",
                    "oracle:r10", "11111111:22222222:33333333:44444444", T0 + 13);
            r.put("members", members);
            assertThat(detail("/dev/md1", r)).isEqualTo(section("detail raid10"));
        }
    }

    @Test
    void raid0HasNoUsedDevSizeAndItsLayoutUnknownWithoutTheFeatureBit() throws IOException {
        Map<String, Object> r = plain("raid0", 28672, null, 2, 2, "clean", -1L, 512L, "none", "oracle:r0",
                "55555555:66666666:77777777:88888888", T0 + 14);
        r.put("members", List.of(member(0, 254, 0, 0, "active sync", "/dev/vda"),
                member(1, 254, 16, 1, "active sync", "/dev/vdb")));
        assertThat(detail("/dev/md2", r)).isEqualTo(section("detail raid0"));
    }

    @Test
    void raid1CreatedWithAMissingMember() throws IOException {
        Map<String, Object> r = plain("raid1", 15360, 15360L, 2, 1, "clean, degraded", null, null, "resync",
                "oracle:r1", "99999999:aaaaaaaa:bbbbbbbb:cccccccc", T0 + 15);
        r.put("members", List.of(member(0, 254, 0, 0, "active sync", "/dev/vda")));
        assertThat(detail("/dev/md3", r)).isEqualTo(section("detail raid1"));
    }

    @Test
    void humanSizes() {
        assertThat(MdDetailFormat.humanSize(30720L * 1024)).isEqualTo(" (30.00 MiB 31.46 MB)");
        assertThat(MdDetailFormat.humanSize(4000L * 1024)).isEmpty();
        assertThat(MdDetailFormat.humanSize(3L << 30)).isEqualTo(" (3.00 GiB 3.22 GB)");
        assertThat(MdDetailFormat.humanSize(3L << 40)).isEqualTo(" (3.00 TiB 3.30 TB)");
    }

    // ---- /proc/mdstat ----

    static Map<String, Object> md(String name, String level, List<Map<String, Object>> members, long sizeKib,
                                  String status, String bitmap, Map<String, Object> sync) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("name", name);
        a.put("state", "active");
        a.put("readonly", false);
        a.put("level", level);
        a.put("members", members);
        a.put("size_kib", sizeKib);
        a.put("status", status);
        a.put("bitmap", bitmap);
        a.put("sync", sync);
        return a;
    }

    static Map<String, Object> dev(String device, int index, String flags) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", device);
        m.put("index", (long) index);
        m.put("flags", flags);
        return m;
    }

    static Map<String, Object> sync(String action, long pos, long total, long speed) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("action", action);
        s.put("position_sectors", pos);
        s.put("total_sectors", total);
        s.put("speed_kibs", speed);
        return s;
    }

    static String mdstat(List<String> pers, Map<String, Object> array) {
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("personalities", pers);
        reply.put("arrays", List.of(array));
        return MdstatFormat.mdstat(reply);
    }

    static final List<String> R456 = List.of("raid6", "raid5", "raid4");

    @Test
    void mdstatDuringTheInitialRecovery() throws IOException {
        Map<String, Object> a = md("md0", "raid5", List.of(dev("vdc", 3, null), dev("vdb", 1, null),
                dev("vda", 0, null)), 30720, " level 5, 64k chunk, algorithm 2 [3/2] [UU_]",
                "1/1 pages [4KB], 65536KB chunk", sync("recover", 2048, 30720, 512));
        assertThat(mdstat(R456, a)).isEqualTo(section("mdstat resync"));
    }

    @Test
    void mdstatWithAFaultyMemberAndDuringRecovery() throws IOException {
        Map<String, Object> a = md("md0", "raid5", List.of(dev("vdc", 3, null), dev("vdb", 1, "(F)"),
                dev("vda", 0, null)), 30720, " level 5, 64k chunk, algorithm 2 [3/2] [U_U]",
                "1/1 pages [4KB], 65536KB chunk", null);
        assertThat(mdstat(R456, a)).isEqualTo(section("mdstat failed"));
        a = md("md0", "raid5", List.of(dev("vdd", 4, null), dev("vdc", 3, null), dev("vda", 0, null)), 30720,
                " level 5, 64k chunk, algorithm 2 [3/2] [U_U]", "1/1 pages [4KB], 65536KB chunk",
                sync("recovery", 2048, 30720, 1024));
        assertThat(mdstat(R456, a)).isEqualTo(section("mdstat recovery"));
    }

    @Test
    void mdstatWithoutBitmapOrSync() throws IOException {
        List<String> pers = new ArrayList<>(R456);
        pers.add("raid10");
        Map<String, Object> a = md("md1", "raid10", List.of(dev("vdd", 3, null), dev("vdc", 2, null),
                dev("vdb", 1, null), dev("vda", 0, null)), 28672, " 512K chunks 2 near-copies [4/4] [UUUU]", null,
                null);
        assertThat(mdstat(pers, a)).isEqualTo(section("mdstat raid10"));
        pers.add("raid0");
        a = md("md2", "raid0", List.of(dev("vdb", 1, null), dev("vda", 0, null)), 28672, " 512k chunks", null,
                null);
        assertThat(mdstat(pers, a)).isEqualTo(section("mdstat raid0"));
        pers.add("raid1");
        a = md("md3", "raid1", List.of(dev("vda", 0, null)), 15360, " [2/1] [U_]", null, null);
        assertThat(mdstat(pers, a)).isEqualTo(section("mdstat raid1"));
    }

    @Test
    void progressLine() {
        assertThat(MdstatFormat.syncLine(sync("check", 16384, 32768, 2240)))
                .isEqualTo("[=========>...........]  check = 48.4% (8192/16384) finish=0.0min speed=2240K/sec");
        Map<String, Object> s = sync("resync", 0, 32768, 0);
        s.put("finish_seconds", 125L);
        assertThat(MdstatFormat.syncLine(s))
                .isEqualTo("[>....................]  resync =  0.0% (0/16384) finish=2.0min speed=0K/sec");
        assertThat(MdstatFormat.syncLine(sync("reshape", 32768, 32768, 100))).startsWith(
                "[===================>.]  reshape = 96.9% (16384/16384)");
        s.remove("finish_seconds");
        s.put("finish_minutes", "1.2");
        assertThat(MdstatFormat.syncLine(s)).endsWith(" finish=1.2min speed=0K/sec");
        s.put("status", "PENDING");
        assertThat(MdstatFormat.syncLine(s)).isEqualTo("\tresync=PENDING");
    }

    @Test
    void readOnlyArrays() {
        Map<String, Object> a = md("md0", "raid1", List.of(dev("a", 0, null)), 100, " [1/1] [U]", null, null);
        a.put("readonly", true);
        a.put("read_mode", "auto-read-only");
        assertThat(mdstat(List.of("raid1"), a)).contains("md0 : active (auto-read-only) raid1 a[0]\n");
        a.put("read_mode", "read-only");
        assertThat(mdstat(List.of("raid1"), a)).contains("md0 : active (read-only) raid1 a[0]\n");
        a.put("state", "inactive");
        assertThat(mdstat(List.of("raid1"), a)).contains("md0 : inactive a[0]\n      100 blocks super 1.2\n       \n");
    }

    @Test
    void mdstatOfNothing() {
        assertThat(MdstatFormat.mdstat(Map.of("arrays", List.of(), "personalities", List.of("raid1"))))
                .isEqualTo("Personalities : [raid1] \nunused devices: <none>\n");
    }
}
