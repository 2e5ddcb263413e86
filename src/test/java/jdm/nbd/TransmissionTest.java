package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.block.QueueLimits;
import jdm.testing.DeviceChecks;
import jdm.testing.FaultyDisk;
import jdm.testing.MemoryDisk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Requests and replies of the transmission phase, with a raw socket client. */
@Timeout(60)
class TransmissionTest {
    private static final long SIZE = 64L << 20;

    @TempDir
    Path dir;
    private Path sock;
    /** Every exported device sits behind a checking wrapper: each bio in range, ended exactly once. */
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();
    private FaultyDisk disk;
    private FaultyDisk failing;
    private FaultyDisk smallRequests;
    private MapExports exports;
    private NbdServer server;

    @BeforeEach
    void start() throws IOException {
        sock = dir.resolve("nbd.sock");
        disk = new FaultyDisk(new MemoryDisk("mem", SIZE >> 9));
        failing = new FaultyDisk(new MemoryDisk("failing", 2048)).failAll(BlkStatus.IOERR);
        smallRequests = new FaultyDisk(new MemoryDisk("s", 4096, new QueueLimits(512, 4096, 8), false));
        exports = MapExports.builder()
                .add("disk", checks.wrap(disk))
                .add("ro", checks.wrap(new MemoryDisk("ro", 2048, QueueLimits.DEFAULT, true)), true, null)
                .add("failing", checks.wrap(failing))
                .add("small-requests", checks.wrap(smallRequests))
                .defaultExport("disk")
                .build();
        server = new NbdServer(exports).listenUnix(sock).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RawClient open(String name) throws IOException {
        return RawClient.connect(sock).open(name);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void writtenDataReadsBackIdenticalAtEverySize() throws IOException {
        try (RawClient c = open("disk")) {
            long offset = 0;
            for (int size : new int[] {512, 4096, 65536, 1 << 20, 32 << 20}) {
                byte[] data = random(size, size);
                assertThat(c.write(offset, data)).isZero();
                assertThat(c.read(offset, size)).isEqualTo(data);
                offset += size;
            }
        }
    }

    @Test
    void zeroLengthRequestsSucceedWithoutTouchingTheDevice() throws IOException {
        try (RawClient c = open("disk")) {
            assertThat(c.read(4096, 0)).isEmpty();
            assertThat(c.write(4096, new byte[0])).isZero();
            assertThat(c.command(0, CMD_TRIM, 4096, 0)).isZero();
            assertThat(disk.seen()).isEmpty();
        }
    }

    @Test
    void unalignedRequestsAreRefusedWithEinvalAndTheStreamStaysInStep() throws IOException {
        try (RawClient c = open("disk")) {
            c.request(0, CMD_READ, 7, 100, 512, null);
            assertThat(c.readReply()).isEqualTo(new RawClient.Reply(NbdErrno.EINVAL, 7));
            c.request(0, CMD_READ, 8, 512, 100, null);
            assertThat(c.readReply()).isEqualTo(new RawClient.Reply(NbdErrno.EINVAL, 8));
            assertThat(c.write(1, new byte[1000])).isEqualTo(NbdErrno.EINVAL); // payload is skipped
            assertThat(c.command(0, CMD_TRIM, 0, 1000)).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.write(512, new byte[512])).isZero();
            assertThat(disk.seen()).extracting(FaultyDisk.Seen::op).containsExactly(Op.WRITE);
        }
    }

    @Test
    void requestsPastTheEndAreRefusedReadsWithEinvalWritesWithEnospc() throws IOException {
        try (RawClient c = open("disk")) {
            c.request(0, CMD_READ, 1, SIZE - 512, 1024, null);
            assertThat(c.readReply().error()).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.write(SIZE, new byte[512])).isEqualTo(NbdErrno.ENOSPC);
            assertThat(c.command(0, CMD_WRITE_ZEROES, SIZE - 512, 1024)).isEqualTo(NbdErrno.ENOSPC);
            assertThat(c.command(0, CMD_TRIM, SIZE, 512)).isEqualTo(NbdErrno.EINVAL);
            // An offset so large that offset + length wraps around.
            c.request(0, CMD_READ, 2, -512L, 1024, null);
            assertThat(c.readReply().error()).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.read(SIZE - 512, 512)).hasSize(512);
            assertThat(disk.seen()).hasSize(1);
        }
    }

    @Test
    void readsAndWritesOverThirtyTwoMebibytesAreRefused() throws IOException {
        try (RawClient c = open("disk")) {
            c.request(0, CMD_READ, 1, 0, (32 << 20) + 512, null);
            assertThat(c.readReply().error()).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.write(0, new byte[(32 << 20) + 512])).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.read(0, 512)).hasSize(512); // still in step after the skipped payload
            // Trim and write zeroes carry no payload: any length within the export is fine.
            assertThat(c.command(0, CMD_WRITE_ZEROES, 0, SIZE)).isZero();
        }
    }

    @Test
    void anErrorReplyJustBeforeDisconnectIsStillSent() throws IOException {
        try (RawClient c = open("disk")) {
            c.request(0, 999, 41, 0, 0, null);
            c.request(0, CMD_READ, 42, 0, 4096, null);
            c.request(0, CMD_DISC, 43, 0, 0, null);
            Set<Long> handles = new HashSet<>();
            for (int i = 0; i < 2; i++) {
                RawClient.Reply r = c.readReply();
                handles.add(r.handle());
                if (r.handle() == 42) {
                    assertThat(r.error()).isZero();
                    c.readBytes(4096);
                } else {
                    assertThat(r.error()).isEqualTo(NbdErrno.EINVAL);
                }
            }
            assertThat(handles).containsExactlyInAnyOrder(41L, 42L);
            assertThat(c.serverClosed()).isTrue();
        }
    }

    @Test
    void aWriteTooLargeToSkipIsRefusedAndTheConnectionClosed() throws IOException {
        try (RawClient c = open("disk")) {
            c.request(0, CMD_WRITE, 5, 0, 0xffff_fe00L, null); // a 4 GiB payload we will not read through
            assertThat(c.readReply()).isEqualTo(new RawClient.Reply(NbdErrno.EINVAL, 5));
            assertThat(c.serverClosed()).isTrue();
        }
        try (RawClient c = open("disk")) {
            assertThat(c.read(0, 512)).hasSize(512);
        }
    }

    @Test
    void unknownCommandsAndFlagsAreRefusedWithEinval() throws IOException {
        try (RawClient c = open("disk")) {
            assertThat(c.command(0, 5, 0, 512)).isEqualTo(NbdErrno.OK);          // CACHE: advisory, succeeds
            assertThat(c.command(CMD_FLAG_NO_HOLE, 5, 0, 512)).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.command(0, 7, 0, 512)).isEqualTo(NbdErrno.EINVAL);      // BLOCK_STATUS: not negotiated
            assertThat(c.command(0, 999, 0, 512)).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.command(1 << 7, CMD_READ, 0, 0)).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.write(CMD_FLAG_NO_HOLE, 0, new byte[512])).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.command(0, CMD_FLUSH, 512, 0)).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.command(0, CMD_FLUSH, 0, 0)).isZero();
            assertThat(disk.seen()).extracting(FaultyDisk.Seen::op).containsExactly(Op.FLUSH);
        }
    }

    @Test
    void commandsBecomeTheMatchingBiosWithFuaAndNoUnmap() throws IOException {
        try (RawClient c = open("disk")) {
            assertThat(c.write(CMD_FLAG_FUA, 4096, new byte[4096])).isZero();
            assertThat(c.command(0, CMD_FLUSH, 0, 0)).isZero();
            assertThat(c.command(CMD_FLAG_FUA, CMD_TRIM, 8192, 4096)).isZero();
            assertThat(c.command(CMD_FLAG_NO_HOLE, CMD_WRITE_ZEROES, 0, 1024)).isZero();
            assertThat(c.command(0, CMD_WRITE_ZEROES, 0, 1024)).isZero();
            assertThat(c.read(0, 512)).hasSize(512);
            assertThat(c.command(CMD_FLAG_FUA, CMD_READ, 0, 0)).isZero(); // FUA is accepted on any command
            assertThat(disk.seen()).containsExactly(
                    new FaultyDisk.Seen(Op.WRITE, Bio.FUA, 8, 8),
                    new FaultyDisk.Seen(Op.FLUSH, 0, 0, 0),
                    new FaultyDisk.Seen(Op.DISCARD, Bio.FUA, 16, 8),
                    new FaultyDisk.Seen(Op.WRITE_ZEROES, Bio.NOUNMAP, 0, 2),
                    new FaultyDisk.Seen(Op.WRITE_ZEROES, 0, 0, 2),
                    new FaultyDisk.Seen(Op.READ, 0, 0, 1));
        }
    }

    @Test
    void trimAndWriteZeroesLeaveZeros() throws IOException {
        try (RawClient c = open("disk")) {
            byte[] data = random(1 << 20, 1);
            assertThat(c.write(0, data)).isZero();
            assertThat(c.command(0, CMD_WRITE_ZEROES, 4096, 8192)).isZero();
            assertThat(c.command(0, CMD_TRIM, 65536, 65536)).isZero();
            byte[] back = c.read(0, 1 << 20);
            assertThat(ByteBuffer.wrap(back, 0, 4096)).isEqualTo(ByteBuffer.wrap(data, 0, 4096));
            assertThat(ByteBuffer.wrap(back, 4096, 8192)).isEqualTo(ByteBuffer.allocate(8192));
            assertThat(ByteBuffer.wrap(back, 65536, 65536)).isEqualTo(ByteBuffer.allocate(65536));
            assertThat(ByteBuffer.wrap(back, 131072, 4096)).isEqualTo(ByteBuffer.wrap(data, 131072, 4096));
        }
    }

    @Test
    void aReadOnlyExportRefusesEveryKindOfWriteWithEperm() throws IOException {
        try (RawClient c = open("ro")) {
            assertThat(c.write(0, new byte[512])).isEqualTo(NbdErrno.EPERM);
            assertThat(c.command(0, CMD_TRIM, 0, 512)).isEqualTo(NbdErrno.EPERM);
            assertThat(c.command(0, CMD_WRITE_ZEROES, 0, 512)).isEqualTo(NbdErrno.EPERM);
            assertThat(c.read(0, 512)).containsOnly(0);
            assertThat(c.command(0, CMD_FLUSH, 0, 0)).isZero();
        }
    }

    @Test
    void deviceErrorsAreRepliedAsNbdErrors() throws IOException {
        Map<BlkStatus, Integer> expected = Map.of(BlkStatus.IOERR, NbdErrno.EIO, BlkStatus.NOSPC, NbdErrno.ENOSPC,
                BlkStatus.PERM, NbdErrno.EPERM, BlkStatus.INVAL, NbdErrno.EINVAL,
                BlkStatus.NOTSUPP, NbdErrno.EINVAL);
        try (RawClient c = open("failing")) {
            for (var e : expected.entrySet()) {
                failing.clearFaults().failAll(e.getKey());
                c.request(0, CMD_READ, 9, 0, 4096, null);
                assertThat(c.readReply()).as("%s", e.getKey()).isEqualTo(new RawClient.Reply(e.getValue(), 9));
                assertThat(c.write(0, new byte[512])).isEqualTo(e.getValue());
            }
            failing.clearFaults();
            assertThat(c.read(0, 512)).hasSize(512); // an errored read sent no payload: still in step
        }
    }

    @Test
    void requestsOverTheDevicesMaxSectorsAreSplitAndStillCorrect() throws IOException {
        try (RawClient c = open("small-requests")) {
            byte[] data = random(1 << 20, 3);
            assertThat(c.write(4096, data)).isZero();
            assertThat(c.read(4096, 1 << 20)).isEqualTo(data);
            assertThat(smallRequests.seen()).hasSize(2 * 256).allSatisfy(s -> assertThat(s.sectors()).isEqualTo(8));
        }
    }

    @Test
    void manyRequestsAreInFlightTogetherAndRepliesFollowCompletionOrder() throws Exception {
        int n = 64;
        TestDevices.Gated gated = new TestDevices.Gated(new MemoryDisk("m", 2048), n);
        MapExports gatedExports = MapExports.of("g", checks.wrap(gated));
        Path gsock = dir.resolve("gated.sock");
        try (NbdServer s = new NbdServer(gatedExports).listenUnix(gsock).start();
                RawClient c = RawClient.connect(gsock).open("g")) {
            assertThat(s.connectionCount()).isEqualTo(1);
            byte[] sector = new byte[512];
            for (int i = 0; i < n; i++) {
                long handle = 1000 + i;
                if (i % 2 == 0) {
                    sector[0] = (byte) i;
                    c.request(0, CMD_WRITE, handle, (long) i * 512, 512, sector);
                } else {
                    c.request(0, CMD_READ, handle, (long) i * 512, 512, null);
                }
            }
            // The device holds all n until the last arrives: only works if they are all in flight at once.
            assertThat(gated.arrived.await(20, TimeUnit.SECONDS)).isTrue();
            List<Long> order = new java.util.ArrayList<>();
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < n; i++) {
                RawClient.Reply r = c.readReply();
                assertThat(r.error()).isZero();
                assertThat(seen.add(r.handle())).as("handle %d answered once", r.handle()).isTrue();
                order.add(r.handle());
                if ((r.handle() - 1000) % 2 == 1) {
                    assertThat(c.readBytes(512)).containsOnly(0);
                }
            }
            assertThat(seen).hasSize(n).allMatch(h -> h >= 1000 && h < 1000 + n);
            // The gate ends them newest first; replies went out as they completed, not in request order.
            assertThat(order).isNotEqualTo(order.stream().sorted().toList());
            gated.open();
            sector[0] = 0;
            assertThat(c.read(2 * 512, 512)[0]).isEqualTo((byte) 2);
        }
    }

    @Test
    void aDeviceThatBlocksInsideSubmitStillServesRequestsInParallel() throws Exception {
        FaultyDisk slow = new FaultyDisk(new MemoryDisk("m", 2048)).delaySubmits(Duration.ofMillis(50));
        Path ssock = dir.resolve("slow.sock");
        try (NbdServer s = new NbdServer(MapExports.of("s", checks.wrap(slow))).listenUnix(ssock).start();
                RawClient c = RawClient.connect(ssock).open("s")) {
            assertThat(s.connectionCount()).isEqualTo(1);
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < 16; i++) {
                    c.request(0, CMD_READ, i, (long) i * 4096, 4096, null);
                }
                for (int i = 0; i < 16; i++) {
                    assertThat(c.readReply().error()).isZero();
                    c.readBytes(4096);
                }
                // One after another would take 16 x 50 ms.
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(400);
            }
            assertThat(slow.maxConcurrentSubmits()).isGreaterThanOrEqualTo(8);
        }
    }

    @Test
    void manyPipelinedRequestsGetTheirOwnHandlesAndData() throws Exception {
        int n = 2000;
        try (RawClient c = open("disk")) {
            // A sender thread keeps requests coming while this thread reads replies, as a real client does.
            Thread writer = Thread.ofPlatform().start(() -> {
                byte[] block = new byte[4096];
                try {
                    for (int i = 0; i < n; i++) {
                        block[0] = (byte) (i * 7);
                        block[4095] = (byte) i;
                        c.request(0, CMD_WRITE, i, (long) i * 4096, 4096, block);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Set<Long> handles = new HashSet<>();
            for (int i = 0; i < n; i++) {
                RawClient.Reply r = c.readReply();
                assertThat(r.error()).isZero();
                handles.add(r.handle());
            }
            writer.join();
            assertThat(handles).hasSize(n);

            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < n; i++) {
                        c.request(0, CMD_READ, 100_000 + i, (long) i * 4096, 4096, null);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            handles.clear();
            for (int i = 0; i < n; i++) {
                RawClient.Reply r = c.readReply();
                assertThat(r.error()).isZero();
                int k = (int) (r.handle() - 100_000);
                byte[] data = c.readBytes(4096);
                assertThat(data[0]).isEqualTo((byte) (k * 7));
                assertThat(data[4095]).isEqualTo((byte) k);
                handles.add(r.handle());
            }
            reader.join();
            assertThat(handles).hasSize(n);
        }
    }

    @Test
    void garbageDropsOnlyThatConnectionAndOthersKeepWorking() throws Exception {
        Random rnd = new Random(42);
        try (RawClient good = open("disk")) {
            for (int round = 0; round < 20; round++) {
                byte[] junk = new byte[rnd.nextInt(4096) + 1];
                rnd.nextBytes(junk);
                try (RawClient bad = RawClient.connect(sock)) {
                    if (round % 2 == 0) {
                        bad.open("disk"); // garbage in transmission
                    }
                    bad.send(ByteBuffer.wrap(junk));
                    bad.channel.shutdownOutput();
                    bad.serverClosed();
                } catch (IOException expected) {
                    // the server may hang up while we are still sending
                }
                assertThat(good.write(0, new byte[512])).isZero();
            }
            // A request with a bad magic in an otherwise good stream ends that stream.
            try (RawClient bad = open("disk")) {
                bad.send(ByteBuffer.allocate(28).putInt(0xdeadbeef).rewind());
                assertThat(bad.serverClosed()).isTrue();
            }
            assertThat(good.read(0, 512)).hasSize(512);
        }
        // The server closes a socket before it forgets the connection: a client can see EOF a moment earlier.
        for (int i = 0; i < 500 && server.connectionCount() > 1; i++) {
            Thread.sleep(10);
        }
        assertThat(server.connectionCount()).isLessThanOrEqualTo(1);
    }

    @Test
    void disconnectLetsInFlightRequestsReplyBeforeTheExportIsReleased() throws Exception {
        TestDevices.Gated gated = new TestDevices.Gated(new MemoryDisk("m", 2048), Integer.MAX_VALUE);
        MapExports gatedExports = MapExports.of("g", checks.wrap(gated));
        Path gsock = dir.resolve("gated.sock");
        try (NbdServer s = new NbdServer(gatedExports).listenUnix(gsock).start();
                RawClient c = RawClient.connect(gsock).open("g")) {
            assertThat(s.connectionCount()).isEqualTo(1);
            for (int i = 0; i < 3; i++) {
                c.request(0, CMD_WRITE, i, 0, 512, new byte[512]);
            }
            gated.awaitHeld(3);
            c.request(0, CMD_DISC, 99, 0, 0, null);
            Thread.sleep(200);
            assertThat(gatedExports.openCount("g")).isEqualTo(1); // held requests keep it open
            gated.open();
            for (int i = 0; i < 3; i++) {
                assertThat(c.readReply().error()).isZero();
            }
            assertThat(c.serverClosed()).isTrue();
            for (int i = 0; i < 200 && gatedExports.openCount("g") != 0; i++) {
                Thread.sleep(10);
            }
            assertThat(gatedExports.openCount("g")).isZero();
        }
    }
}
