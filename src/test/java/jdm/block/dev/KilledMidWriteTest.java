package jdm.block.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process killed with SIGKILL in the middle of small writes to a file leaves every page-aligned 4 KiB block old
 * or new, never part of each, as when the kernel's pwrite is interrupted. A child JVM writes through a FileDevice
 * as fast as it can, the way the server does (direct buffers, pages the page cache holds: the mapping's path), and
 * is killed at a random moment; then every block must hold one write's bytes. A copy into the mapping done by the
 * process itself (memcpy) failed this in most kills; the kernel's copy cannot be stopped inside a page.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KilledMidWriteTest {
    static final int GROUPS = 8; // of FileMapping.MAX_COPY bytes: the largest writes that go by copy
    static final int PATTERNS = 16;
    static final int BLOCKS = GROUPS * FileMapping.MAX_COPY / 4096;
    static final int KILLS = 16;

    @TempDir
    Path dir;

    /**
     * The child: writes group i % GROUPS with pattern i % PATTERNS (every long of it that number + 1) until
     * killed, so that it spends most of its time in the copies; each group alternates between two patterns.
     */
    public static void main(String[] args) throws Exception {
        ByteBuffer[] patterns = new ByteBuffer[PATTERNS];
        for (int p = 0; p < PATTERNS; p++) {
            patterns[p] = ByteBuffer.allocateDirect(FileMapping.MAX_COPY).order(ByteOrder.LITTLE_ENDIAN);
            for (int j = 0; j < FileMapping.MAX_COPY; j += 8) {
                patterns[p].putLong(j, p + 1);
            }
        }
        int sectors = FileMapping.MAX_COPY / Bio.SECTOR_SIZE;
        try (FileDevice d = FileDevice.open(Path.of(args[0]), false)) {
            for (long i = 0; ; i++) {
                ByteBuffer data = patterns[(int) (i % PATTERNS)].clear();
                BlkStatus s = new Bio(Op.WRITE, 0, d, (i % GROUPS) * sectors, sectors, data, null).submitAndWait();
                if (s != BlkStatus.OK) {
                    throw new IllegalStateException("write " + i + ": " + s);
                }
                if (i == 10_000) {
                    System.out.println("copies " + d.mapping().copies()); // the parent kills from now on
                    System.out.flush();
                }
            }
        }
    }

    @Test
    void everyBlockIsOldOrNewAfterAKillMidWrite() throws Exception {
        Path file = dir.resolve("blocks.img");
        Random rnd = new Random(5);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> torn = new ArrayList<>();
        for (int kill = 0; kill < KILLS; kill++) {
            Files.write(file, new byte[BLOCKS * 4096]); // written just now: the page cache holds it
            Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), KilledMidWriteTest.class.getName(), file.toString())
                    .redirectErrorStream(true).start();
            String line = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
            assertThat(line).startsWith("copies ");
            if (FileMapping.writesByCopy()) { // else (a seccomp filter refused the call) it checks pwrite alone
                assertThat(line).as("the child wrote through the mapping").isNotEqualTo("copies 0");
            }
            Thread.sleep(rnd.nextInt(40));
            p.destroyForcibly(); // SIGKILL
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            for (int b = 0; b < BLOCKS; b++) { // a 4 KiB block is one page here: whole, as with pwrite
                long first = all.getLong(b * 4096);
                for (int j = 8; j < 4096; j += 8) {
                    if (all.getLong(b * 4096 + j) != first) {
                        torn.add("kill " + kill + ": block " + b + " holds pattern " + first + " up to byte " + j
                                + ", then pattern " + all.getLong(b * 4096 + j));
                        break;
                    }
                }
            }
        }
        assertThat(torn).isEmpty();
    }
}
