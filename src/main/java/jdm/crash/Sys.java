package jdm.crash;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the system tools the ext4 workload needs (bounded in time, output captured). */
final class Sys {
    record Result(int status, String output) {
    }

    private Sys() {
    }

    static Path which(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (String d : path.split(File.pathSeparator)) {
            Path p = Path.of(d.isEmpty() ? "." : d, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Runs a command to completion within the timeout; returns its exit status and output (stdout + stderr). */
    static Result exec(int timeoutSeconds, String... cmd) throws IOException, InterruptedException {
        Path tool = which(cmd[0]);
        String[] full = cmd.clone();
        if (tool != null) {
            full[0] = tool.toString();
        }
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            return new Result(-1, String.join(" ", cmd) + " timed out");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** As exec, but a non-zero status is an IOException naming the command and its output. */
    static String run(int timeoutSeconds, String... cmd) throws IOException, InterruptedException {
        Result r = exec(timeoutSeconds, cmd);
        if (r.status() != 0) {
            throw new IOException(String.join(" ", List.of(cmd)) + " failed (exit " + r.status() + "): "
                    + r.output().strip());
        }
        return r.output();
    }
}
