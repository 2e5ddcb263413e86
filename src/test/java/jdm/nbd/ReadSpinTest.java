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

/** The reader's short spin before it blocks: it finds the descriptor (the test JVM exports sun.nio.ch as the jar's
 * manifest does), reads the bytes as soon as they are there, reports the end of the stream, gives up after its
 * bound when none come, and stops spinning (but for probes) while the client's gaps are longer than that, until
 * they are short again. */
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

    /** A one-byte direct buffer: each read takes one byte, so bytes written once serve many reads. */
    private static ByteBuffer oneByte() {
        return ByteBuffer.allocateDirect(1);
    }

    @Test
    void itReadsWhatIsThereAndGivesUpAfterItsBound() throws Exception {
        withSpin((client, spin) -> {
            ByteBuffer dst = ByteBuffer.allocateDirect(8);
            long t0 = System.nanoTime();
            assertThat(spin.read(dst)).as("nothing to read").isZero();
            long idle = System.nanoTime() - t0;
            assertThat(idle).as("nothing to read: spins its bound").isGreaterThanOrEqualTo(ReadSpin.SPIN_NANOS);
            assertThat(dst.position()).isZero();
            client.write(ByteBuffer.wrap(new byte[] {7, 8, 9}));
            assertThat(spin.read(dst)).isEqualTo(3);
            assertThat(dst.position()).isEqualTo(3);
            assertThat(dst.get(0)).isEqualTo((byte) 7);
            assertThat(dst.get(2)).isEqualTo((byte) 9);
            client.write(ByteBuffer.wrap(new byte[20]));
            long minIdle = Long.MAX_VALUE;
            for (int i = 0; i < 20; i++) { // readable: returns at once (the minimum, against scheduling noise)
                t0 = System.nanoTime();
                assertThat(spin.read(oneByte())).isEqualTo(1);
                minIdle = Math.min(minIdle, System.nanoTime() - t0);
            }
            assertThat(minIdle).isLessThan(ReadSpin.SPIN_NANOS);
            client.close();
            assertThat(spin.read(oneByte())).as("end of stream").isEqualTo(-1);
        });
    }

    @Test
    void itStopsSpinningForASlowClientAndResumesWhenItIsQuickAgain() throws Exception {
        withSpin((client, spin) -> {
            for (int i = 0; i < 40; i++) { // a slow client: each spin runs out, the read then waits 300 us more
                assertThat(spin.read(oneByte())).isZero();
                Thread.sleep(0, 300_000);
                spin.readDone();
            }
            assertThat(spin.gapNanos()).isGreaterThan(ReadSpin.SPIN_NANOS);
            long before = spin.spins();
            for (int i = 0; i < 4 * ReadSpin.PROBE_EVERY; i++) {
                spin.read(oneByte());
                spin.readDone();
            }
            assertThat(spin.spins() - before).as("only the probes spin").isEqualTo(4);

            client.write(ByteBuffer.wrap(new byte[1000 * ReadSpin.PROBE_EVERY])); // quick again: data at once
            // well under the bound, so that one wait stretched by scheduling noise cannot tip it back over
            for (int i = 0; i < 100 * ReadSpin.PROBE_EVERY && spin.gapNanos() > ReadSpin.SPIN_NANOS / 8; i++) {
                spin.read(oneByte());
                spin.readDone();
            }
            assertThat(spin.gapNanos()).isLessThanOrEqualTo(ReadSpin.SPIN_NANOS / 8);
            before = spin.spins();
            for (int i = 0; i < 10; i++) {
                assertThat(spin.read(oneByte())).isEqualTo(1);
                spin.readDone();
            }
            assertThat(spin.spins() - before).as("every wait spins again").isEqualTo(10);
        });
    }
}
