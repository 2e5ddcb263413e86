package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.testing.DeviceChecks;
import jdm.testing.FaultyDisk;
import jdm.testing.MemoryDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Listeners, connection handling and shutdown of {@link NbdServer}. */
@Timeout(60)
class NbdServerTest {
    @TempDir
    Path dir;

    /** Every exported device sits behind a checking wrapper: each bio in range, ended exactly once. */
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    private MapExports memory(String name) {
        return MapExports.of(name, checks.wrap(new MemoryDisk(name, 2048)));
    }

    @Test
    void tcpPortZeroBindsAnEphemeralPortThatClientsReach() throws IOException {
        try (NbdServer server = new NbdServer(memory("d")).listenTcp("127.0.0.1", 0).start()) {
            InetSocketAddress addr = server.tcpAddress();
            assertThat(addr.getPort()).isPositive();
            try (RawClient c = RawClient.connect(addr).open("d")) {
                assertThat(c.write(0, new byte[512])).isZero();
            }
        }
    }

    @Test
    void oneServerListensOnTcpAndAUnixSocketAtOnce() throws IOException {
        Path sock = dir.resolve("s");
        try (NbdServer server = new NbdServer(memory("d")).listenUnix(sock).listenTcp("127.0.0.1", 0).start()) {
            assertThat(server.addresses()).hasSize(2);
            try (RawClient a = RawClient.connect(sock).open("d");
                    RawClient b = RawClient.connect(server.tcpAddress()).open("")) {
                assertThat(a.write(0, filled(512, (byte) 9))).isZero();
                assertThat(b.read(0, 512)).containsOnly(9);
                assertThat(server.connectionCount()).isEqualTo(2);
            }
        }
    }

    @Test
    void theUnixSocketFileIsDeletedOnClose() throws IOException {
        Path sock = dir.resolve("s");
        NbdServer server = new NbdServer(memory("d")).listenUnix(sock).start();
        assertThat(sock).exists();
        server.close();
        assertThat(sock).doesNotExist();
    }

