package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** Runs the real NBD clients (nbdcopy, nbdinfo, qemu-img): skips the test when one is missing. */
final class Tools {
    private Tools() {
    }

    static boolean present(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    static void need(String... tools) {
        for (String t : tools) {
            Assumptions.assumeTrue(present(t), t + " not installed (bash .ci/install-tools.sh)");
        }
    }

    /** Runs a command to completion (bounded), fails the test on a non-zero exit, returns its stdout. */
    static String run(String... cmd) throws Exception {
        Process p = start(cmd);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("%s finished in time", List.of(cmd)).isTrue();
        assertThat(p.exitValue()).as("%s exit status; output:%n%s", List.of(cmd), out).isZero();
        return out;
    }

    /** nbdsh (python3 -m nbd) under the system python, which has the libnbd module (a python3 earlier on PATH may not). */
    static String[] nbdsh(String... args) {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "/usr/bin/python3";
        cmd[1] = "-m";
        cmd[2] = "nbd";
        System.arraycopy(args, 0, cmd, 3, args.length);
        return cmd;
    }

    static Process start(String... cmd) throws Exception {
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }
}
