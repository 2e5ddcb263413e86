package jdm.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import jdm.block.DataRegion;
import jdm.block.dev.FileDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Payloads spliced from a socket into a file: the bytes land at the offset (arriving in pieces, more than the
 * pipe holds), the stream stays in step after a write to the file fails (the rest of the payload is read past and
 * the errno returned), and a peer that leaves mid-payload is an end of stream. Without a splicer (TLS) the same
 * payloads go through the reader's read-ahead, with the same outcomes.
 */
@Timeout(30)
class SocketSpliceTest {
    @TempDir
    Path dir;

    private interface Body {
        void run(SocketChannel client, SocketChannel server, SocketSplice splice) throws Exception;
    }

    private void withSplice(Body body) throws Exception {
        Path p = dir.resolve("s");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(p));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(p));
                    SocketChannel accepted = listener.accept()) {
                SocketSplice splice = SocketSplice.of(accepted);
                assertThat(splice).as("splice, a pipe and the descriptor are available").isNotNull();
                try {
                    body.run(client, accepted, splice);
                } finally {
                    splice.close();
                }
            }
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Sends data in pieces with short pauses, from another thread. */
    private static Thread sendInPieces(SocketChannel client, byte[] data, int piece) {
        return Thread.ofPlatform().start(() -> {
            try {
                for (int at = 0; at < data.length; at += piece) {
                    client.write(ByteBuffer.wrap(data, at, Math.min(piece, data.length - at)));
                    Thread.sleep(2);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void bytesArrivingInPiecesLandAtTheOffset() throws Exception {
        Path img = Files.write(dir.resolve("f.img"), new byte[8 << 20]);
        byte[] payload = random((3 << 20) + 512, 1); // three pipes' worth and then some
        try (FileDevice file = FileDevice.open(img, false);
                DataRegion region = file.writeRegion(8, payload.length / 512)) {
            withSplice((client, server, splice) -> {
                Thread sender = sendInPieces(client, payload, 100_000);
                assertThat(splice.toFile(region.fd(), 4096, payload.length)).isZero();
                sender.join();
                client.write(ByteBuffer.wrap("NEXT".getBytes()));
                ByteBuffer next = ByteBuffer.allocate(4);
                server.read(next);
                assertThat(new String(next.array())).as("the stream is in step").isEqualTo("NEXT");
            });
        }
        byte[] onDisk = Files.readAllBytes(img);
        assertThat(Arrays.copyOfRange(onDisk, 4096, 4096 + payload.length)).isEqualTo(payload);
        assertThat(Arrays.copyOfRange(onDisk, 0, 4096)).isEqualTo(new byte[4096]);
    }

    @Test
    void aFailedFileWriteReturnsItsErrnoAndReadsThePayloadPast() throws Exception {
        byte[] payload = random(1 << 21, 2);
        withSplice((client, server, splice) -> {
            Thread sender = sendInPieces(client, payload, 300_000);
            assertThat(splice.toFile(-1, 0, payload.length)).as("no such descriptor").isEqualTo(9); // EBADF
            sender.join();
            client.write(ByteBuffer.wrap("NEXT".getBytes()));
            ByteBuffer next = ByteBuffer.allocate(4);
            server.read(next);
            assertThat(new String(next.array())).as("the payload was read past").isEqualTo("NEXT");
        });
    }

    @Test
    void aPeerLeavingMidPayloadIsTheEndOfTheStream() throws Exception {
        Path img = Files.write(dir.resolve("f.img"), new byte[1 << 20]);
        try (FileDevice file = FileDevice.open(img, false);
                DataRegion region = file.writeRegion(0, 2048)) {
            withSplice((client, server, splice) -> {
                client.write(ByteBuffer.wrap(random(100_000, 3)));
                client.close();
                assertThatThrownBy(() -> splice.toFile(region.fd(), 0, 1 << 20)).isInstanceOf(EOFException.class);
            });
        }
        assertThat(Arrays.copyOfRange(Files.readAllBytes(img), 0, 100_000)).as("what came is written")
                .isEqualTo(random(100_000, 3));
    }

    @Test
    void withoutASplicerPayloadsGoThroughTheReadAhead() throws Exception {
        Path img = Files.write(dir.resolve("f.img"), new byte[4 << 20]);
        byte[] payload = random((1 << 20) + 4096, 4); // many read-ahead buffers' worth
        byte[] lost = random(300_000, 5);
        try (FileDevice file = FileDevice.open(img, false);
                DataRegion region = file.writeRegion(0, 8192)) {
            withSplice((client, server, unused) -> {
                SocketInput in = new SocketInput(server, ByteBuffer.allocateDirect(64 << 10));
                Thread sender = sendInPieces(client, payload, 100_000);
                assertThat(in.readFully(region.file(), region.fd(), 512, payload.length)).isZero();
                sender.join();
                // a write to the file that fails (its channel closed): the errno, and the payload read past
                java.nio.channels.FileChannel closed = java.nio.channels.FileChannel.open(img);
                closed.close();
                sender = sendInPieces(client, lost, 100_000);
                assertThat(in.readFully(closed, -1, 0, lost.length)).as("EIO").isEqualTo(5);
                sender.join();
                client.write(ByteBuffer.wrap("NEXT".getBytes()));
                int next = ByteBuffer.wrap("NEXT".getBytes()).getInt();
                assertThat(in.readInt()).as("the stream is in step").isEqualTo(next);
            });
        }
        assertThat(Arrays.copyOfRange(Files.readAllBytes(img), 512, 512 + payload.length)).isEqualTo(payload);
    }
}
