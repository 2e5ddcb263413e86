package jdm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jdm.block.dev.BackingFiles;
import jdm.control.ControlServer;
import jdm.dm.DeviceNamespace;
import jdm.dm.targets.BuiltinTargets;
import jdm.md.MdArray;
import jdm.md.MdArrays;
import jdm.md.personalities.BuiltinPersonalities;
import jdm.nbd.SocketAccess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * jdm mdadm, jdm mdstat and jdm md attr against a control server with real md arrays over backing files: create,
 * detail, mdstat, fail/remove/add with the recovery, stop, examine (equal to the host's mdadm on the same member),
 * assemble, attributes, and the failures with mdadm's messages.
 */
@Timeout(120)
class MdadmEndToEndTest {
    record Run(int status, String out, String err) {
    }

    @TempDir
    Path dir;
    Path socket;
    DeviceNamespace ns;
    MdArrays arrays;
    ControlServer server;

    @BeforeEach
    void start() throws IOException {
        socket = dir.resolve("control.sock");
        ns = new DeviceNamespace(BuiltinTargets.registry(), new BackingFiles());
        arrays = new MdArrays(BuiltinPersonalities.registry(), line -> { });
        arrays.setMembers(new BackingFiles());
        server = ControlServer.start(ns, arrays, socket, SocketAccess.ownerOnly());
        for (int i = 0; i < 4; i++) {
            try (RandomAccessFile f = new RandomAccessFile(dir.resolve("m" + i + ".img").toFile(), "rw")) {
                f.setLength(16L << 20);
            }
        }
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        for (MdArray a : arrays.list()) {
            a.stop();
        }
    }

    Run jdm(String... args) {
        List<String> argv = new ArrayList<>(List.of(args));
        Object cmd;
        if (args[0].equals("mdadm")) {
            argv.set(0, "--control=" + socket);
            cmd = new MdadmCommand(new ByteArrayInputStream(new byte[0]), k -> null, dir);
        } else if (args[0].equals("mdstat")) {
            argv.set(0, "--control=" + socket);
            cmd = new MdstatCommand();
        } else {
            argv.removeFirst();
            argv.add(1, "--control=" + socket);
            cmd = new MdCommand();
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(cmd);
        cl.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int status = cl.execute(argv.toArray(String[]::new));
        return new Run(status, out.toString(), err.toString());
    }

    void idle() throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            if (jdm("md", "attr", "md0", "sync_action").out().equals("idle\n")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("md0 still syncing: " + jdm("mdstat").out());
    }

    @Test
    void createDetailFailAddStopExamineAssemble() throws Exception {
        Run r = jdm("mdadm", "--create", "/dev/md0", "--run", "--level=1", "--raid-devices=2", "--bitmap=none",
                "--homehost=h", "--name=t", "m0.img", "m1.img");
        assertThat(r).isEqualTo(new Run(0, "", "mdadm: Defaulting to version 1.2 metadata\n"
                + "mdadm: array /dev/md0 started.\n"));
        idle();
        r = jdm("mdadm", "--detail", "/dev/md0");
        assertThat(r.status()).isZero();
        assertThat(r.out()).startsWith("/dev/md0:\n           Version : 1.2\n     Creation Time : ")
                .contains("        Raid Level : raid1\n        Array Size : 15360 (15.00 MiB 15.73 MB)\n"
                        + "     Used Dev Size : 15360 (15.00 MiB 15.73 MB)\n      Raid Devices : 2\n"
                        + "     Total Devices : 2\n       Persistence : Superblock is persistent\n\n")
                .contains("             State : clean \n    Active Devices : 2\n   Working Devices : 2\n"
                        + "    Failed Devices : 0\n     Spare Devices : 0\n\nConsistency Policy : resync\n\n"
                        + "              Name : h:t\n")
                .containsPattern("\n       0 +\\d+ +\\d+ +0      active sync   \\S*m0.img\n")
                .containsPattern("\n       1 +\\d+ +\\d+ +1      active sync   \\S*m1.img\n$");
        assertThat(jdm("mdadm", "/dev/md0")).isEqualTo(new Run(0,
                "/dev/md0: 15.00MiB raid1 2 devices, 0 spares. Use mdadm --detail for more detail.\n", ""));
        Run q = jdm("mdadm", "m0.img");
        assertThat(q.out()).isEqualTo("m0.img: is not an md array\n"
                + "m0.img: device 0 in 2 device inactive raid1 array.  Use mdadm --examine for more detail.\n");
        assertThat(jdm("mdadm", "nothere.img")).isEqualTo(
                new Run(1, "", "mdadm: cannot open nothere.img: No such file or directory\n"));
        assertThat(jdm("mdstat").out()).startsWith("Personalities : ").contains("\nmd0 : active raid1 ")
                .contains("\n      15360 blocks super 1.2 [2/2] [UU]\n").endsWith("unused devices: <none>\n");

        assertThat(jdm("mdadm", "/dev/md0", "--fail", "m1.img")).isEqualTo(
                new Run(0, "", "mdadm: set m1.img faulty in /dev/md0\n"));
        assertThat(jdm("mdadm", "--detail", "/dev/md0").out()).contains("State : clean, degraded \n")
                .contains("\n       -       0        0        1      removed\n\n")
                .containsPattern("\n       1 +\\d+ +\\d+        -      faulty   \\S*m1.img\n$");
        assertThat(jdm("mdstat").out()).contains("[2/1] [U_]");
        assertThat(jdm("mdadm", "--manage", "/dev/md0", "--remove", "m1.img")).isEqualTo(
                new Run(0, "", "mdadm: hot removed m1.img from /dev/md0\n"));
        assertThat(jdm("mdadm", "/dev/md0", "--add", "m2.img")).isEqualTo(new Run(0, "", "mdadm: added m2.img\n"));
        idle();
        assertThat(jdm("mdadm", "--detail", "/dev/md0").out()).contains("State : clean \n")
                .containsPattern("\n +\\d+ +\\d+ +\\d+ +1      active sync   \\S*m2.img\n$");
        assertThat(jdm("md", "attr", "md0", "mismatch_cnt").out()).isEqualTo("0\n");
        assertThat(jdm("md", "attr", "md0", "sync_action", "bogus")).isEqualTo(
                new Run(1, "", "jdm md attr: write error: Invalid argument\n"));

        assertThat(jdm("mdadm", "/dev/md0", "--add", "m3.img")).isEqualTo(new Run(0, "", "mdadm: added m3.img\n"));
        assertThat(jdm("mdadm", "--detail", "/dev/md0").out()).containsPattern(
                "\n\n +\\d+ +\\d+ +\\d+        -      spare   \\S*m3.img\n$");
        assertThat(jdm("mdstat").out()).containsPattern("m3.img\\[\\d+]\\(S\\)");
        assertThat(jdm("mdadm", "--stop", "/dev/md0")).isEqualTo(new Run(0, "", "mdadm: stopped /dev/md0\n"));
        assertThat(jdm("mdadm", "--stop", "/dev/md0")).isEqualTo(
                new Run(1, "", "mdadm: error opening /dev/md0: No such file or directory\n"));
        assertThat(jdm("mdadm", "--detail", "/dev/md0")).isEqualTo(
                new Run(1, "", "mdadm: cannot open /dev/md0: No such file or directory\n"));

        Optional<Path> mdadm = mdadm();
        if (mdadm.isPresent()) {
            for (String m : List.of("m0.img", "m2.img")) {
                Run ours = jdm("mdadm", "--examine", "--homehost=h", m);
                assertThat(ours.status()).isZero();
                assertThat(ours.out()).isEqualTo(real(mdadm.get(), "--examine", "--homehost=h", m))
                        .contains("     Raid Level : raid1\n").contains("          State : clean\n");
            }
        }

        if (mdadm.isPresent()) {
            String[] brief = {"--examine", "--brief", "m0.img", "m1.img", "m2.img", "m3.img"};
            Run ours = jdm(prepend("mdadm", brief));
            assertThat(ours.out()).isEqualTo(real(mdadm.get(), brief)).contains("\n   spares=");
        }
        assertThat(jdm("mdadm", "--assemble", "/dev/md0")).isEqualTo(
                new Run(1, "", "mdadm: /dev/md0 not identified in config file.\n"));
        r = jdm("mdadm", "--assemble", "/dev/md0", "m0.img", "m2.img");
        assertThat(r.status()).as(r.toString()).isZero();
        assertThat(r.err()).isEqualTo("mdadm: /dev/md0 has been started with 2 drives.\n");
        assertThat(jdm("mdadm", "--detail", "--brief", "/dev/md0").out()).matches(
                "ARRAY /dev/md0 metadata=1\\.2 name=h:t UUID=[0-9a-f]{8}(:[0-9a-f]{8}){3}\n");
        assertThat(jdm("mdadm", "--stop", "--scan").err()).isEqualTo("mdadm: stopped /dev/md0\n");
    }

    @Test
    void refusalsComeBackAsMdadmsMessages() {
        Run r = jdm("mdadm", "--create", "/dev/md0", "--run", "-l5", "-n3", "m0.img", "m1.img", "nothere.img");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).startsWith("mdadm: Defaulting to version 1.2 metadata\nmdadm: ")
                .contains("nothere.img");
        assertThat(arrays.list()).isEmpty();
        assertThat(jdm("mdadm", "/dev/md7", "--fail", "m0.img")).isEqualTo(
                new Run(1, "", "mdadm: error opening /dev/md7: No such file or directory\n"));
        assertThat(jdm("md", "attr", "speed_limit_max").out()).isEqualTo("200000\n");
    }

    static String[] prepend(String first, String... rest) {
        return Stream.concat(Stream.of(first), Stream.of(rest)).toArray(String[]::new);
    }

    static Optional<Path> mdadm() {
        return Stream.concat(Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, "mdadm")), Stream.of(Path.of("/usr/sbin/mdadm")))
                .filter(Files::isExecutable).findFirst();
    }

    String real(Path mdadm, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(mdadm.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("TZ", ZoneId.systemDefault().getId());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
