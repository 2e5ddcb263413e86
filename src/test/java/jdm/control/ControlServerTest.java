package jdm.control;

import jdm.block.dev.BackingFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdm.dm.DeviceNamespace;
import jdm.dm.MappedDevice;
import jdm.dm.targets.BuiltinTargets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class ControlServerTest {
    @TempDir
    Path dir;
    Path socket;
    DeviceNamespace ns;
    ControlServer server;
    ControlClient client;

    @BeforeEach
    void setUp() throws Exception {
        socket = dir.resolve("control.sock");
        ns = new DeviceNamespace(BuiltinTargets.registry(), new BackingFiles());
        server = ControlServer.start(ns, socket);
        client = new ControlClient(socket);
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("a.img").toFile(), "rw")) {
            f.setLength(1 << 20);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
        for (int round = 0; round < 5; round++) {
            for (MappedDevice md : ns.list()) {
                try {
                    ns.remove(md.name());
                } catch (Exception e) {
                    // used by another device: a later round
                }
            }
        }
    }

    private SocketChannel raw() throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(socket));
    }

    @Test
    void theTypedClientDrivesTheNamespaceThroughTheSocket() throws Exception {
        client.create("vol", "U-1", false, "0 1024 linear a.img 0\n1024 1024 zero", dir);
        assertThat(ns.get("vol").liveTable().size()).isEqualTo(2);

        DeviceInfo info = client.info("vol").getFirst();
        assertThat(info).isEqualTo(new DeviceInfo("vol", "U-1", new DevNo(253, 0), false, false, true, false, 0, 0,
                2, 256));
        assertThat(client.table("vol", null).getFirst().targets()).containsExactly(
                new TargetLine(0, 1024, "linear", "7:0 0"), new TargetLine(1024, 1024, "zero", ""));
        assertThat(client.status(null, "zero")).containsExactly(
                new DeviceTable("vol", List.of(new TargetLine(1024, 1024, "zero", ""))));
        assertThat(client.deps("vol")).containsExactly(new DeviceDeps("vol", new DevNo(253, 0),
                List.of(new DevNo(7, 0))));
        assertThat(client.list()).extracting(DeviceDeps::name).containsExactly("vol");
        assertThat(client.targets()).contains(new TargetVersion("linear", 1, 4, 0));
        assertThat(client.driverVersion()).isEqualTo("4.47.0");

        client.suspend("vol", true);
        assertThat(ns.get("vol").suspended()).isTrue();
        client.resume("vol");
        assertThat(ns.get("vol").suspended()).isFalse();
        client.remove("vol", false);
        assertThat(ns.list()).isEmpty();
    }

    @Test
    void refusedOperationsComeBackWithErrnoIoctlAndReason() throws Exception {
        client.create("vol", null, false, "0 2048 linear a.img 0", dir);
        assertThatThrownBy(() -> client.load("vol", "0 100 linear a.img 0\n200 100 zero", dir))
                .isInstanceOfSatisfying(ControlException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EINVAL);
                    assertThat(e.ioctl()).isEqualTo("reload");
                    assertThat(e.reason()).contains("line 2: Gap in table");
                    assertThat(e.device()).as("a refused table names the device, as the kernel's log line")
                            .isEqualTo(new DevNo(253, 0));
                });
        assertThatThrownBy(() -> client.create("bad", null, false, "0 100 frob", dir))
                .isInstanceOfSatisfying(ControlException.class, e -> {
                    assertThat(e.ioctl()).isEqualTo("reload");
                    assertThat(e.device()).isEqualTo(new DevNo(253, 1));
                });
        assertThat(ns.find("bad")).as("a failed create leaves no device").isNull();
        assertThatThrownBy(() -> client.message("vol", 0, "x")).isInstanceOfSatisfying(ControlException.class,
                e -> assertThat(e.reason()).isEqualTo("Target type does not support messages"));
        assertThatThrownBy(() -> client.info("nosuch")).isInstanceOfSatisfying(ControlException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENXIO));
    }

    @Test
    void garbageOnTheSocketGetsAnErrorReplyAndACloseWhileOtherClientsAreServed() throws Exception {
        try (SocketChannel bad = raw()) {
            bad.write(ByteBuffer.wrap("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            DataInputStream in = new DataInputStream(Channels.newInputStream(bad));
            Response r = Response.fromWire(Wire.readFrame(in, Wire.MAX_RESPONSE_BYTES));
            assertThat(r.isOk()).isFalse();
            assertThat(r.failure().errno()).isEqualTo(Errno.EINVAL);
            assertThat(r.failure().reason()).startsWith("malformed control request: bad frame magic 0x47455420");
            assertThat(in.read()).as("the server closed the connection").isEqualTo(-1);
        }
        assertThat(client.driverVersion()).isEqualTo("4.47.0");
    }

    @Test
    void aFrameAnnouncingGigabytesIsRefusedWithoutReadingIt() throws Exception {
        try (SocketChannel bad = raw()) {
            DataOutputStream out = new DataOutputStream(Channels.newOutputStream(bad));
            out.writeInt(Wire.MAGIC);
            out.writeInt(Integer.MAX_VALUE);
            out.flush();
            Response r = Response.fromWire(Wire.readFrame(new DataInputStream(Channels.newInputStream(bad)),
                    Wire.MAX_RESPONSE_BYTES));
            assertThat(r.failure().reason()).contains("frame of 2147483647 bytes exceeds the limit of 16777216");
        }
        assertThat(client.list()).isEmpty();
    }

    @Test
    void aClientThatHangsUpMidFrameOrSendsWrongTypesDoesNotHurtOthers() throws Exception {
        SocketChannel stalled = raw();
        stalled.write(ByteBuffer.wrap(new byte[] {0x4a, 0x44, 0x4d, 0x43, 0, 0, 1, 0, 4}));
        try (SocketChannel halfway = raw()) {
            halfway.write(ByteBuffer.wrap(new byte[] {0x4a, 0x44, 0x4d}));
        }
        assertThat(client.driverVersion()).as("served while another client is stuck mid-frame").isEqualTo("4.47.0");
        stalled.close();

        Response wrongType = client.call(new Request("load", Map.of("name", "vol", "table", 5L)));
        assertThat(wrongType.failure().reason()).isEqualTo(
                "bad load request: field \"table\" must be a string, got an integer");
        Response missing = client.call(Request.of("suspend"));
        assertThat(missing.failure().reason()).isEqualTo(
                "bad suspend request: field \"name\" must be a string, got nothing");
        Response unknown = client.call(Request.of("frobnicate"));
        assertThat(unknown.failure().errno()).isEqualTo(Errno.ENOTTY);
        Response notAMap = Response.fromWire(exchange(List.of("op", "version")));
        assertThat(notAMap.failure().reason()).contains("a request must be a map, got a list");
        assertThat(client.list()).isEmpty();
    }

    /** Sends one raw value as a frame and returns the decoded reply. */
    private Object exchange(Object value) throws IOException {
        try (SocketChannel c = raw()) {
            Wire.writeFrame(new DataOutputStream(Channels.newOutputStream(c)), value);
            return Wire.readFrame(new DataInputStream(Channels.newInputStream(c)), Wire.MAX_RESPONSE_BYTES);
        }
    }

    @Test
    void oneConnectionCarriesManyRequestsInTurn() throws Exception {
        try (SocketChannel c = raw()) {
            DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
            DataInputStream in = new DataInputStream(Channels.newInputStream(c));
            Wire.writeFrame(out, Request.of("create", "name", "one", "table", "0 8 zero").toWire());
            assertThat(Response.fromWire(Wire.readFrame(in, 1 << 20)).isOk()).isTrue();
            Wire.writeFrame(out, Request.of("info", "name", "one").toWire());
            Response r = Response.fromWire(Wire.readFrame(in, 1 << 20));
            assertThat(DeviceInfo.fromWire(r.list("devices").getFirst()).targetCount()).isEqualTo(1);
        }
    }

    @Test
    void manyClientsAtOnceEachGetTheirOwnAnswer() throws Exception {
        for (int i = 0; i < 8; i++) {
            client.create("d" + i, null, false, "0 " + (8 * (i + 1)) + " zero", dir);
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Long>> sizes = new ArrayList<>();
            for (int n = 0; n < 200; n++) {
                int i = n % 8;
                sizes.add(pool.submit(() -> client.table("d" + i, null).getFirst().targets().getFirst()
                        .lengthSectors()));
            }
            for (int n = 0; n < sizes.size(); n++) {
                assertThat(sizes.get(n).get()).isEqualTo(8L * (n % 8 + 1));
            }
        }
    }

    @Test
    void waitReturnsWhenTheEventNumberMovesAndTimesOutOtherwise() throws Exception {
        client.create("vol", null, false, "0 8 zero", dir);
        assertThat(client.waitEvent("vol", 7)).isZero();
        Response timedOut = client.call(Request.of("wait", "name", "vol", "eventNr", 0L, "timeoutMillis", 50L));
        assertThat(timedOut.failure().errno()).isEqualTo(Errno.ETIMEDOUT);

        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Integer> waiter = pool.submit(() -> client.waitEvent("vol", 0));
            Thread.sleep(100);
            assertThat(waiter).isNotDone();
            ns.get("vol").event();
            assertThat(waiter.get()).isEqualTo(1);
        }
    }

    @Test
    void closeDeletesTheSocketAndClientsThenSayTheDaemonIsUnreachable() throws Exception {
        assertThat(socket).exists();
        server.close();
        assertThat(socket).doesNotExist();
        assertThatThrownBy(() -> client.driverVersion()).isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot reach the jdm daemon at " + socket + ": ");
    }

    @Test
    void aStaleSocketIsReplacedButALiveDaemonOrAPlainFileIsNot() throws Exception {
        assertThatThrownBy(() -> ControlServer.start(ns, socket)).isInstanceOf(IOException.class)
                .hasMessageContaining("another jdm daemon is listening there");

        Path stale = dir.resolve("sub/stale.sock");
        Files.createDirectories(stale.getParent());
        java.nio.channels.ServerSocketChannel leftover =
                java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        leftover.bind(UnixDomainSocketAddress.of(stale));
        leftover.close(); // the file stays behind, nobody listens
        assertThat(stale).exists();
        try (ControlServer s2 = ControlServer.start(ns, stale)) {
            assertThat(new ControlClient(stale).driverVersion()).isEqualTo("4.47.0");
        }

        Path plain = Files.writeString(dir.resolve("notes.txt"), "keep me");
        assertThatThrownBy(() -> ControlServer.start(ns, plain)).hasMessageContaining("exists and is not a socket");
        assertThat(plain).hasContent("keep me");
    }
}
