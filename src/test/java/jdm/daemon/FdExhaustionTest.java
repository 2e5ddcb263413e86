package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdm.control.ControlClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon run out of file descriptors by its clients keeps both accept loops alive and serves again once the
 * descriptors come back. The daemon is a child JVM under {@code ulimit -n 256}; this test opens NBD connections and
 * leaves them in the handshake until the daemon stops accepting, connects to the control socket too, then closes
 * its connections and expects the waiting ones served.
 */
@Timeout(120)
class FdExhaustionTest {
    private static final byte[] NBDMAGIC = "NBDMAGIC".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    @Test
    void bothAcceptLoopsServeAgainOnceDescriptorsFreeUp() throws Exception {
        Path nbd = dir.resolve("nbd.sock");
        Path ctl = dir.resolve("ctl.sock");
        Path log = dir.resolve("daemon.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cmd = "ulimit -n 256 && exec \"$0\" --enable-native-access=ALL-UNNAMED -Xmx256m -cp \"$1\" jdm.Main"
                + " daemon --socket \"$2\" --control \"$3\" --port 0 --ram-disks 1";
        Process p = new ProcessBuilder("bash", "-c", cmd, java, System.getProperty("java.class.path"),
                nbd.toString(), ctl.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        List<SocketChannel> held = new ArrayList<>();
        try {
            for (int i = 0; i < 300 && !(Files.exists(nbd) && Files.exists(ctl)); i++) {
                assertThat(p.isAlive()).as("daemon exited: %s", read(log)).isTrue();
                Thread.sleep(50);
            }
            ControlClient control = new ControlClient(ctl);
            assertThat(control.driverVersion()).isNotEmpty();

            SocketChannel waiting = null;
            while (waiting == null) {
                assertThat(held.size()).as("connections before the daemon ran out of descriptors").isLessThan(400);
                SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(nbd));
                if (greeted(c, 2000)) {
                    held.add(c);
                } else {
                    waiting = c; // in the listen backlog: the daemon cannot accept it
                }
            }
            // The control socket cannot accept now either; its loop must back off and survive.
            SocketChannel controlWaiting = SocketChannel.open(UnixDomainSocketAddress.of(ctl));
            Thread.sleep(1500);
            assertThat(p.isAlive()).isTrue();
            controlWaiting.close();

            for (SocketChannel c : held) {
                c.close();
            }
            held.clear();
            assertThat(greeted(waiting, 20_000)).as("the waiting connection is served: %s", read(log)).isTrue();
            waiting.close();
            try (SocketChannel fresh = SocketChannel.open(UnixDomainSocketAddress.of(nbd))) {
                assertThat(greeted(fresh, 10_000)).isTrue();
            }
            assertThat(control.driverVersion()).isNotEmpty();
            String out = read(log);
            assertThat(out).contains("accept failed, backing off").contains("accepting connections again")
                    .doesNotContain("Exception in thread");
        } finally {
            for (SocketChannel c : held) {
                c.close();
            }
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
    }

    /** Whether the server's greeting (NBDMAGIC...) arrives on c within the time given. */
    private static boolean greeted(SocketChannel c, long millis) throws IOException, InterruptedException {
        c.configureBlocking(false);
        ByteBuffer b = ByteBuffer.allocate(NBDMAGIC.length);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (b.hasRemaining() && System.nanoTime() < deadline) {
            if (c.read(b) < 0) {
                return false;
            }
            if (b.hasRemaining()) {
                Thread.sleep(5);
            }
        }
        return !b.hasRemaining() && java.util.Arrays.equals(b.array(), NBDMAGIC);
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }
}
