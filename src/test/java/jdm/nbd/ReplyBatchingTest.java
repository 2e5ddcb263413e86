package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import jdm.block.dev.MemoryDevice;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader's held replies (ReplySender.cork): many small WRITEs sent in one go come through the read-ahead and
 * their replies leave together, and every held reply goes out once the reader runs out of requests, whatever
 * follows (more writes, a read, a flush, or nothing: the client then just waits). A lost flush would hang here.
 */
@Timeout(30)
class ReplyBatchingTest {
    @TempDir
    Path dir;

    static byte[] request(int flags, int type, long cookie, long offset, int length, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(28 + (payload == null ? 0 : payload.length)).putInt(REQUEST_MAGIC)
                .putShort((short) flags).putShort((short) type).putLong(cookie).putLong(offset).putInt(length);
        if (payload != null) {
            b.put(payload);
        }
        return b.array();
    }

    @Test
    void pipelinedSmallWritesAllGetTheirRepliesWhateverFollows() throws Exception {
        MemoryDevice dev = new MemoryDevice("m", 4096); // 2 MiB
        Path sock = dir.resolve("s");
        Random rnd = new Random(7);
        byte[] expect = new byte[2 << 20];
        try (NbdServer server = new NbdServer(MapExports.of("m", dev)).listenUnix(sock).start();
                RawClient c = RawClient.connect(sock).open("m")) {
            for (int round = 0; round < 4; round++) {
                ByteArrayOutputStream batch = new ByteArrayOutputStream();
                Set<Long> cookies = new HashSet<>();
                int writes = 5 + 10 * round;
                java.util.List<Integer> slots = new java.util.ArrayList<>();
                for (int i = 0; i < 128; i++) {
                    slots.add(i);
                }
                // disjoint 16 KiB slots: the writes of one batch may land in any order
                java.util.Collections.shuffle(slots, rnd);
                for (int i = 0; i < writes; i++) {
                    byte[] data = new byte[(1 + rnd.nextInt(4)) * 4096];
                    rnd.nextBytes(data);
                    long at = slots.get(i) * (16L << 10);
                    System.arraycopy(data, 0, expect, (int) at, data.length);
                    long cookie = 1000L * round + i;
                    cookies.add(cookie);
                    batch.writeBytes(request(0, CMD_WRITE, cookie, at, data.length, data));
                }
                // after the writes: nothing (round 0), a read, a flush, more writes' worth of nothing (round 3)
                if (round == 1) {
                    cookies.add(-1L);
                    batch.writeBytes(request(0, CMD_READ, -1, 0, 4096, null));
                } else if (round == 2) {
                    cookies.add(-2L);
                    batch.writeBytes(request(0, CMD_FLUSH, -2, 0, 0, null));
                }
                c.send(ByteBuffer.wrap(batch.toByteArray()));
                Set<Long> seen = new HashSet<>();
                for (int i = 0; i < cookies.size(); i++) {
                    RawClient.Reply r = c.readReply();
                    assertThat(r.error()).isZero();
                    assertThat(seen.add(r.handle())).as("one reply per cookie").isTrue();
                    if (r.handle() == -1) {
                        c.readBytes(4096);
                    }
                }
                assertThat(seen).isEqualTo(cookies);
            }
            assertThat(SyncIo.read(dev, 0, 4096)).isEqualTo(expect);
        }
    }
}
