package jdm.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The reader's short poll before it blocks: it finds the descriptor (the test JVM exports sun.nio.ch as the jar's
 * manifest does), returns as soon as bytes are there, and gives up after its bound when none come. */
@Timeout(10)
class ReadSpinTest {
    @TempDir
    Path dir;

    @Test
    void itReturnsWhenDataIsThereAndGivesUpAfterItsBound() throws Exception {
        Path p = dir.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(p));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(p));
                    SocketChannel accepted = server.accept()) {
                ReadSpin spin = ReadSpin.of(accepted);
                assertThat(spin).as("the descriptor is reachable").isNotNull();
                long t0 = System.nanoTime();
                spin.await();
                long idle = System.nanoTime() - t0;
                assertThat(idle).as("nothing to read: spins its bound").isGreaterThanOrEqualTo(ReadSpin.SPIN_NANOS);
                client.write(ByteBuffer.wrap(new byte[] {1}));
                long minIdle = Long.MAX_VALUE;
                for (int i = 0; i < 20; i++) { // readable: returns at once (the minimum, against scheduling noise)
                    t0 = System.nanoTime();
                    spin.await();
                    minIdle = Math.min(minIdle, System.nanoTime() - t0);
                }
                assertThat(minIdle).isLessThan(ReadSpin.SPIN_NANOS);
            }
        }
    }
}
