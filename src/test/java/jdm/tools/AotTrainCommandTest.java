package jdm.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import jdm.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The launcher's training run for the servers' AOT cache: its workload runs to the end without an NBD error (every
 * request is checked) and leaves nothing behind in the temporary directory.
 */
@Timeout(120)
class AotTrainCommandTest {
    private static long trainingDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("jdm-aot-train")).count();
        }
    }

    @Test
    void theWorkloadRunsCleanAndLeavesNothingBehind() throws Exception {
        long before = trainingDirs();
        assertThat(Main.commandLine().execute("aot-train")).isZero();
        assertThat(trainingDirs()).isEqualTo(before);
    }
}
