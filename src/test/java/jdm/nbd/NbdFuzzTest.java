package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdm.testing.DeviceChecks;
import jdm.testing.MemoryDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded fuzzer for the NBD socket: each case is one connection sending a mostly valid handshake and requests
 * with random damage (bytes flipped, cut short, unknown options and commands, lengths up to 2^32-1, offsets near
 * 2^64, flags on the wrong commands), then hanging up; the server must close its side within seconds every time
 * (a hang fails the case, naming its seed). Beside it a well-behaved client writes and reads back its own export
 * and sees no error; at the end no connection, export, payload byte or descriptor is left held.
 *
 * <p>Cases: {@code -Djdm.fuzz.cases=N} (default 20,000, about 10 s here; the long mode is 1,000,000, about 8
 * minutes: {@code ./mvnw test -Dtest=NbdFuzzTest -Djdm.fuzz.cases=1000000}); seed: {@code -Djdm.fuzz.seed=S}.
 */
@Timeout(1200)
class NbdFuzzTest {
    private static final int CASES = Integer.getInteger("jdm.fuzz.cases", 20_000);
    private static final long SEED = Long.getLong("jdm.fuzz.seed", 20261202L);

    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;

    @Test
    void malformedStreamsNeitherHangNorDisturbAWellBehavedClient() throws Exception {
        Path sock = dir.resolve("nbd.sock");
        MapExports exports = MapExports.builder()
                .add("fuzz", checks.wrap(new MemoryDisk("fuzz", 2048)))
                .add("good", checks.wrap(new MemoryDisk("good", 2048)))
                .build();
        NbdServer server = new NbdServer(exports).handshakeTimeout(Duration.ofSeconds(5)).listenUnix(sock).start();
        try (server; RawClient good = RawClient.connect(sock).open("good")) {
            long fdsBefore = Long.MAX_VALUE; // measured once the first cases have loaded every class they need
            byte[] pattern = new byte[4096];
            SplittableRandom rnd = new SplittableRandom(SEED);
            for (int i = 0; i < CASES; i++) {
                long caseSeed = rnd.nextLong();
                runCase(sock, caseSeed, i);
                if (i == Math.min(1000, CASES - 1)) {
                    fdsBefore = openFds();
                }
                if (i % 1000 == 0) {
                    Arrays.fill(pattern, (byte) i);
                    long off = 4096L * (i / 1000 % 256);
                    assertThat(good.write(off, pattern)).as("the good client's write after case %d", i).isZero();
                    assertThat(good.read(off, 4096)).as("its read-back").isEqualTo(pattern);
                }
            }
            for (int i = 0; i < 500 && server.connectionCount() != 1; i++) {
                Thread.sleep(10);
            }
            assertThat(server.connectionCount()).as("only the good client left").isEqualTo(1);
            assertThat(exports.openCount("fuzz")).isZero();
            assertThat(openFds()).as("open descriptors after the cases").isLessThanOrEqualTo(fdsBefore + 2);
        }
        assertThat(server.inflightBytes()).isZero();
        assertThat(exports.openCount("good")).isZero();
    }

    private static long openFds() throws java.io.IOException {
        try (var fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /** One connection: a damaged stream, then end of input; the server must close within the deadline. */
    private static void runCase(Path sock, long seed, int index) throws Exception {
        byte[] stream = damaged(new SplittableRandom(seed));
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            ch.configureBlocking(false);
            ByteBuffer out = ByteBuffer.wrap(stream);
            ByteBuffer in = ByteBuffer.allocate(64 << 10);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            boolean shut = false;
            while (true) {
                if (out.hasRemaining()) {
                    try {
                        ch.write(out);
                    } catch (java.io.IOException closedByServer) {
                        out.position(out.limit()); // the server hung up on us: fine
                    }
                } else if (!shut) {
                    try {
                        ch.shutdownOutput();
                    } catch (java.io.IOException gone) {
                        // already closed by the server
                    }
                    shut = true;
                }
                int n;
                try {
                    n = ch.read(in.clear());
                } catch (java.io.IOException reset) {
                    return;
                }
                if (n < 0) {
                    return; // the server closed its side
                }
                if (n == 0) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("case " + index + " (seed " + seed + "): the server did not close"
                                + " the connection; stream " + stream.length + " bytes");
                    }
                    Thread.sleep(0, 200_000);
                }
            }
        }
    }

    /** A plausible client stream (flags, options, GO, requests) with random damage. */
    static byte[] damaged(SplittableRandom r) {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        b.putInt(r.nextInt(8) == 0 ? r.nextInt() : FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES);
        int options = r.nextInt(3);
        for (int i = 0; i < options; i++) {
            int opt = r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(12);
            byte[] data = new byte[r.nextInt(4) == 0 ? r.nextInt(64) : 0];
            r.nextBytes(data);
            b.putLong(IHAVEOPT).putInt(opt).putInt(r.nextInt(10) == 0 ? r.nextInt() : data.length).put(data);
        }
        byte[] name = (r.nextInt(10) == 0 ? "nope" : "fuzz").getBytes(StandardCharsets.UTF_8);
        if (r.nextInt(6) == 0) {
            b.putLong(IHAVEOPT).putInt(OPT_EXPORT_NAME).putInt(name.length).put(name);
        } else {
            b.putLong(IHAVEOPT).putInt(OPT_GO).putInt(4 + name.length + 2 + 2).putInt(name.length).put(name)
                    .putShort((short) 1).putShort((short) INFO_BLOCK_SIZE);
        }
        int requests = r.nextInt(6);
        for (int i = 0; i < requests && b.remaining() > 4096 + 28; i++) {
            int type = r.nextInt(5) == 0 ? r.nextInt(1 << 16) : new int[] {CMD_READ, CMD_WRITE, CMD_FLUSH, CMD_TRIM,
                    CMD_WRITE_ZEROES, CMD_DISC}[r.nextInt(6)];
            int flags = r.nextInt(4) == 0 ? r.nextInt(1 << 16) : r.nextInt(4);
            long offset = switch (r.nextInt(5)) {
                case 0 -> -1L - r.nextInt(1 << 20);        // near 2^64
                case 1 -> r.nextLong();
                default -> 512L * r.nextInt(2048 + 16);   // in range, or just past the end
            };
            long length = switch (r.nextInt(5)) {
                case 0 -> 0xffffffffL - r.nextInt(1 << 10); // up to 2^32-1
                case 1 -> r.nextInt() & 0xffffffffL;
                default -> 512L * r.nextInt(9);
            };
            b.putInt(r.nextInt(20) == 0 ? r.nextInt() : REQUEST_MAGIC).putShort((short) flags)
                    .putShort((short) type).putLong(r.nextLong()).putLong(offset).putInt((int) length);
            if (type == CMD_WRITE) {
                int send = (int) Math.min(length, r.nextInt(3) == 0 ? r.nextInt(4096) : 4096);
                b.put(new byte[Math.min(send, b.remaining())]); // all of a small payload, or part of a large one
            }
        }
        b.flip();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        int flips = r.nextInt(3) == 0 ? r.nextInt(4) : 0;
        for (int i = 0; i < flips && bytes.length > 0; i++) {
            bytes[r.nextInt(bytes.length)] ^= (byte) (1 << r.nextInt(8));
        }
        int keep = r.nextInt(4) == 0 && bytes.length > 0 ? r.nextInt(bytes.length) : bytes.length; // cut short
        s.write(bytes, 0, keep);
        return s.toByteArray();
    }
}