    @Test
    void aStaleSocketFileIsReplaced() throws IOException {
        Path sock = dir.resolve("s");
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(sock));
        dead.close(); // the file stays behind, as after a crash
        assertThat(sock).exists();
        try (NbdServer server = new NbdServer(memory("d")).listenUnix(sock).start();
                RawClient c = RawClient.connect(sock).open("d")) {
            assertThat(server.connectionCount()).isEqualTo(1);
            assertThat(c.read(0, 512)).hasSize(512);
        }
    }

    @Test
    void aLiveSocketOrARegularFileIsNotTakenOver() throws IOException {
        Path sock = dir.resolve("s");
        try (NbdServer first = new NbdServer(memory("d")).listenUnix(sock).start()) {
            assertThat(first.addresses()).hasSize(1);
            assertThatThrownBy(() -> new NbdServer(memory("d")).listenUnix(sock).start())
                    .isInstanceOf(BindException.class).hasMessageContaining("in use");
        }
        Path file = Files.writeString(dir.resolve("f"), "keep me");
        assertThatThrownBy(() -> new NbdServer(memory("d")).listenUnix(file).start())
                .isInstanceOf(BindException.class).hasMessageContaining("not a socket");
        assertThat(file).hasContent("keep me");
    }

    @Test
    void aFailedStartLeavesNoListenerBehind() throws IOException {
        Path sock = dir.resolve("s");
        try (ServerSocketChannel taken = ServerSocketChannel.open()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = ((InetSocketAddress) taken.getLocalAddress()).getPort();
            NbdServer server = new NbdServer(memory("d")).listenUnix(sock).listenTcp("127.0.0.1", port);
            assertThatThrownBy(server::start).isInstanceOf(IOException.class);
            assertThat(sock).doesNotExist();
            server.close();
        }
    }

    @Test
    void closeLetsInFlightRequestsReplyThenReleasesExports() throws Exception {
        Path sock = dir.resolve("s");
        TestDevices.Gated gated = new TestDevices.Gated(new MemoryDisk("m", 2048), Integer.MAX_VALUE);
        MapExports exports = MapExports.of("g", checks.wrap(gated));
        NbdServer server = new NbdServer(exports).listenUnix(sock).start();
        try (RawClient c = RawClient.connect(sock).open("g")) {
            c.request(0, CMD_READ, 5, 0, 512, null);
            c.request(0, CMD_WRITE, 6, 512, 512, new byte[512]);
            gated.awaitHeld(2);
            Thread closer = Thread.ofPlatform().start(server::close);
            Thread.sleep(300);
            assertThat(closer.isAlive()).as("close waits for the held requests").isTrue();
            assertThat(exports.openCount("g")).isEqualTo(1);
            gated.open();
            closer.join(10_000);
            assertThat(closer.isAlive()).isFalse();
            List<Long> handles = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                RawClient.Reply r = c.readReply();
                assertThat(r.error()).isZero();
                handles.add(r.handle());
                if (r.handle() == 5) {
                    c.readBytes(512);
                }
            }
            assertThat(handles).containsExactlyInAnyOrder(5L, 6L);
            assertThat(c.serverClosed()).isTrue();
            assertThat(exports.openCount("g")).isZero();
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void closeEndsConnectionsStillInTheHandshake() throws IOException {
        Path sock = dir.resolve("s");
        NbdServer server = new NbdServer(memory("d")).listenUnix(sock).start();
        try (RawClient c = RawClient.connect(sock).greet()) {
            server.close();
            assertThat(c.serverClosed()).isTrue();
        }
        assertThat(server.connectionCount()).isZero();
    }

    @Test
    void aClientThatVanishesMidRequestStillReleasesItsExport() throws Exception {
        Path sock = dir.resolve("s");
        TestDevices.Gated gated = new TestDevices.Gated(new MemoryDisk("m", 2048), Integer.MAX_VALUE);
        MapExports exports = MapExports.of("g", checks.wrap(gated));
        try (NbdServer server = new NbdServer(exports).listenUnix(sock).start()) {
            RawClient c = RawClient.connect(sock).open("g");
            c.request(0, CMD_READ, 1, 0, 4096, null);
            gated.awaitHeld(1);
            c.close();
            Thread.sleep(100);
            assertThat(exports.openCount("g")).isEqualTo(1); // the read is still in the device
            gated.open();
            for (int i = 0; i < 500 && exports.openCount("g") != 0; i++) {
                Thread.sleep(10);
            }
            assertThat(exports.openCount("g")).isZero();
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void clientsThatVanishWithManyRequestsOnASlowFailingDiskLeaveEveryBioEndedOnce() throws Exception {
        Path sock = dir.resolve("s");
        FaultyDisk disk = new FaultyDisk(new MemoryDisk("d", 4096)).delayCompletions(Duration.ofMillis(20))
                .failReads(1024, 64, BlkStatus.MEDIUM).failWrites(2048, 64, BlkStatus.NOSPC);
        MapExports exports = MapExports.of("d", checks.wrap(disk));
        try (NbdServer server = new NbdServer(exports).listenUnix(sock).start()) {
            for (int client = 0; client < 8; client++) {
                RawClient c = RawClient.connect(sock).open("d");
                for (int i = 0; i < 32; i++) {
                    long offset = (long) ((client * 32 + i) % 64) * 32768; // all over, the failing ranges too
                    if (i % 2 == 0) {
                        c.request(0, CMD_READ, i, offset, 4096, null);
                    } else {
                        c.request(0, CMD_WRITE, i, offset, 4096, new byte[4096]);
                    }
                }
                c.close(); // gone with its requests in the disk
            }
            for (int i = 0; i < 500 && (server.connectionCount() != 0 || exports.openCount("d") != 0); i++) {
                Thread.sleep(10);
            }
            assertThat(server.connectionCount()).isZero();
            assertThat(exports.openCount("d")).isZero();
            assertThat(disk.submits(Op.READ) + disk.submits(Op.WRITE)).isPositive();
        }
    }

    @Test
    void manyClientsAtOnceEachSeeTheirOwnData() throws Exception {
        int clients = 100;
        Path sock = dir.resolve("s");
        MapExports exports = MapExports.of("d", checks.wrap(new MemoryDisk("d", clients * 128L)));
        try (NbdServer server = new NbdServer(exports).listenUnix(sock).start();
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                int id = i;
                done.add(pool.submit(() -> {
                    try (RawClient c = RawClient.connect(sock).open("d")) {
                        byte[] mine = filled(65536, (byte) id);
                        for (int round = 0; round < 5; round++) {
                            assertThat(c.write((long) id * 65536, mine)).isZero();
                            assertThat(c.read((long) id * 65536, 65536)).isEqualTo(mine);
                        }
                        c.request(0, CMD_DISC, 0, 0, 0, null);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            for (int i = 0; i < 500 && server.connectionCount() != 0; i++) {
                Thread.sleep(10);
            }
            assertThat(server.connectionCount()).isZero();
            assertThat(exports.openCount("d")).isZero();
        }
    }

    private static byte[] filled(int n, byte v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, v);
        return b;
    }
}
