package jdm.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdm.block.dev.BackingFiles;
import jdm.dm.DeviceNamespace;
import jdm.dm.targets.BuiltinTargets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded fuzzer for the control socket: each case is one connection sending frames with random damage (bad
 * magic, lengths up to 2^32-1, truncated bodies, random value trees, real operation names with random arguments),
 * then hanging up; the server must close its side within seconds every time. A well-behaved client is served
 * throughout, and no connection or descriptor is left behind. Cases: {@code -Djdm.fuzz.cases=N} (default 20,000;
 * long mode 1,000,000), seed: {@code -Djdm.fuzz.seed=S}.
 */
@Timeout(1200)
class ControlFuzzTest {
    private static final int CASES = Integer.getInteger("jdm.fuzz.cases", 20_000);
    private static final long SEED = Long.getLong("jdm.fuzz.seed", 20261202L);
    private static final String[] OPS = {"version", "list", "create", "load", "clear", "suspend", "resume", "remove",
        "remove_all", "info", "table", "status", "deps", "message", "targets", "setuuid", "rename", "wait", "dmesg",
        "nope"};
    private static final String[] KEYS = {"op", "name", "uuid", "table", "readOnly", "cwd", "sector", "message",
        "event", "clear", "newName", "noflush", "force", "inactive"};

    @TempDir
    Path dir;

    @Test
    void malformedFramesNeitherHangNorDisturbAWellBehavedClient() throws Exception {
        Path sock = dir.resolve("control.sock");
        DeviceNamespace ns = new DeviceNamespace(BuiltinTargets.registry(), new BackingFiles());
        try (ControlServer server = ControlServer.start(ns, sock)) {
            ControlClient good = new ControlClient(sock);
            long fdsBefore = Long.MAX_VALUE; // measured once the first cases have loaded every class they need
            SplittableRandom rnd = new SplittableRandom(SEED);
            for (int i = 0; i < CASES; i++) {
                long seed = rnd.nextLong();
                runCase(sock, seed, i);
                if (i == Math.min(1000, CASES - 1)) {
                    fdsBefore = openFds();
                }
                if (i % 1000 == 0) {
                    assertThat(good.driverVersion()).as("the good client after case %d", i).isNotEmpty();
                }
            }
            long fds = openFds();
            for (int i = 0; i < 500 && fds > fdsBefore + 2; i++) {
                Thread.sleep(10);
                fds = openFds();
            }
            assertThat(fds).as("open descriptors after the cases").isLessThanOrEqualTo(fdsBefore + 2);
        } finally {
            for (int round = 0; round < 3; round++) {
                for (var md : ns.list()) {
                    try {
                        ns.remove(md.name());
                    } catch (Exception e) {
                        // a later round
                    }
                }
            }
        }
    }

    private static long openFds() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

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
                    } catch (IOException closedByServer) {
                        out.position(out.limit());
                    }
                } else if (!shut) {
                    try {
                        ch.shutdownOutput();
                    } catch (IOException gone) {
                        // closed by the server already
                    }
                    shut = true;
                }
                int n;
                try {
                    n = ch.read(in.clear());
                } catch (IOException reset) {
                    return;
                }
                if (n < 0) {
                    return;
                }
                if (n == 0) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("case " + index + " (seed " + seed + "): the server did not close"
                                + " the connection");
                    }
                    Thread.sleep(0, 200_000);
                }
            }
        }
    }

    static byte[] damaged(SplittableRandom r) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        int frames = 1 + r.nextInt(3);
        for (int f = 0; f < frames; f++) {
            byte[] body;
            if (r.nextInt(4) == 0) {
                body = new byte[r.nextInt(64)];
                r.nextBytes(body);
            } else {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("op", OPS[r.nextInt(OPS.length)]);
                int fields = r.nextInt(4);
                for (int i = 0; i < fields; i++) {
                    m.put(KEYS[r.nextInt(KEYS.length)], value(r, 0));
                }
                body = Wire.encode(m);
            }
            out.writeInt(r.nextInt(20) == 0 ? r.nextInt() : Wire.MAGIC);
            int length = switch (r.nextInt(10)) {
                case 0 -> -1 - r.nextInt(1 << 10);       // up to 2^32-1 as unsigned
                case 1 -> body.length + 1 + r.nextInt(100); // more than follows
                default -> body.length;
            };
            out.writeInt(length);
            out.write(body);
        }
        byte[] all = bytes.toByteArray();
        int flips = r.nextInt(3) == 0 ? r.nextInt(4) : 0;
        for (int i = 0; i < flips; i++) {
            all[r.nextInt(all.length)] ^= (byte) (1 << r.nextInt(8));
        }
        int keep = r.nextInt(4) == 0 ? r.nextInt(all.length) : all.length;
        return java.util.Arrays.copyOf(all, keep);
    }

    private static Object value(SplittableRandom r, int depth) {
        return switch (r.nextInt(depth > 2 ? 5 : 7)) {
            case 0 -> null;
            case 1 -> r.nextBoolean();
            case 2 -> r.nextInt(3) == 0 ? r.nextLong() : (long) r.nextInt(16);
            case 3 -> r.nextInt(3) == 0 ? "0 8 zero" : "v" + r.nextInt(4);
            case 4 -> "x".repeat(r.nextInt(300));
            case 5 -> {
                List<Object> l = new ArrayList<>();
                for (int i = r.nextInt(3); i > 0; i--) {
                    l.add(value(r, depth + 1));
                }
                yield l;
            }
            default -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = r.nextInt(3); i > 0; i--) {
                    m.put(KEYS[r.nextInt(KEYS.length)], value(r, depth + 1));
                }
                yield m;
            }
        };
    }
}
