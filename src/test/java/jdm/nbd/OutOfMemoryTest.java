package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import jdm.control.ControlClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon short of direct memory (a child JVM with -XX:MaxDirectMemorySize=40m) answers a 32 MiB WRITE it cannot
 * buffer, and a 32 MiB READ it has no reply buffer for, with ENOMEM and goes on serving the connection; once the
 * client leaves, the device is not left busy (the failed allocation used to keep the in-flight count, so remove
 * failed with EBUSY until a restart).
 */
@Timeout(120)
class OutOfMemoryTest {
    @TempDir
    Path dir;

    @Test
    void aPayloadThatCannotBeBufferedGetsEnomemAndReleasesEverything() throws Exception {
        Path nbd = dir.resolve("nbd.sock");
        Path ctl = dir.resolve("ctl.sock");
        Path log = dir.resolve("daemon.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-XX:MaxDirectMemorySize=40m",
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "jdm.Main", "daemon", "--socket",
                nbd.toString(), "--control", ctl.toString(), "--port", "0", "--ram-disks", "1")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            for (int i = 0; i < 300 && !(Files.exists(nbd) && Files.exists(ctl)); i++) {
                assertThat(p.isAlive()).as("daemon exited: %s", Files.readString(log)).isTrue();
                Thread.sleep(50);
            }
            ControlClient control = new ControlClient(ctl);
            control.create("big", null, false, "0 131072 zero", dir);
            try (RawClient c = RawClient.connect(nbd).open("big")) {
                // 1 + 2 + ... + 16 MiB, then 32 MiB beside the 16: more than 40 MiB of direct memory.
                assertThat(c.write(0, new byte[MAX_PAYLOAD])).isEqualTo(NbdErrno.ENOMEM);
                assertThat(c.write(0, new byte[4096])).isZero(); // the stream stayed in step
                // The pool now keeps the 1..16 MiB buffers: a 32 MiB read reply does not fit beside them either.
                c.request(0, CMD_READ, 9, 0, MAX_PAYLOAD, null);
                RawClient.Reply r = c.readReply();
                assertThat(r.handle()).isEqualTo(9);
                assertThat(r.error()).isEqualTo(NbdErrno.ENOMEM);
                assertThat(Arrays.equals(c.read(0, 4096), new byte[4096])).isTrue();
            }
            for (int i = 0; ; i++) {
                try {
                    control.remove("big", false);
                    break;
                } catch (jdm.control.ControlException busy) {
                    assertThat(i).as("the device is still busy: %s", busy.getMessage()).isLessThan(200);
                    Thread.sleep(25); // the connection's close may lag the client's by a moment
                }
            }
            assertThat(control.list()).isEmpty();
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
    }
}
