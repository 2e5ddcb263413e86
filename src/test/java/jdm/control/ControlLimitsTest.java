package jdm.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.lang.management.ManagementFactory;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import jdm.block.dev.BackingFiles;
import jdm.dm.DeviceNamespace;
import jdm.dm.targets.BuiltinTargets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a control-socket client may hold: frames are not allocated ahead of their bytes, requests have a deadline. */
@Timeout(60)
class ControlLimitsTest {
    @TempDir
    Path dir;

    @Test
    void anAnnouncedFrameIsNotAllocatedBeforeItsBytesArrive() {
        byte[] stalled = ByteBuffer.allocate(18).putInt(Wire.MAGIC).putInt(Wire.MAX_REQUEST_BYTES).array();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        assertThatThrownBy(() -> Wire.readFrame(new DataInputStream(new ByteArrayInputStream(stalled)),
                Wire.MAX_REQUEST_BYTES)).isInstanceOf(WireException.class)
                .hasMessage("truncated frame: 16777216 bytes announced, stream ended early");
        assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(1 << 20);
    }

    @Test
    void anErrorQuotesAHugeNameOnlyInPart() throws Exception {
        Path sock = dir.resolve("control.sock");
        DeviceNamespace ns = new DeviceNamespace(BuiltinTargets.registry(), new BackingFiles());
        try (ControlServer server = ControlServer.start(ns, sock)) {
            String name = "x".repeat(1 << 20);
            assertThatThrownBy(() -> new ControlClient(sock).create(name, null, false, "0 8 zero", dir))
                    .isInstanceOf(ControlException.class)
                    .hasMessageStartingWith("Invalid device name \"xxx")
                    .hasMessageEndingWith(" characters)")
                    .message().hasSizeLessThan(Response.MAX_MESSAGE + 40);
        }
    }

    @Test
    void aRequestThatDoesNotArriveInTimeEndsTheConnection() throws Exception {
        Path sock = dir.resolve("control.sock");
        DeviceNamespace ns = new DeviceNamespace(BuiltinTargets.registry(), new BackingFiles());
        try (ControlServer server = ControlServer.start(ns, sock, Duration.ofMillis(300));
                SocketChannel idle = SocketChannel.open(UnixDomainSocketAddress.of(sock));
                SocketChannel trickling = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            trickling.write(ByteBuffer.allocate(12).putInt(Wire.MAGIC).putInt(100).putInt(0).flip());
            assertThat(idle.read(ByteBuffer.allocate(1))).isEqualTo(-1);
            assertThat(trickling.read(ByteBuffer.allocate(1))).isEqualTo(-1);
            // A client that asks in time is served, however long apart its connections are.
            ControlClient client = new ControlClient(sock);
            assertThat(client.driverVersion()).isNotEmpty();
            Thread.sleep(400);
            assertThat(client.driverVersion()).isNotEmpty();
        }
    }
}
