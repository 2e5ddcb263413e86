package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdm.block.BlkStatus;
import jdm.block.dev.FileDevice;
import jdm.testing.DeviceChecks;
import jdm.testing.FaultyDisk;
import jdm.testing.MemoryDisk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The protocol's MUSTs for structured replies, metadata contexts and block status, CACHE and FAST_ZERO
 * (proto.md), through a raw socket client.
 */
@Timeout(60)
class StructuredReplyTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();
    private FileDevice sparse;
    private NbdServer server;
    private Path sock;

    @BeforeEach
    void start() throws IOException {
        // 8 MiB, data only in [1 MiB, 2 MiB)
        Path f = dir.resolve("sparse.img");
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(8 * MIB);
            r.seek(MIB);
            byte[] b = new byte[MIB];
            Arrays.fill(b, (byte) 7);
            r.write(b);
        }
        sparse = FileDevice.open(f, false);
        MapExports exports = MapExports.builder()
                .add("sparse", checks.wrap(sparse))
                .add("mem", checks.wrap(new MemoryDisk("mem", 2048)))
                .add("failing", checks.wrap(new FaultyDisk(new MemoryDisk("f", 2048)).failAll(BlkStatus.IOERR)))
                .add("nozero", checks.wrap(new FaultyDisk(new MemoryDisk("z", 2048)).failAll(BlkStatus.NOTSUPP)))
                .defaultExport("sparse")
                .build();
        sock = dir.resolve("nbd.sock");
        server = new NbdServer(exports).listenUnix(sock).start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        sparse.close();
    }

    private RawClient structured() throws IOException {
        RawClient c = RawClient.connect(sock).greet();
        assertThat(c.option(OPT_STRUCTURED_REPLY, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
        return c;
    }

    private static int goFlags(RawClient c, String name) throws IOException {
        List<RawClient.OptReply> r = c.go(name);
        assertThat(r.getLast().type()).isEqualTo(REP_ACK);
        RawClient.OptReply export = r.stream().filter(o -> o.type() == REP_INFO && o.buffer().getShort(0) == 0)
                .findFirst().orElseThrow();
        return export.buffer().getShort(10) & 0xffff;
    }

    @Test
    void structuredRepliesTakeNoDataAndDfIsAdvertisedOnlyWithThem() throws IOException {
        try (RawClient c = RawClient.connect(sock).greet()) {
            assertThat(c.option(OPT_STRUCTURED_REPLY, new byte[1]).getLast().type()).isEqualTo(REP_ERR_INVALID);
            int flags = goFlags(c, "sparse");
            assertThat(flags & FLAG_SEND_DF).isZero();
            assertThat(flags & (FLAG_SEND_CACHE | FLAG_SEND_FAST_ZERO)).isEqualTo(FLAG_SEND_CACHE | FLAG_SEND_FAST_ZERO);
            assertThat(c.command(CMD_FLAG_DF, CMD_READ, 0, 512)).isEqualTo(NbdErrno.EINVAL); // DF not offered
        }
        try (RawClient c = structured()) {
            assertThat(goFlags(c, "sparse") & FLAG_SEND_DF).isEqualTo(FLAG_SEND_DF);
        }
    }

    @Test
    void aReadIsOneOffsetDataChunkFlaggedDoneWithAndWithoutDf() throws IOException {
        try (RawClient c = structured()) {
            goFlags(c, "sparse");
            for (int flags : new int[] {0, CMD_FLAG_DF}) {
                c.request(flags, CMD_READ, 9, MIB - 4096, 8192, null);
                List<RawClient.Chunk> r = c.readStructuredReply();
                assertThat(r).hasSize(1);
                RawClient.Chunk d = r.getFirst();
                assertThat(d.type()).isEqualTo(REPLY_TYPE_OFFSET_DATA);
                assertThat(d.handle()).isEqualTo(9);
                assertThat(d.done()).isTrue();
                ByteBuffer b = d.buffer();
                assertThat(b.getLong()).isEqualTo(MIB - 4096);
                byte[] want = new byte[8192];
                Arrays.fill(want, 4096, 8192, (byte) 7);
                assertThat(Arrays.copyOfRange(d.data(), 8, d.data().length)).isEqualTo(want);
            }
        }
    }

    @Test
    void aLargeReadLeavesOutTheHolesOfTheMapButDfGetsOneDataChunk() throws IOException {
        try (RawClient c = structured()) {
            goFlags(c, "sparse");
            c.request(0, CMD_READ, 3, 0, 3 * MIB, null);
            List<String> chunks = new ArrayList<>();
            for (RawClient.Chunk ch : c.readStructuredReply()) {
                ByteBuffer b = ch.buffer();
                long off = b.getLong();
                if (ch.type() == REPLY_TYPE_OFFSET_HOLE) {
                    chunks.add("hole " + off + "+" + b.getInt() + (ch.done() ? " done" : ""));
                } else {
                    byte[] want = new byte[MIB];
                    Arrays.fill(want, (byte) 7);
                    assertThat(Arrays.copyOfRange(ch.data(), 8, ch.data().length)).isEqualTo(want);
                    chunks.add("data " + off + "+" + (ch.data().length - 8) + (ch.done() ? " done" : ""));
                }
            }
            assertThat(chunks).containsExactly("hole 0+" + MIB, "data " + MIB + "+" + MIB,
                    "hole " + 2 * MIB + "+" + MIB + " done");
            c.request(CMD_FLAG_DF, CMD_READ, 4, 0, 3 * MIB, null);
            List<RawClient.Chunk> one = c.readStructuredReply();
            assertThat(one).hasSize(1);
            assertThat(one.getFirst().type()).isEqualTo(REPLY_TYPE_OFFSET_DATA);
            assertThat(one.getFirst().data()).hasSize(8 + 3 * MIB);
        }
    }

    @Test
    void failedReadsAreErrorOffsetChunksRefusalsAndOtherErrorsAreErrorChunks() throws IOException {
        try (RawClient c = structured()) {
            goFlags(c, "failing");
            c.request(0, CMD_READ, 1, 4096, 512, null);
            RawClient.Chunk e = c.readChunk();
            assertThat(e.type()).isEqualTo(REPLY_TYPE_ERROR_OFFSET);
            assertThat(e.done()).isTrue();
            assertThat(e.error()).isEqualTo(NbdErrno.EIO);
            ByteBuffer b = e.buffer();
            assertThat(b.getShort(4)).isZero(); // no message
            assertThat(b.getLong(6)).isEqualTo(4096); // within the request
            for (long length : new long[] {512, 0}) { // a flag READ does not take: still a structured reply
                c.request(CMD_FLAG_REQ_ONE, CMD_READ, 2, 0, length, null);
                e = c.readChunk();
                assertThat(e.type()).isEqualTo(REPLY_TYPE_ERROR);
                assertThat(e.done()).isTrue();
                assertThat(e.error()).isEqualTo(NbdErrno.EINVAL);
            }
            c.request(0, CMD_READ, 2, 2048 * 512, 512, null); // beyond the end
            e = c.readChunk();
            assertThat(e.type()).isEqualTo(REPLY_TYPE_ERROR);
            assertThat(e.error()).isEqualTo(NbdErrno.EINVAL);
            c.request(0, CMD_WRITE, 3, 0, 512, new byte[512]);
            e = c.readChunk();
            assertThat(e.type()).isEqualTo(REPLY_TYPE_ERROR);
            assertThat(e.data()).hasSize(6);
            assertThat(e.error()).isEqualTo(NbdErrno.EIO);
        }
    }

    @Test
    void successWithoutDataIsASimpleReplyButForAReadWhichGetsANoneChunk() throws IOException {
        try (RawClient c = structured()) {
            goFlags(c, "mem");
            // a WRITE's success: a simple reply (16 bytes, which clients read in one call: see ReplyEncoder)
            c.request(0, CMD_WRITE, 4, 0, 512, new byte[512]);
            RawClient.Chunk r = c.readChunk();
            assertThat(r.simple()).isTrue();
            assertThat(r.handle()).isEqualTo(4);
            assertThat(r.type()).isEqualTo(REPLY_TYPE_NONE);
            c.request(0, CMD_FLUSH, 6, 0, 0, null);
            assertThat(c.readChunk().simple()).isTrue();
            c.request(0, CMD_READ, 5, 0, 0, null); // empty READ: success, no content chunk can be one byte
            r = c.readChunk();
            assertThat(r.simple()).as("never a simple reply to a READ").isFalse();
            assertThat(r.type()).isEqualTo(REPLY_TYPE_NONE);
            assertThat(r.done()).isTrue();
            assertThat(r.data()).isEmpty();
        }
    }

    @Test
    void cacheSucceedsWithinTheExportAndIsCheckedLikeARead() throws IOException {
        try (RawClient c = RawClient.connect(sock).open("mem")) {
            assertThat(c.command(0, CMD_CACHE, 0, 2048 * 512)).isEqualTo(NbdErrno.OK);
            assertThat(c.command(0, CMD_CACHE, 2048 * 512, 512)).isEqualTo(NbdErrno.EINVAL);
            assertThat(c.command(0, CMD_CACHE, 100, 512)).isEqualTo(NbdErrno.EINVAL);
        }
    }

    @Test
    void fastZeroFailsWithEnotsupOnlyWhenAskedAndTheDeviceCannotZeroFast() throws IOException {
        try (RawClient c = RawClient.connect(sock).open("nozero")) {
            assertThat(c.command(CMD_FLAG_FAST_ZERO, CMD_WRITE_ZEROES, 0, 4096)).isEqualTo(NbdErrno.ENOTSUP);
            assertThat(c.command(0, CMD_WRITE_ZEROES, 0, 4096)).isEqualTo(NbdErrno.EINVAL); // never ENOTSUP
            assertThat(c.command(CMD_FLAG_FAST_ZERO, CMD_TRIM, 0, 4096)).isEqualTo(NbdErrno.EINVAL); // zeroes only
        }
        try (RawClient c = RawClient.connect(sock).open("sparse")) {
            // a file zeroes by punching a hole: fast
            assertThat(c.command(CMD_FLAG_FAST_ZERO, CMD_WRITE_ZEROES, 4 * MIB, MIB)).isEqualTo(NbdErrno.OK);
        }
    }

    @Test
    void metaContextsNeedStructuredRepliesAndAnExistingExport() throws IOException {
        try (RawClient c = RawClient.connect(sock).greet()) {
            assertThat(c.option(OPT_SET_META_CONTEXT, RawClient.metaContextRequest("sparse", BASE_ALLOCATION))
                    .getLast().type()).isEqualTo(REP_ERR_INVALID);
        }
        try (RawClient c = structured()) {
            assertThat(c.option(OPT_SET_META_CONTEXT, RawClient.metaContextRequest("nope", BASE_ALLOCATION))
                    .getLast().type()).isEqualTo(REP_ERR_UNKNOWN);
            byte[] bad = RawClient.metaContextRequest("sparse", BASE_ALLOCATION);
            ByteBuffer.wrap(bad).putInt(bad.length - 4 - BASE_ALLOCATION.length(), 9999); // query beyond the data
            assertThat(c.option(OPT_LIST_META_CONTEXT, bad).getLast().type()).isEqualTo(REP_ERR_INVALID);
        }
    }

    /** The META_CONTEXT replies of an option, as "id name", then the final reply type. */
    private static List<String> contexts(RawClient c, int option, byte[] data) throws IOException {
        c.sendOption(option, data);
        List<String> out = new ArrayList<>();
        while (true) {
            RawClient.OptReply r = c.readOptReply();
            if (r.type() != REP_META_CONTEXT) {
                out.add("final " + r.type());
                return out;
            }
            out.add(r.buffer().getInt() + " " + new String(r.data(), 4, r.data().length - 4, StandardCharsets.UTF_8));
        }
    }

    @Test
    void listAndSetMetaContextOfferBaseAllocationAndIgnoreOtherNamespaces() throws IOException {
        try (RawClient c = structured()) {
            assertThat(contexts(c, OPT_LIST_META_CONTEXT, RawClient.metaContextRequest("sparse")))
                    .containsExactly("0 base:allocation", "final " + REP_ACK);
            assertThat(contexts(c, OPT_LIST_META_CONTEXT, RawClient.metaContextRequest("sparse", "base:")))
                    .containsExactly("0 base:allocation", "final " + REP_ACK);
            assertThat(contexts(c, OPT_LIST_META_CONTEXT, RawClient.metaContextRequest("sparse", "qemu:dirty")))
                    .containsExactly("final " + REP_ACK);
            assertThat(contexts(c, OPT_SET_META_CONTEXT, RawClient.metaContextRequest("sparse")))
                    .containsExactly("final " + REP_ACK); // no query selects nothing
            assertThat(contexts(c, OPT_SET_META_CONTEXT,
                    RawClient.metaContextRequest("sparse", "x-other:thing", BASE_ALLOCATION)))
                    .containsExactly(BASE_ALLOCATION_ID + " base:allocation", "final " + REP_ACK);
        }
    }

    private RawClient withBaseAllocation(String setFor, String goTo) throws IOException {
        RawClient c = structured();
        assertThat(c.option(OPT_SET_META_CONTEXT, RawClient.metaContextRequest(setFor, BASE_ALLOCATION))
                .getLast().type()).isEqualTo(REP_ACK);
        goFlags(c, goTo);
        return c;
    }

    /** The reply's descriptors as "bytes:state". */
    private static List<String> blockStatus(RawClient c, int flags, long offset, long length) throws IOException {
        c.request(flags, CMD_BLOCK_STATUS, 77, offset, length, null);
        List<RawClient.Chunk> r = c.readStructuredReply();
        assertThat(r).hasSize(1);
        RawClient.Chunk s = r.getFirst();
        assertThat(s.type()).isEqualTo(REPLY_TYPE_BLOCK_STATUS);
        assertThat(s.handle()).isEqualTo(77);
        ByteBuffer b = s.buffer();
        assertThat(b.getInt()).isEqualTo(BASE_ALLOCATION_ID);
        List<String> out = new ArrayList<>();
        while (b.hasRemaining()) {
            out.add((b.getInt() & 0xffffffffL) + ":" + b.getInt());
        }
        return out;
    }

    @Test
    void blockStatusReportsTheFilesHolesAsZeroHolesAndHonoursReqOne() throws IOException {
        int hz = STATE_HOLE | STATE_ZERO;
        try (RawClient c = withBaseAllocation("sparse", "sparse")) {
            assertThat(blockStatus(c, 0, 0, 8 * MIB)).containsExactly(MIB + ":" + hz, MIB + ":0", 6 * MIB + ":" + hz);
            assertThat(blockStatus(c, 0, MIB + 4096, MIB)).containsExactly((MIB - 4096) + ":0", 4096 + ":" + hz);
            assertThat(blockStatus(c, CMD_FLAG_REQ_ONE, 0, 8 * MIB)).containsExactly(MIB + ":" + hz);
            assertThat(blockStatus(c, CMD_FLAG_REQ_ONE, 512, 4096)).containsExactly("4096:" + hz); // not past it
            c.request(0, CMD_BLOCK_STATUS, 1, 8 * MIB, 512, null); // beyond the end
            assertThat(c.readChunk().error()).isEqualTo(NbdErrno.EINVAL);
            c.request(0, CMD_BLOCK_STATUS, 1, 0, 0, null); // empty: no extent to describe
            assertThat(c.readChunk().error()).isEqualTo(NbdErrno.EINVAL);
        }
    }

    @Test
    void blockStatusWithoutABaseAllocationContextForThisExportIsRefused() throws IOException {
        try (RawClient c = structured()) {
            goFlags(c, "sparse");
            c.request(0, CMD_BLOCK_STATUS, 1, 0, 512, null);
            assertThat(c.readChunk().error()).isEqualTo(NbdErrno.EINVAL);
        }
        try (RawClient c = withBaseAllocation("mem", "sparse")) { // selected for another export
            c.request(0, CMD_BLOCK_STATUS, 1, 0, 512, null);
            assertThat(c.readChunk().error()).isEqualTo(NbdErrno.EINVAL);
        }
    }
}
