package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import jdm.block.QueueLimits;
import jdm.testing.DeviceChecks;
import jdm.testing.MemoryDisk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The fixed newstyle handshake, byte by byte, with a raw socket client. */
@Timeout(30)
class HandshakeTest {
    private static final long SIZE = 8 << 20;

    /** Every exported device sits behind a checking wrapper: each bio in range, ended exactly once. */
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;
    private Path sock;
    private MapExports exports;
    private NbdServer server;

    @BeforeEach
    void start() throws IOException {
        sock = dir.resolve("nbd.sock");
        exports = MapExports.builder()
                .add("disk", checks.wrap(new MemoryDisk("disk", SIZE >> 9)), false, "the test disk")
                .add("ro", checks.wrap(new MemoryDisk("ro", 2048, QueueLimits.DEFAULT, true)), true, null)
                .defaultExport("disk")
                .build();
        server = new NbdServer(exports).listenUnix(sock).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RawClient client() throws IOException {
        return RawClient.connect(sock);
    }

    @Test
    void greetingOffersFixedNewstyleAndNoZeroes() throws IOException {
        try (RawClient c = client().greet()) {
            assertThat(c.handshakeFlags).isEqualTo(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES);
        }
    }

    @Test
    void unknownClientFlagsCloseTheConnection() throws IOException {
        try (RawClient c = client().greet(FLAG_C_FIXED_NEWSTYLE | 0x80)) {
            assertThat(c.serverClosed()).isTrue();
        }
    }

    @Test
    void listNamesEveryExportWithItsDescriptionThenAcks() throws IOException {
        try (RawClient c = client().greet()) {
            List<RawClient.OptReply> r = c.option(OPT_LIST, new byte[0]);
            assertThat(r).hasSize(3);
            assertThat(r.get(0).type()).isEqualTo(REP_SERVER);
            ByteBuffer b = r.get(0).buffer();
            assertThat(b.getInt()).isEqualTo(4);
            // The name, then the rest of the reply is the description.
            assertThat(StandardCharsets.UTF_8.decode(b).toString()).isEqualTo("diskthe test disk");
            assertThat(r.get(1).data()).endsWith("ro".getBytes(StandardCharsets.UTF_8));
            assertThat(r.get(2).type()).isEqualTo(REP_ACK);
            assertThat(r.get(2).option()).isEqualTo(OPT_LIST);
        }
    }

    @Test
    void listWithDataIsInvalid() throws IOException {
        try (RawClient c = client().greet()) {
            assertThat(c.option(OPT_LIST, new byte[3]).getLast().type()).isEqualTo(REP_ERR_INVALID);
            assertThat(c.option(OPT_LIST, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
        }
    }

    @Test
    void infoDescribesTheExportAndLeavesItClosed() throws IOException {
        try (RawClient c = client().greet()) {
            List<RawClient.OptReply> r = c.option(OPT_INFO,
                    RawClient.infoRequest("disk", INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE));
            assertThat(r.getLast().type()).isEqualTo(REP_ACK);
            RawClient.OptReply export = find(r, INFO_EXPORT);
            assertThat(export.data()).hasSize(12);
            assertThat(export.buffer().getLong(2)).isEqualTo(SIZE);
            int flags = export.buffer().getShort(10) & 0xffff;
            assertThat(flags).isEqualTo(FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_SEND_TRIM
                    | FLAG_SEND_WRITE_ZEROES | FLAG_CAN_MULTI_CONN | FLAG_SEND_CACHE | FLAG_SEND_FAST_ZERO);
            assertThat(new String(find(r, INFO_NAME).data(), 2, 4, StandardCharsets.UTF_8)).isEqualTo("disk");
            assertThat(new String(find(r, INFO_DESCRIPTION).data(), 2, 13, StandardCharsets.UTF_8))
                    .isEqualTo("the test disk");
            ByteBuffer bs = find(r, INFO_BLOCK_SIZE).buffer();
            assertThat(bs.remaining()).isEqualTo(14);
            assertThat(bs.getInt(2)).isEqualTo(512);
            assertThat(bs.getInt(6)).isEqualTo(4096);
            assertThat(bs.getInt(10)).isEqualTo(32 << 20);
            assertThat(exports.openCount("disk")).isZero();
            // Still in option haggling: another option is answered.
            assertThat(c.option(OPT_LIST, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
        }
    }

    @Test
    void infoOfTheEmptyNameNamesTheDefaultExport() throws IOException {
        try (RawClient c = client().greet()) {
            List<RawClient.OptReply> r = c.option(OPT_INFO, RawClient.infoRequest("", INFO_NAME));
            assertThat(r.getLast().type()).isEqualTo(REP_ACK);
            assertThat(new String(find(r, INFO_NAME).data(), 2, 4, StandardCharsets.UTF_8)).isEqualTo("disk");
        }
    }

    @Test
    void infoOfAReadOnlyExportSetsReadOnlyAndOffersNoWrites() throws IOException {
        try (RawClient c = client().greet()) {
            List<RawClient.OptReply> r = c.option(OPT_INFO, RawClient.infoRequest("ro"));
            int flags = find(r, INFO_EXPORT).buffer().getShort(10) & 0xffff;
            assertThat(flags & FLAG_READ_ONLY).isNotZero();
            assertThat(flags & (FLAG_SEND_TRIM | FLAG_SEND_WRITE_ZEROES | FLAG_SEND_FUA)).isZero();
        }
    }

    @Test
    void goEntersTransmissionAndTheExportIsOpenUntilDisconnect() throws Exception {
        try (RawClient c = client().greet()) {
            List<RawClient.OptReply> r = c.go("disk");
            assertThat(r.getLast().type()).isEqualTo(REP_ACK);
            assertThat(find(r, INFO_EXPORT).buffer().getLong(2)).isEqualTo(SIZE);
            assertThat(find(r, INFO_BLOCK_SIZE).data()).hasSize(14);         // sent unasked: we enforce 512
            assertThat(find(r, INFO_DESCRIPTION).data()).hasSize(2 + 13);    // sent whenever there is one
            assertThat(r).noneMatch(x -> x.type() == REP_INFO && x.infoType() == INFO_NAME); // only when asked
            assertThat(exports.openCount("disk")).isEqualTo(1);
            assertThat(c.read(0, 512)).containsOnly(0);
            c.request(0, CMD_DISC, 0, 0, 0, null);
            assertThat(c.serverClosed()).isTrue();
        }
        awaitClosed("disk");
    }

    @Test
    void goOfAnUnknownExportIsRefusedWithAMessageAndHagglingGoesOn() throws IOException {
        try (RawClient c = client().greet()) {
            List<RawClient.OptReply> r = c.go("nope");
            assertThat(r).hasSize(1);
            assertThat(r.getFirst().type()).isEqualTo(REP_ERR_UNKNOWN);
            assertThat(r.getFirst().text()).contains("nope");
            assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
        }
    }

    @Test
    void anErrorQuotesALongNameOnlyInPart() throws IOException {
        String name = "n".repeat(MAX_STRING); // the longest name the spec allows
        try (RawClient c = client().greet()) {
            RawClient.OptReply r = c.go(name).getFirst();
            assertThat(r.type()).isEqualTo(REP_ERR_UNKNOWN);
            assertThat(r.text()).startsWith("no export named 'nnn").endsWith("...");
            assertThat(r.data()).hasSize(Handshake.MAX_MESSAGE); // bytes: a string SHOULD be at most 256
        }
    }

    @Test
    void infoAndGoWithInconsistentLengthsAreInvalid() throws IOException {
        try (RawClient c = client().greet()) {
            assertThat(c.option(OPT_GO, new byte[5]).getLast().type()).isEqualTo(REP_ERR_INVALID);
            byte[] nameTooLong = ByteBuffer.allocate(6).putInt(100).array();
            assertThat(c.option(OPT_GO, nameTooLong).getLast().type()).isEqualTo(REP_ERR_INVALID);
            byte[] wrongCount = ByteBuffer.allocate(10).putInt(0).putShort((short) 1).array();
            assertThat(c.option(OPT_INFO, wrongCount).getLast().type()).isEqualTo(REP_ERR_INVALID);
            byte[] nul = RawClient.infoRequest("di\0sk");
            assertThat(c.option(OPT_INFO, nul).getLast().type()).isEqualTo(REP_ERR_INVALID);
            assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
        }
    }

    @Test
    void exportNameEntersTransmissionWithZeroPaddingUnlessNoZeroes() throws IOException {
        try (RawClient c = client().greet(FLAG_C_FIXED_NEWSTYLE)) {
            c.sendOption(OPT_EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));
            assertThat(c.in.readLong()).isEqualTo(SIZE);
            assertThat(c.in.readUnsignedShort() & FLAG_HAS_FLAGS).isNotZero();
            assertThat(c.readBytes(124)).containsOnly(0);
            assertThat(c.read(4096, 512)).hasSize(512);
        }
        try (RawClient c = client().greet()) {
            c.sendOption(OPT_EXPORT_NAME, new byte[0]); // the default export
            assertThat(c.in.readLong()).isEqualTo(SIZE);
            c.in.readUnsignedShort();
            assertThat(c.write(0, new byte[512])).isZero(); // no padding: the next bytes are the reply
        }
    }

    @Test
    void exportNameOfAnUnknownExportClosesTheConnection() throws IOException {
        try (RawClient c = client().greet()) {
            c.sendOption(OPT_EXPORT_NAME, "nope".getBytes(StandardCharsets.UTF_8));
            assertThat(c.serverClosed()).isTrue();
        }
    }

    @Test
    void unsupportedOptionsAreRefusedAndHagglingGoesOn() throws IOException {
        try (RawClient c = client().greet()) {
            assertThat(c.option(13, new byte[0]).getLast().type()).isEqualTo(REP_ERR_UNSUP); // unassigned
            assertThat(c.option(12345, new byte[7]).getLast().type()).isEqualTo(REP_ERR_UNSUP);
            assertThat(c.option(OPT_STARTTLS, new byte[0]).getLast().type()).isEqualTo(REP_ERR_POLICY);
            assertThat(c.option(OPT_STARTTLS, new byte[1]).getLast().type()).isEqualTo(REP_ERR_INVALID);
            assertThat(c.go("").getLast().type()).isEqualTo(REP_ACK);
        }
    }

    @Test
    void anOversizedOptionIsDiscardedAndRefusedAsTooBig() throws IOException {
        try (RawClient c = client().greet()) {
            RawClient.OptReply r = c.option(OPT_GO, new byte[(64 << 10) + 1]).getLast();
            assertThat(r.type()).isEqualTo(REP_ERR_TOO_BIG);
            assertThat(c.go("disk").getLast().type()).isEqualTo(REP_ACK);
        }
    }

    @Test
    void abortIsAcknowledgedAndTheConnectionCloses() throws IOException {
        try (RawClient c = client().greet()) {
            assertThat(c.option(OPT_ABORT, new byte[0]).getLast().type()).isEqualTo(REP_ACK);
            assertThat(c.serverClosed()).isTrue();
        }
    }

    @Test
    void aBadOptionMagicClosesTheConnection() throws IOException {
        try (RawClient c = client().greet()) {
            c.send(ByteBuffer.allocate(16).putLong(0x1234).putInt(OPT_LIST).putInt(0).flip());
            assertThat(c.serverClosed()).isTrue();
        }
    }

    @Test
    void withoutFixedNewstyleOnlyExportNameIsAccepted() throws IOException {
        try (RawClient c = client().greet(0)) {
            assertThat(c.option(OPT_LIST, new byte[0]).getLast().type()).isEqualTo(REP_ERR_INVALID);
            c.sendOption(OPT_EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));
            assertThat(c.in.readLong()).isEqualTo(SIZE);
        }
    }

    private static RawClient.OptReply find(List<RawClient.OptReply> replies, int infoType) {
        return replies.stream().filter(r -> r.type() == REP_INFO && r.infoType() == infoType).findFirst()
                .orElseThrow(() -> new AssertionError("no NBD_INFO " + infoType + " in " + replies));
    }

    private void awaitClosed(String name) throws InterruptedException {
        for (int i = 0; i < 500 && exports.openCount(name) != 0; i++) {
            Thread.sleep(10);
        }
        assertThat(exports.openCount(name)).isZero();
    }
}
