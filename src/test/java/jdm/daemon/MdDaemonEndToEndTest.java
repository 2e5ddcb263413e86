package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jdm.control.ControlException;
import jdm.control.MdClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * md arrays in the daemon, through the md control operations and real NBD clients: a raid5 created over backing
 * files is exported as "md0", nbdcopy's data reads back, a dm table names the array, a used array cannot be
 * stopped, a failed member is rebuilt onto a spare while the export stays readable, and after the stop the real
 * mdadm --examine accepts the members.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MdDaemonEndToEndTest {
    @TempDir
    Path dir;
    Daemon daemon;
    Path sock;
    MdClient md;

    @BeforeEach
    void start() throws Exception {
        sock = dir.resolve("nbd.sock");
        daemon = Daemon.start(new Daemon.Listen(sock, null, 0, dir.resolve("ctl.sock")));
        md = new MdClient(dir.resolve("ctl.sock"));
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    String uri(String name) {
        return "nbd+unix:///" + name + "?socket=" + sock;
    }

    static Map<String, Object> args(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void aRaid5OverNbdSurvivesAFailureRebuildsOntoASpareAndExaminesClean() throws Exception {
        Tools.need("nbdcopy", "nbdinfo");
        for (int i = 0; i < 4; i++) {
            DaemonEndToEndTest.sized(dir.resolve("m" + i), 16 << 20);
        }
        Map<String, Object> created = md.call("md_create", args("name", "md0", "level", 5L, "chunk_kib", 64L,
                "raid_devices", 3L, "spare_devices", 1L, "assume_clean", true, "run", true, "homehost", "h",
                "bitmap", "none", "devices", List.of("m0", "m1", "m2", "m3"), "cwd", dir.toString()));
        assertThat(created.get("name")).isEqualTo("md0");
        assertThat(created.get("messages")).isEqualTo(List.of("mdadm: array /dev/md0 started."));
        long size = Long.parseLong(Tools.run("nbdinfo", "--size", uri("md0")).strip());
        assertThat(size).isEqualTo(2L * (16 << 20) - 2 * 2048 * 512);

        Path data = DaemonEndToEndTest.randomFile(dir.resolve("data"), 8 << 20, 5);
        Tools.run("nbdcopy", data.toString(), uri("md0"));

        // a dm table names the array: the linear device reads what the array holds
        daemon.namespace().createWithTable("onmd", null, false, "0 16384 linear /dev/md0 0", dir);
        Path viaDm = dir.resolve("viadm");
        Tools.run("nbdcopy", uri("onmd"), viaDm.toString());
        assertThat(DaemonEndToEndTest.sha256(viaDm)).isEqualTo(DaemonEndToEndTest.sha256(data));
        assertThatThrownBy(() -> md.call("md_stop", args("name", "md0")))
                .isInstanceOf(ControlException.class)
                .hasMessageContaining("Cannot get exclusive access to /dev/md0");
        daemon.namespace().remove("onmd");

        assertThat(md.call("md_manage", args("name", "md0", "action", "fail", "device", "m1", "cwd",
                dir.toString())).get("messages")).isEqualTo(List.of("mdadm: set m1 faulty in /dev/md0"));
        Path back = dir.resolve("back");
        Tools.run("nbdcopy", uri("md0"), back.toString());
        byte[] want = Files.readAllBytes(data);
        byte[] got = Files.readAllBytes(back);
        assertThat(java.util.Arrays.copyOf(got, want.length)).isEqualTo(want);
        assertThat(daemon.arrays().get("md0").awaitIdle(60_000)).isTrue();

        Map<String, Object> detail = md.detail("md0");
        assertThat(detail.get("state")).isEqualTo("clean");
        assertThat(detail.get("active_devices")).isEqualTo(3L);
        assertThat(detail.get("failed_devices")).isEqualTo(1L);
        assertThat(detail.get("layout")).isEqualTo("left-symmetric");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> members = (List<Map<String, Object>>) detail.get("members");
        assertThat(members).extracting(m -> m.get("state"))
                .containsExactly("active sync", "active sync", "active sync", "faulty");
        assertThat(members.get(1).get("device")).isEqualTo("m3");
        assertThat(md.readAttr("md0", "sync_action")).isEqualTo("idle");

        Map<String, Object> list = md.list();
        assertThat(list.get("arrays").toString()).contains("name=md0", "state=active", "(F)");

        md.call("md_stop", args("name", "md0"));
        if (Files.isExecutable(Path.of("/usr/sbin/mdadm"))) {
            for (String m : List.of("m0", "m2", "m3")) {
                String ex = Tools.run("/usr/sbin/mdadm", "--examine", dir.resolve(m).toString());
                assertThat(ex).contains("State : clean", "Raid Level : raid5", "- correct", "Array State : AAA");
            }
        }
        Map<String, Object> again = md.call("md_assemble", args("name", "md0", "devices", List.of("m0", "m2",
                "m3"), "cwd", dir.toString()));
        assertThat(again.get("messages")).isEqualTo(List.of("mdadm: /dev/md0 has been started with 3 drives."));
        Path back2 = dir.resolve("back2");
        Tools.run("nbdcopy", uri("md0"), back2.toString());
        assertThat(java.util.Arrays.copyOf(Files.readAllBytes(back2), want.length)).isEqualTo(want);

        // the daemon's own shutdown stops the array cleanly
        daemon.close();
        if (Files.isExecutable(Path.of("/usr/sbin/mdadm"))) {
            assertThat(Tools.run("/usr/sbin/mdadm", "--examine", dir.resolve("m0").toString()))
                    .contains("State : clean");
        }
    }
}
