package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exports follow their device: a read-only device (created so, or reloaded with a read-only table) is advertised
 * with NBD_FLAG_READ_ONLY and a write that reaches the server anyway gets EPERM, with the backing file unchanged;
 * after a reload to another size, new clients see the new size while a client already connected keeps the size it
 * was told and goes on reading.
 */
@Timeout(120)
class ReadOnlyAndResizeTest {
    @TempDir
    Path dir;
    Daemon daemon;
    Path sock;
    Path disk;

    @BeforeEach
    void start() throws Exception {
        sock = dir.resolve("nbd.sock");
        disk = DaemonEndToEndTest.randomFile(dir.resolve("disk.img"), 8 << 20, 3);
        daemon = Daemon.start(new Daemon.Listen(sock, null, 0, null));
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    private String uri(String name) {
        return "nbd+unix:///" + name + "?socket=" + sock;
    }

    private int exitOf(String... cmd) throws Exception {
        Process p = Tools.start(cmd);
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    /** Writes one sector with libnbd's client-side checks off, so the server has to refuse; prints the errno. */
    private String nbdshWrite(String name) throws Exception {
        return Tools.run(Tools.nbdsh("-u", uri(name), "-c", "import errno\nh.set_strict_mode(0)\ntry:\n"
                + "    h.pwrite(b'\\xab' * 512, 0)\n    print('written')\nexcept nbd.Error as e:\n"
                + "    print(errno.errorcode.get(e.errno, e.errno))")).trim();
    }

    @Test
    void aReadOnlyDeviceIsAdvertisedReadOnlyAndRefusesWritesWithEperm() throws Exception {
        Tools.need("nbdinfo");
        daemon.namespace().createWithTable("ro", null, true, "0 16384 linear " + disk + " 0", dir);
        daemon.namespace().createWithTable("rw", null, false, "0 16384 linear " + disk + " 0", dir);
        assertThat(exitOf("nbdinfo", "--is", "read-only", uri("ro"))).isZero();
        assertThat(exitOf("nbdinfo", "--is", "read-only", uri("rw"))).isNotZero();
        byte[] before = Files.readAllBytes(disk);
        assertThat(nbdshWrite("ro")).isEqualTo("EPERM");
        assertThat(Files.readAllBytes(disk)).isEqualTo(before);
    }

    @Test
    void aReloadWithAReadOnlyTableMakesNewConnectionsReadOnly() throws Exception {
        Tools.need("nbdinfo");
        var ns = daemon.namespace();
        ns.createWithTable("vol", null, false, "0 16384 linear " + disk + " 0", dir);
        assertThat(exitOf("nbdinfo", "--is", "read-only", uri("vol"))).isNotZero();
        ns.load("vol", "0 16384 linear " + disk + " 0", dir, true);
        ns.suspend("vol", false);
        ns.resume("vol");
        assertThat(exitOf("nbdinfo", "--is", "read-only", uri("vol"))).isZero();
    }

    @Test
    void afterAResizingReloadNewClientsSeeTheNewSizeAndAConnectedOneKeepsItsView() throws Exception {
        Tools.need("nbdinfo");
        var ns = daemon.namespace();
        ns.createWithTable("vol", null, false, "0 8192 linear " + disk + " 0", dir);
        try (SocketChannel old = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            assertThat(exportName(old, "vol")).isEqualTo(4L << 20);
            ns.load("vol", "0 16384 linear " + disk + " 0", dir);
            ns.suspend("vol", false);
            ns.resume("vol");
            assertThat(Tools.run("nbdinfo", "--size", uri("vol")).trim()).isEqualTo(Long.toString(8L << 20));
            // The connected client still reads, within the size it was given.
            ByteBuffer data = read(old, 4096, 4096);
            assertThat(data.array()).isEqualTo(java.util.Arrays.copyOfRange(Files.readAllBytes(disk), 4096, 8192));
        }
    }

    /** NBD_OPT_EXPORT_NAME on a fresh connection; returns the size the server announced. */
    private static long exportName(SocketChannel ch, String name) throws Exception {
        readFully(ch, 18);
        ch.write(ByteBuffer.allocate(4).putInt(3).flip());
        byte[] n = name.getBytes();
        ch.write(ByteBuffer.allocate(16 + n.length).putLong(0x49484156454F5054L).putInt(1).putInt(n.length).put(n)
                .flip());
        return readFully(ch, 10).getLong(0);
    }

    private static ByteBuffer read(SocketChannel ch, long offset, int length) throws Exception {
        ch.write(ByteBuffer.allocate(28).putInt(0x25609513).putShort((short) 0).putShort((short) 0).putLong(1)
                .putLong(offset).putInt(length).flip());
        ByteBuffer reply = readFully(ch, 16);
        assertThat(reply.getInt(0)).isEqualTo(0x67446698);
        assertThat(reply.getInt(4)).as("error").isZero();
        return readFully(ch, length);
    }

    private static ByteBuffer readFully(SocketChannel ch, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            assertThat(ch.read(b)).as("connection open").isNotNegative();
        }
        return b.flip();
    }
}
