package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import jdm.block.Op;
import jdm.block.dev.BackingFiles;
import jdm.dm.DeviceNamespace;
import jdm.dm.MappedDevice;
import jdm.dm.targets.BuiltinTargets;
import jdm.testing.FaultyDisk;
import jdm.testing.MemoryDisk;
import jdm.testing.TestDisks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * NBD_FLAG_CAN_MULTI_CONN's promise (proto.md "Transmission flags"): a FLUSH answered on one connection covers every
 * write completed on any connection. Connections share one device, so it holds when the flush reaches every disk
 * below the export after those writes ended there; this checks exactly that on a device spanning two disks.
 */
@Timeout(60)
class MultiConnFlushTest {
    @TempDir
    Path dir;
    private FaultyDisk a;
    private FaultyDisk b;
    private NbdServer server;
    private Path sock;

    @BeforeEach
    void start() throws Exception {
        TestDisks disks = new TestDisks();
        a = disks.add("8:0", new FaultyDisk(new MemoryDisk("a", 2048)));
        b = disks.add("8:16", new FaultyDisk(new MemoryDisk("b", 2048)));
        DeviceNamespace ns = new DeviceNamespace(BuiltinTargets.registry(), new BackingFiles(), disks);
        MappedDevice vol = ns.createWithTable("vol", null, false, "0 2048 linear 8:0 0\n2048 2048 linear 8:16 0", dir);
        sock = dir.resolve("nbd.sock");
        server = new NbdServer(MapExports.of("vol", vol)).listenUnix(sock).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** The index in the disk's history of its last op of a kind, -1 if none. */
    private static int last(FaultyDisk d, Op op) {
        List<FaultyDisk.Seen> seen = d.seen();
        for (int i = seen.size() - 1; i >= 0; i--) {
            if (seen.get(i).op() == op) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aFlushOnOneConnectionReachesEveryDiskAfterTheWritesAnotherConnectionCompleted() throws Exception {
        try (RawClient writer = RawClient.connect(sock).open("vol");
                RawClient flusher = RawClient.connect(sock).open("vol")) {
            assertThat(writer.write(0, new byte[4096])).isZero();          // lands on a
            assertThat(writer.write(2048 * 512, new byte[4096])).isZero(); // lands on b
            assertThat(last(a, Op.FLUSH)).isEqualTo(-1);
            assertThat(flusher.command(0, CMD_FLUSH, 0, 0)).isZero();
            for (FaultyDisk d : List.of(a, b)) {
                assertThat(last(d, Op.FLUSH)).as(d.name()).isGreaterThan(last(d, Op.WRITE));
            }
        }
    }

    @Test
    void theExportAdvertisesMultiConn() throws Exception {
        try (RawClient c = RawClient.connect(sock).greet()) {
            RawClient.OptReply export = c.go("vol").stream()
                    .filter(r -> r.type() == REP_INFO && r.buffer().getShort(0) == INFO_EXPORT).findFirst()
                    .orElseThrow();
            assertThat(export.buffer().getShort(10) & FLAG_CAN_MULTI_CONN).isEqualTo(FLAG_CAN_MULTI_CONN);
        }
    }
}
