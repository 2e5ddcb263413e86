package jdm.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The kernel oracle (../shared/oracle/kernel-oracle.sh: a real Linux kernel under qemu running a script with image
 * files as /dev/vda, /dev/vdb, ...) for differential tests. A test skips only when qemu-system-x86_64 is absent;
 * qemu present but the oracle missing, or any oracle failure, fails it.
 */
public final class KernelOracle {
    public static final Path SCRIPT = Path.of("../shared/oracle/kernel-oracle.sh");

    private KernelOracle() {
    }

    public static boolean qemuPresent() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, "qemu-system-x86_64")));
    }

    /** Skips the calling test where qemu is absent; fails it where qemu is there but the oracle is not. */
    public static void assumeAvailable() {
        Assumptions.assumeTrue(qemuPresent(), "kernel oracle skipped: qemu-system-x86_64 not installed"
                + " (install: bash ../shared/oracle/kernel-oracle.sh --install --build-only -k 6.1)");
        Assertions.assertTrue(Files.exists(SCRIPT), "qemu is installed but " + SCRIPT + " is missing");
    }

    /**
     * Runs the oracle with these arguments (options such as {@code -k 6.1 -t 300 -i FILE}, then the script, then the
     * images) and returns what the script printed; the test fails unless it exits 0.
     */
    public static String run(List<String> args) throws IOException, InterruptedException {
        assumeAvailable();
        List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        // KVM where /dev/kvm opens is not enough here: nested KVM on these machines hangs qemu; emulate.
        pb.environment().putIfAbsent("KERNEL_ORACLE_ACCEL", "tcg");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        assertThat(rc).as("kernel oracle failed:%n%s", out).isZero();
        return out;
    }
}
