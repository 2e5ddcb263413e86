package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import jdm.block.dev.MemoryDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * NBD_OPT_EXTENDED_HEADERS (the NBD spec's extended-header extension, as qemu 8.2, nbdkit 1.36 and libnbd 1.18
 * speak it; this machine's libnbd 1.14 and qemu 7.2 predate it, so a raw client drives it): the option and its
 * interplay with structured replies and metadata contexts, 32-byte requests with NBD_CMD_FLAG_PAYLOAD_LEN, 32-byte
 * reply chunks that repeat the request's offset, 64-bit effect lengths and BLOCK_STATUS_EXT descriptors.
 */
@Timeout(30)
class ExtendedHeadersTest {
    static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    /** A reply chunk with its extended header fields. */
    record Chunk(int flags, int type, long cookie, long offset, byte[] data) {
        ByteBuffer buffer() {
            return ByteBuffer.wrap(data);
        }
    }

    static void request(RawClient c, int flags, int type, long cookie, long offset, long length, byte[] payload)
            throws IOException {
        ByteBuffer b = ByteBuffer.allocate(32 + (payload == null ? 0 : payload.length)).putInt(EXTENDED_REQUEST_MAGIC)
                .putShort((short) flags).putShort((short) type).putLong(cookie).putLong(offset).putLong(length);
        if (payload != null) {
            b.put(payload);
        }
        c.send(b.flip());
    }

    static Chunk chunk(RawClient c) throws IOException {
        assertThat(c.in.readInt()).as("extended reply magic").isEqualTo(EXTENDED_REPLY_MAGIC);
        int flags = c.in.readUnsignedShort();
        int type = c.in.readUnsignedShort();
        long cookie = c.in.readLong();
        long offset = c.in.readLong();
        long length = c.in.readLong();
        assertThat(length).isBetween(0L, (long) MAX_PAYLOAD + 64);
        byte[] data = new byte[(int) length];
        c.in.readFully(data);
        return new Chunk(flags, type, cookie, offset, data);
    }

    /** Greets, negotiates extended headers and base:allocation, and enters transmission on "m". */
    static RawClient open(Path sock) throws IOException {
        RawClient c = RawClient.connect(sock).greet();
        assertThat(c.option(OPT_EXTENDED_HEADERS, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
        List<RawClient.OptReply> meta = c.option(OPT_SET_META_CONTEXT,
                RawClient.metaContextRequest("m", BASE_ALLOCATION));
        assertThat(meta).extracting(RawClient.OptReply::type).containsExactly(REP_META_CONTEXT, REP_ACK);
        List<RawClient.OptReply> go = c.go("m", INFO_BLOCK_SIZE);
        assertThat(go.getLast().type()).isEqualTo(REP_ACK);
        int tflags = go.stream()
                .filter(r -> r.type() == REP_INFO && ByteBuffer.wrap(r.data()).getShort() == INFO_EXPORT)
                .mapToInt(r -> ByteBuffer.wrap(r.data()).getShort(10) & 0xffff).findFirst().orElseThrow();
        assertThat(tflags & FLAG_SEND_DF).as("DF: replies are chunks").isNotZero();
        return c;
    }

    NbdServer serve(Path sock, MemoryDevice dev) throws IOException {
        return new NbdServer(MapExports.of("m", dev)).listenUnix(sock).start();
    }

    @Test
    void theOptionTakesNoDataSupersedesStructuredRepliesAndAllowsMetaContexts() throws Exception {
        Path sock = dir.resolve("s");
        try (NbdServer server = serve(sock, new MemoryDevice("m", 2048));
                RawClient c = RawClient.connect(sock).greet()) {
            assertThat(c.option(OPT_EXTENDED_HEADERS, new byte[1]).getLast().type()).isEqualTo(REP_ERR_INVALID);
            assertThat(c.option(OPT_EXTENDED_HEADERS, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
            assertThat(c.option(OPT_EXTENDED_HEADERS, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
            assertThat(c.option(OPT_STRUCTURED_REPLY, new byte[0]).getLast().type())
                    .isEqualTo(REP_ERR_EXT_HEADER_REQD);
            assertThat(c.option(OPT_LIST_META_CONTEXT, RawClient.metaContextRequest("m")))
                    .extracting(RawClient.OptReply::type).containsExactly(REP_META_CONTEXT, REP_ACK);
        }
        try (NbdServer server = serve(sock, new MemoryDevice("m", 2048));
                RawClient c = RawClient.connect(sock).greet()) {
            assertThat(c.option(OPT_EXTENDED_HEADERS, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
            c.sendOption(OPT_EXPORT_NAME, "m".getBytes());
            assertThatThrownBy(() -> c.in.readLong()).as("EXPORT_NAME after extended headers: closed")
                    .isInstanceOf(EOFException.class);
        }
    }

    @Test
    void requestsAndRepliesUse32ByteHeadersWith64BitLengths() throws Exception {
        Path sock = dir.resolve("s");
        MemoryDevice dev = new MemoryDevice("m", 8 * GIB / 512); // sparse: nothing is allocated until written
        try (NbdServer server = serve(sock, dev); RawClient c = open(sock)) {
            byte[] data = new byte[8192];
            new Random(1).nextBytes(data);
            long at = 4 * GIB + 4096; // beyond 32 bits
            request(c, CMD_FLAG_PAYLOAD_LEN, CMD_WRITE, 11, at, data.length, data);
            Chunk w = chunk(c);
            assertThat(List.of(w.flags(), w.type(), w.cookie(), w.offset(), w.data().length))
                    .containsExactly(REPLY_FLAG_DONE, REPLY_TYPE_NONE, 11L, at, 0);

            request(c, 0, CMD_READ, 12, at, data.length, null);
            Chunk r = chunk(c);
            assertThat(r.flags()).isEqualTo(REPLY_FLAG_DONE);
            assertThat(r.type()).isEqualTo(REPLY_TYPE_OFFSET_DATA);
            assertThat(r.cookie()).isEqualTo(12);
            assertThat(r.offset()).as("the request's offset").isEqualTo(at);
            assertThat(r.buffer().getLong()).isEqualTo(at);
            assertThat(java.util.Arrays.copyOfRange(r.data(), 8, r.data().length)).isEqualTo(data);

            // a WRITE without PAYLOAD_LEN carries no payload: refused, and the stream stays in step
            request(c, 0, CMD_WRITE, 13, 0, 4096, null);
            Chunk bad = chunk(c);
            assertThat(bad.type()).isEqualTo(REPLY_TYPE_ERROR);
            assertThat(bad.buffer().getInt()).isEqualTo(NbdErrno.EINVAL);
            assertThat(bad.offset()).isZero();
            // a payload on a command that takes none is read past, then refused
            request(c, CMD_FLAG_PAYLOAD_LEN, CMD_FLUSH, 14, 0, 16, new byte[16]);
            Chunk flush = chunk(c);
            assertThat(flush.type()).isEqualTo(REPLY_TYPE_ERROR);
            assertThat(flush.buffer().getInt()).isEqualTo(NbdErrno.EINVAL);

            // BLOCK_STATUS over 6 GiB: one BLOCK_STATUS_EXT chunk, a 64-bit descriptor
            request(c, 0, CMD_BLOCK_STATUS, 15, 0, 6 * GIB, null);
            Chunk bs = chunk(c);
            assertThat(bs.type()).isEqualTo(REPLY_TYPE_BLOCK_STATUS_EXT);
            ByteBuffer b = bs.buffer();
            assertThat(b.getInt()).isEqualTo(BASE_ALLOCATION_ID);
            int count = b.getInt();
            assertThat(bs.data().length).isEqualTo(8 + 16 * count);
            assertThat(count).isEqualTo(1);
            assertThat(b.getLong()).isEqualTo(6 * GIB);
            assertThat(b.getInt()).as("padding").isZero();
            assertThat(b.getInt()).as("data").isZero();

            // a 64-bit effect length: one TRIM of 5 GiB, then the bytes written above read as zeros
            request(c, 0, CMD_TRIM, 16, 0, 5 * GIB, null);
            Chunk trim = chunk(c);
            assertThat(trim.type()).isEqualTo(REPLY_TYPE_NONE);
            assertThat(trim.cookie()).isEqualTo(16);
            request(c, 0, CMD_READ, 17, at, data.length, null);
            assertThat(java.util.Arrays.copyOfRange(chunk(c).data(), 8, 8 + data.length)).isEqualTo(new byte[8192]);

            // beyond the end: ENOSPC for a write, EINVAL for a read; a length past 2^63 too
            request(c, 0, CMD_READ, 18, 8 * GIB - 4096, 8192, null);
            assertThat(chunk(c).buffer().getInt()).isEqualTo(NbdErrno.EINVAL);
            request(c, 0, CMD_TRIM, 19, 0, -4096L, null);
            assertThat(chunk(c).buffer().getInt()).isEqualTo(NbdErrno.EINVAL);

            // a compact request now is a bad magic (once 32 bytes are in): the connection ends
            c.request(0, CMD_READ, 20, 0, 4096, null);
            c.send(ByteBuffer.allocate(4));
            assertThatThrownBy(() -> c.in.readInt()).isInstanceOf(EOFException.class);
        }
    }
}
