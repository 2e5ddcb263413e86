package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import jdm.block.dev.FileDevice;
import jdm.block.dev.MemoryDevice;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * I/O by reference through real sockets: READ replies sent from a file with sendfile (also when the client lets
 * its socket fill up, which makes the sender fall back to copying pieces) and from a RAM disk's pages; WRITE
 * payloads read straight into a RAM disk's pages over a Unix socket, or spliced into a file, across pages, in
 * pieces, pipelined, and a client that leaves mid-payload (or stalls) leaves a server that goes on serving.
 * Byte-for-byte against the device.
 */
@Timeout(60)
class ByReferenceTest {
    @TempDir
    Path dir;

    /** Passes everything on and counts the READ and WRITE bios of 64 KiB or more: by reference there are none. */
    static final class LargeBios implements jdm.block.BlockDevice {
        final jdm.block.BlockDevice below;
        final java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();

        LargeBios(jdm.block.BlockDevice below) {
            this.below = below;
        }

        @Override
        public String name() {
            return below.name();
        }

        @Override
        public long sizeSectors() {
            return below.sizeSectors();
        }

        @Override
        public void submitBio(jdm.block.Bio bio) {
            if ((bio.op() == jdm.block.Op.READ || bio.op() == jdm.block.Op.WRITE)
                    && bio.sectors() >= Request.BY_REFERENCE_MIN / 512) {
                count.incrementAndGet();
            }
            below.submitBio(bio);
        }

        @Override
        public jdm.block.DataRegion readRegion(long sector, int sectors) {
            return below.readRegion(sector, sectors);
        }

        @Override
        public jdm.block.DataRegion writeRegion(long sector, int sectors) {
            return below.writeRegion(sector, sectors);
        }
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void fileReadsGoBySendfileEvenWhenTheClientLetsTheSocketFill() throws Exception {
        byte[] content = random(16 << 20, 1);
        Path img = Files.write(dir.resolve("a.img"), content);
        Path sock = dir.resolve("s");
        try (FileDevice file = FileDevice.open(img, false)) {
            LargeBios dev = new LargeBios(file);
            readBySendfile(content, sock, dev);
            assertThat(dev.count.get()).as("large READ bios: the replies went by reference").isZero();
        }
    }

    private static void readBySendfile(byte[] content, Path sock, LargeBios dev) throws Exception {
        try (NbdServer server = new NbdServer(MapExports.of("a", dev)).listenUnix(sock).start();
                RawClient c = RawClient.connect(sock).open("a")) {
            assertThat(c.read(4096, 1 << 20)).isEqualTo(Arrays.copyOfRange(content, 4096, 4096 + (1 << 20)));
            // 3 x 4 MiB asked at once, read only after a pause: the replies wait on a full socket
            for (int i = 0; i < 3; i++) {
                c.request(0, CMD_READ, 10 + i, (long) i << 22, 4 << 20, null);
            }
            Thread.sleep(300);
            for (int i = 0; i < 3; i++) {
                RawClient.Reply r = c.readReply();
                assertThat(r.error()).isZero();
                long at = (r.handle() - 10) << 22;
                assertThat(c.readBytes(4 << 20)).isEqualTo(Arrays.copyOfRange(content, (int) at, (int) at + (4 << 20)));
            }
        }
    }

    /** A WRITE of b (192 KiB) at offset: its header, then its payload in three pieces with pauses; checks the reply. */
    private static void writeInPieces(RawClient c, long offset, byte[] b) throws Exception {
        ByteBuffer req = ByteBuffer.allocate(28).putInt(REQUEST_MAGIC).putShort((short) 0)
                .putShort((short) CMD_WRITE).putLong(7).putLong(offset).putInt(b.length).flip();
        c.send(req);
        int[] cuts = {0, (64 << 10) - 1000, (128 << 10) - 1000, b.length};
        for (int p = 0; p < 3; p++) {
            Thread.sleep(50);
            c.send(ByteBuffer.wrap(b, cuts[p], cuts[p + 1] - cuts[p]));
        }
        RawClient.Reply r = c.readReply();
        assertThat(r.handle()).isEqualTo(7);
        assertThat(r.error()).isZero();
    }

    @Test
    void ramDiskWritesGoStraightIntoItsPagesAndReadsComeFromThem() throws Exception {
        MemoryDevice ram = new MemoryDevice("ram0", 16384); // 8 MiB
        LargeBios counted = new LargeBios(ram);
        Path sock = dir.resolve("s");
        try (NbdServer server = new NbdServer(MapExports.of("r", counted)).listenUnix(sock).start();
                RawClient c = RawClient.connect(sock).open("r")) {
            byte[] a = random(300 << 10, 2);
            assertThat(c.write(60 << 10, a)).isZero(); // from inside page 0 to inside page 5
            assertThat(SyncIo.read(ram, (60 << 10) / 512, a.length / 512)).isEqualTo(a);
            assertThat(c.read(60 << 10, a.length)).isEqualTo(a);
            // a header, then the payload in three pieces with pauses: the reader waits in the middle of a page
            byte[] b = random(192 << 10, 3);
            writeInPieces(c, 1 << 20, b);
            assertThat(SyncIo.read(ram, (1 << 20) / 512, b.length / 512)).isEqualTo(b);
            // pipelined writes, then their replies
            byte[][] many = new byte[16][];
            for (int i = 0; i < many.length; i++) {
                many[i] = random(12 << 10, 10 + i);
                c.request(0, CMD_WRITE, 100 + i, (2L << 20) + i * (12 << 10), many[i].length, many[i]);
            }
            for (int i = 0; i < many.length; i++) {
                assertThat(c.readReply().error()).isZero();
            }
            for (int i = 0; i < many.length; i++) {
                assertThat(c.read((2L << 20) + i * (12 << 10), many[i].length)).isEqualTo(many[i]);
            }
        }
        assertThat(counted.count.get()).as("large READ or WRITE bios: all went by reference").isZero();
    }

