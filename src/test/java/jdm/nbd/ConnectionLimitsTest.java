package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jdm.testing.DeviceChecks;
import jdm.testing.MemoryDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** What a client may hold: the handshake has a deadline, and the server serves a bounded number of connections. */
@Timeout(60)
class ConnectionLimitsTest {
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;

    private MapExports exports() {
        return MapExports.of("disk", checks.wrap(new MemoryDisk("disk", 2048)));
    }

    private static void awaitConnections(NbdServer s, int n) throws InterruptedException {
        for (int i = 0; i < 1000 && s.connectionCount() != n; i++) {
            Thread.sleep(10);
        }
        assertThat(s.connectionCount()).isEqualTo(n);
    }

    @Test
    void theDefaultsAreTenSecondsAndAFewHundredConnections() {
        assertThat(NbdServer.DEFAULT_HANDSHAKE_TIMEOUT).isEqualTo(Duration.ofSeconds(10));
        assertThat(NbdServer.DEFAULT_MAX_CONNECTIONS).isBetween(100, 1000);
    }

    @Test
    void aClientThatDoesNotFinishTheHandshakeInTimeIsClosed() throws Exception {
        Path sock = dir.resolve("t.sock");
        MapExports exports = exports();
        try (NbdServer s = new NbdServer(exports).handshakeTimeout(Duration.ofMillis(300)).listenUnix(sock).start();
                RawClient idle = RawClient.connect(sock);
                RawClient trickling = RawClient.connect(sock).greet();
                RawClient quick = RawClient.connect(sock).open("disk")) {
            trickling.sendOption(OPT_LIST, new byte[0]); // options answered, but no export chosen
            assertThat(trickling.readOptReply().type()).isEqualTo(REP_SERVER);
            assertThat(idle.serverClosed()).isTrue();
            assertThat(trickling.serverClosed()).isTrue();
            awaitConnections(s, 1);
            // The deadline is for the handshake only: a connection in transmission stays, idle or not.
            Thread.sleep(400);
            assertThat(quick.write(0, new byte[512])).isZero();
            assertThat(s.connectionCount()).isEqualTo(1);
        }
        assertThat(exports.openCount("disk")).isZero();
    }

    @Test
    void connectionsBeyondTheCapAreClosedAndServedAgainOnceOneEnds() throws Exception {
        Path sock = dir.resolve("c.sock");
        try (NbdServer s = new NbdServer(exports()).maxConnections(3).listenUnix(sock).start()) {
            List<RawClient> clients = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                clients.add(RawClient.connect(sock).greet());
            }
            try (RawClient fourth = RawClient.connect(sock)) {
                assertThat(fourth.serverClosed()).isTrue();
            }
            assertThat(s.connectionCount()).isEqualTo(3);
            clients.removeFirst().close();
            awaitConnections(s, 2);
            try (RawClient again = RawClient.connect(sock).open("disk")) {
                assertThat(again.write(0, new byte[512])).isZero();
            }
            for (RawClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void badLimitsAreRefused() {
        NbdServer s = new NbdServer(exports());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.maxConnections(0))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.handshakeTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
