package jdm.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a real NBD client (nbdinfo, nbdsh, qemu-img...) for a test, bounded in time; a client that is not installed
 * skips the test. The system's /usr/bin comes first on PATH: nbdsh runs "python3 -m nbd", and the distribution's
 * python has the module where a pyenv shim may not.
 */
public final class Clients {
    /** A finished command: its exit status and its stdout and stderr together. */
    public record Result(int exit, String output) {
    }

    private Clients() {
    }

    /** Runs command; fails the test unless it exits 0; returns its output. */
    public static String run(String... command) throws Exception {
        Result r = exec(List.of(command));
        assertThat(r.exit()).as("%s failed:%n%s", String.join(" ", command), r.output()).isZero();
        return r.output();
    }

    /** Runs command to its end (at most 60 s) whatever its exit status. */
    public static Result exec(List<String> command) throws Exception {
        assumeTrue(onPath(command.getFirst()), command.getFirst() + " is not installed");
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("PATH", "/usr/bin:/bin:" + env.getOrDefault("PATH", ""));
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " timed out");
        }
        return new Result(p.exitValue(), new String(out));
    }

    private static boolean onPath(String tool) {
        for (String d : ("/usr/bin:/bin:" + System.getenv().getOrDefault("PATH", "")).split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
