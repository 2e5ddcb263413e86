package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import jdm.nbd.NbdServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** "--handshake-timeout", "--max-connections" and "--max-inflight-bytes" on serve and daemon reach the NBD server. */
@Timeout(60)
class NbdLimitOptionsTest {
    @TempDir
    Path dir;

    @Test
    void theOptionsDefaultToTheServersDefaultsAndParse() {
        DaemonCommand d = new DaemonCommand();
        new CommandLine(d).parseArgs();
        Daemon.Listen l = d.listen.listen(null);
        assertThat(l.handshakeTimeout()).isEqualTo(NbdServer.DEFAULT_HANDSHAKE_TIMEOUT);
        assertThat(l.maxConnections()).isEqualTo(NbdServer.DEFAULT_MAX_CONNECTIONS);
        assertThat(l.maxInflightBytes()).isEqualTo(NbdServer.DEFAULT_MAX_INFLIGHT_BYTES);
        ServeCommand s = new ServeCommand();
        new CommandLine(s).parseArgs("--handshake-timeout", "3", "--max-connections", "7",
                "--max-inflight-bytes", "64M");
        l = s.listen.listen(null);
        assertThat(l.handshakeTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(l.maxConnections()).isEqualTo(7);
        assertThat(l.maxInflightBytes()).isEqualTo(64L << 20);
    }

    @Test
    void aBadLimitIsAUsageError() {
        assertThat(new CommandLine(new DaemonCommand()).execute("--max-connections", "0")).isEqualTo(2);
        assertThat(new CommandLine(new DaemonCommand()).execute("--handshake-timeout", "-1")).isEqualTo(2);
        assertThat(new CommandLine(new DaemonCommand()).execute("--max-inflight-bytes", "0")).isEqualTo(2);
        assertThat(new CommandLine(new ServeCommand()).execute("--max-inflight-bytes", "lots")).isEqualTo(2);
    }

    @Test
    void theDaemonEnforcesBoth() throws Exception {
        Path sock = dir.resolve("nbd.sock");
        try (Daemon d = Daemon.start(new Daemon.Listen(sock, null, 0, null, 1, 1 << 20, Duration.ofSeconds(1), 1))) {
            try (SocketChannel first = SocketChannel.open(UnixDomainSocketAddress.of(sock));
                    SocketChannel second = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                ByteBuffer b = ByteBuffer.allocate(18);
                while (b.hasRemaining() && first.read(b) >= 0) {
                    // the greeting
                }
                assertThat(b.hasRemaining()).isFalse();
                assertThat(second.read(ByteBuffer.allocate(18))).as("over the cap: closed").isEqualTo(-1);
                // The first never answers the greeting: closed after a second.
                assertThat(first.read(ByteBuffer.allocate(1))).isEqualTo(-1);
            }
        }
    }
}