    @Test
    void fileWritesAreSplicedIntoTheFile() throws Exception {
        Path img = Files.write(dir.resolve("w.img"), new byte[8 << 20]);
        Path sock = dir.resolve("s");
        byte[] expected = new byte[8 << 20];
        try (FileDevice file = FileDevice.open(img, false)) {
            LargeBios counted = new LargeBios(file);
            try (NbdServer server = new NbdServer(MapExports.of("f", counted)).listenUnix(sock).start();
                    RawClient c = RawClient.connect(sock).open("f")) {
                // header and payload in one send: the payload's start comes with the header into the read-ahead
                byte[] a = random(300 << 10, 5);
                assertThat(c.write(60 << 10, a)).isZero();
                System.arraycopy(a, 0, expected, 60 << 10, a.length);
                // a header, then the payload in pieces with pauses: the splice waits for the socket in between
                byte[] b = random(192 << 10, 6);
                writeInPieces(c, 1 << 20, b);
                System.arraycopy(b, 0, expected, 1 << 20, b.length);
                // pipelined writes larger than the splice pipe, then their replies
                byte[][] many = new byte[6][];
                for (int i = 0; i < many.length; i++) {
                    many[i] = random((1 << 20) + (4 << 10), 10 + i);
                    long at = (2L << 20) + (long) i * (many[i].length - (64 << 10)); // each overlaps the last
                    c.request(0, CMD_WRITE, 100 + i, at, many[i].length, many[i]);
                    System.arraycopy(many[i], 0, expected, (int) at, many[i].length);
                }
                for (int i = 0; i < many.length; i++) {
                    assertThat(c.readReply().error()).isZero();
                }
                assertThat(counted.count.get()).as("large WRITE bios: all went by reference").isZero();
                // FUA: a bio, whose end syncs the file
                byte[] f = random(128 << 10, 7);
                c.request(CMD_FLAG_FUA, CMD_WRITE, 200, 0, f.length, f);
                assertThat(c.readReply().error()).isZero();
                System.arraycopy(f, 0, expected, 0, f.length);
                assertThat(counted.count.get()).as("the FUA write").isEqualTo(1);
                assertThat(c.read(0, expected.length)).isEqualTo(expected);
            }
        }
        assertThat(Files.readAllBytes(img)).isEqualTo(expected);
    }

    @Test
    void aClientLeavingMidPayloadLeavesAServerThatGoesOn() throws Exception {
        MemoryDevice ram = new MemoryDevice("ram0", 16384);
        leavingMidPayload(ram);
        try (FileDevice file = FileDevice.open(Files.write(dir.resolve("l.img"), new byte[8 << 20]), false)) {
            leavingMidPayload(file);
        }
    }

    private void leavingMidPayload(jdm.block.BlockDevice dev) throws Exception {
        Path sock = dir.resolve("s");
        Files.deleteIfExists(sock);
        try (NbdServer server = new NbdServer(MapExports.of("r", dev)).listenUnix(sock).start()) {
            try (RawClient c = RawClient.connect(sock).open("r")) {
                ByteBuffer req = ByteBuffer.allocate(28 + 1000).putInt(REQUEST_MAGIC).putShort((short) 0)
                        .putShort((short) CMD_WRITE).putLong(1).putLong(0).putInt(128 << 10).flip();
                c.send(req); // 1000 of 131072 payload bytes, then gone
            }
            try (RawClient c = RawClient.connect(sock).open("r")) {
                byte[] d = random(64 << 10, 4);
                assertThat(c.write(64 << 10, d)).isZero();
                assertThat(c.read(64 << 10, d.length)).isEqualTo(d);
            }
        }
    }

    @Test
    void aPayloadThatStallsEndsItsConnectionAfterTheDeadline() throws Exception {
        stalling(new MemoryDevice("ram0", 16384));
    }

    @Test
    void aPayloadSplicedIntoAFileThatStallsEndsItsConnectionAfterTheDeadline() throws Exception {
        try (FileDevice file = FileDevice.open(Files.write(dir.resolve("s.img"), new byte[8 << 20]), false)) {
            stalling(file);
        }
    }

    private void stalling(jdm.block.BlockDevice dev) throws Exception {
        Path sock = dir.resolve("s");
        try (NbdServer server = new NbdServer(MapExports.of("r", dev)).listenUnix(sock).start();
                RawClient c = RawClient.connect(sock).open("r")) {
            ByteBuffer req = ByteBuffer.allocate(28 + 1000).putInt(REQUEST_MAGIC).putShort((short) 0)
                    .putShort((short) CMD_WRITE).putLong(1).putLong(0).putInt(128 << 10).flip();
            long t0 = System.nanoTime();
            c.send(req); // and nothing more, connection open
            assertThatThrownBy(c::readReply).isInstanceOf(java.io.EOFException.class);
            assertThat((System.nanoTime() - t0) / 1e9).isBetween(Connection.PAYLOAD_SECONDS - 0.5,
                    Connection.PAYLOAD_SECONDS + 5.0);
        }
    }
}
