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
 * manifest does), returns as soon as bytes are there, gives up after its bound when none come, and stops spinning
 * (but for probes) while the client's gaps are longer than that, until they are short again. */
@Timeout(10)
class ReadSpinTest {
    @TempDir
    Path dir;

    private interface Body {
        void run(SocketChannel client, ReadSpin spin) throws Exception;
    }

    /** Runs body with a connected Unix socket pair: the client's end, and a spinner on the accepted end. */
    private void withSpin(Body body) throws Exception {
        Path p = dir.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(p));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(p));
                    SocketChannel accepted = server.accept()) {
                ReadSpin spin = ReadSpin.of(accepted);
                assertThat(spin).as("the descriptor is reachable").isNotNull();
                body.run(client, spin);
            }
        }
    }

    @Test
    void itReturnsWhenDataIsThereAndGivesUpAfterItsBound() throws Exception {
        withSpin((client, spin) -> {
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
        });
    }

    @Test
    void itStopsSpinningForASlowClientAndResumesWhenItIsQuickAgain() throws Exception {
        withSpin((client, spin) -> {
            for (int i = 0; i < 40; i++) { // a slow client: each spin runs out, the read then waits 300 us more
                spin.await();
                Thread.sleep(0, 300_000);
                spin.readDone();
            }
            assertThat(spin.gapNanos()).isGreaterThan(ReadSpin.SPIN_NANOS);
            long before = spin.spins();
            for (int i = 0; i < 4 * ReadSpin.PROBE_EVERY; i++) {
                spin.await();
                spin.readDone();
            }
            assertThat(spin.spins() - before).as("only the probes spin").isEqualTo(4);

            client.write(ByteBuffer.wrap(new byte[] {1})); // quick again: data is there at once
            // well under the bound, so that one wait stretched by scheduling noise cannot tip it back over
            for (int i = 0; i < 100 * ReadSpin.PROBE_EVERY && spin.gapNanos() > ReadSpin.SPIN_NANOS / 8; i++) {
                spin.await();
                spin.readDone();
            }
            assertThat(spin.gapNanos()).isLessThanOrEqualTo(ReadSpin.SPIN_NANOS / 8);
            before = spin.spins();
            for (int i = 0; i < 10; i++) {
                spin.await();
                spin.readDone();
            }
            assertThat(spin.spins() - before).as("every wait spins again").isEqualTo(10);
        });
    }
}
