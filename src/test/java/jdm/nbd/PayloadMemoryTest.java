package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import jdm.testing.DeviceChecks;
import jdm.testing.MemoryDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A WRITE's payload buffer follows the bytes that arrive, not the length its header announces: stalled 32 MiB
 * headers pin about a megabyte each (they pinned 32 MiB each), a payload that does arrive whole grows its buffer and
 * lands intact, and clients that hang up mid-payload leave nothing held.
 */
@Timeout(60)
class PayloadMemoryTest {
    private static final int MIB = 1 << 20;
    private static final int CLIENTS = 8;

    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;

    private static long directBytes() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    }

    @Test
    void stalledWriteHeadersPinWhatWasSentNotWhatWasAnnounced() throws Exception {
        Path sock = dir.resolve("nbd.sock");
        MapExports exports = MapExports.of("disk", checks.wrap(new MemoryDisk("disk", (64L * MIB) >> 9)));
        List<RawClient> clients = new ArrayList<>();
        try (NbdServer s = new NbdServer(exports).listenUnix(sock).start()) {
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(RawClient.connect(sock).open("disk"));
            }
            long before = directBytes();
            for (RawClient c : clients) {
                c.request(0, CMD_WRITE, 7, 0, MAX_PAYLOAD, new byte[4096]); // header and 4 KiB, then nothing
            }
            // Each reader takes its first piece (1 MiB) as the bytes come in; wait until all have.
            long first = (long) CLIENTS * Transmission.FIRST_PIECE;
            for (int i = 0; i < 500 && directBytes() - before < first; i++) {
                Thread.sleep(10);
            }
            Thread.sleep(200);
            long pinned = directBytes() - before;
            assertThat(pinned).as("direct memory held by %d stalled 32 MiB WRITEs", CLIENTS)
                    .isBetween(first, 2 * first);

            // One of them sends the rest: the buffer grows to 32 MiB and the data lands whole.
            RawClient done = clients.removeFirst();
            byte[] data = new byte[MAX_PAYLOAD];
            new Random(5).nextBytes(data);
            System.arraycopy(new byte[4096], 0, data, 0, 4096);
            done.send(java.nio.ByteBuffer.wrap(data, 4096, data.length - 4096));
            assertThat(done.readReply().error()).isZero();
            assertThat(Arrays.equals(done.read(0, MAX_PAYLOAD), data)).isTrue();
            byte[] odd = Arrays.copyOf(data, 3 * MIB + 512); // grows 1 MiB -> 2 MiB -> 3 MiB + 512 (4 MiB class)
            assertThat(done.write(MIB, odd)).isZero();
            assertThat(Arrays.equals(done.read(MIB, odd.length), odd)).isTrue();
            done.close();
            // The others hang up mid-payload: their slots and buffers go back, the export is released.
            for (RawClient c : clients) {
                c.close();
            }
            for (int i = 0; i < 500 && s.connectionCount() != 0; i++) {
                Thread.sleep(10);
            }
            assertThat(s.connectionCount()).isZero();
        }
        assertThat(exports.openCount("disk")).isZero();
    }
}
