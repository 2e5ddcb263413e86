package jdm.md.sb;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** The host's real mdadm (Debian's 4.2), run on member files; tests skip where it is not installed. */
final class MdadmTool {
    private MdadmTool() {
    }

    static Optional<Path> find() {
        Stream<Path> path = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, "mdadm"));
        return Stream.concat(path, Stream.of(Path.of("/usr/sbin/mdadm"), Path.of("/sbin/mdadm")))
                .filter(Files::isExecutable).findFirst();
    }

    static Path require() {
        Optional<Path> m = find();
        Assumptions.assumeTrue(m.isPresent(), "mdadm not installed (apt-get install -y mdadm): skipped");
        return m.get();
    }

    /** Runs mdadm with these arguments; returns stdout+stderr (the exit status is not judged here). */
    static String run(String... args) throws IOException, InterruptedException {
        return run(false, args);
    }

    /** {@link #run} with TZ=UTC, so the times it prints are UTC. */
    static String runUtc(String... args) throws IOException, InterruptedException {
        return run(true, args);
    }

    private static String run(boolean utc, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(require().toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (utc) {
            pb.environment().put("TZ", "UTC");
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("mdadm " + String.join(" ", args) + " did not finish");
        }
        return out;
    }
}
