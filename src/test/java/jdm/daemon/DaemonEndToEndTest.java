package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdm.dm.StatusType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon end to end with real NBD clients on a private Unix socket: data written by nbdcopy and qemu-img
 * reads back identical, lands in the backing files where the kernel's striping formula puts it, and survives live
 * table swaps while a client writes.
 */
class DaemonEndToEndTest {
    @TempDir
    Path dir;
    Daemon daemon;
    Path sock;

    @BeforeEach
    void start() throws Exception {
        sock = dir.resolve("nbd.sock");
        daemon = Daemon.start(new Daemon.Listen(sock, null, 0, dir.resolve("ctl.sock")));
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    String uri(String name) {
        return "nbd+unix:///" + name + "?socket=" + sock;
    }

    static Path randomFile(Path p, int bytes, long seed) throws Exception {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        return Files.write(p, b);
    }

    static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    static Path sized(Path p, long bytes) throws Exception {
        try (var f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(bytes);
        }
        return p;
    }

    @Test
    void aStripedVolumeWrittenByNbdcopyReadsBackThroughQemuImgAndSitsAtTheKernelsOffsets() throws Exception {
        Tools.need("nbdcopy", "qemu-img", "nbdinfo");
        Path a = sized(dir.resolve("a.img"), 32 << 20);
        Path b = sized(dir.resolve("b.img"), 32 << 20);
        daemon.namespace().createWithTable("vol", null, false,
                "0 131072 striped 2 128 " + a + " 0 " + b + " 0", dir);
        assertThat(Tools.run("nbdinfo", "--size", uri("vol")).strip()).isEqualTo(String.valueOf(64 << 20));
        assertThat(Tools.run("nbdinfo", "--list", "nbd+unix:///?socket=" + sock)).contains("export=\"vol\"");

        Path data = randomFile(dir.resolve("data"), 64 << 20, 64);
        Tools.run("nbdcopy", data.toString(), uri("vol"));
        Path back = dir.resolve("back.img");
        Tools.run("qemu-img", "convert", "-f", "raw", "-O", "raw", uri("vol"), back.toString());
        assertThat(sha256(back)).isEqualTo(sha256(data));

        byte[] src = Files.readAllBytes(data);
        byte[][] legs = {Files.readAllBytes(a), Files.readAllBytes(b)};
        int chunk = 128 * 512;
        for (int c = 0; c < src.length / chunk; c++) {
            assertThat(ByteBuffer.wrap(legs[c % 2], (c / 2) * chunk, chunk)).as("chunk %d", c)
                    .isEqualTo(ByteBuffer.wrap(src, c * chunk, chunk));
        }
    }

    @Test
    void qemuImgConvertWritesAndNbdcopyReadsBack() throws Exception {
        Tools.need("nbdcopy", "qemu-img");
        Path a = sized(dir.resolve("a.img"), 16 << 20);
        daemon.namespace().createWithTable("lin", null, false, "0 32768 linear " + a + " 0", dir);
        Path data = randomFile(dir.resolve("data"), 16 << 20, 3);
        Tools.run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", data.toString(), uri("lin"));
        Path back = dir.resolve("back");
        Tools.run("nbdcopy", uri("lin"), back.toString());
        assertThat(sha256(back)).isEqualTo(sha256(data));
        assertThat(sha256(a)).isEqualTo(sha256(data));
    }

    @Test
    void reloadingTheLiveTableWhileNbdcopyWritesLosesNoAcknowledgedWrite() throws Exception {
        Tools.need("nbdcopy");
        Path a = sized(dir.resolve("a.img"), 128 << 20);
        String one = "0 262144 linear " + a + " 0";
        String two = "0 100000 linear " + a + " 0\n100000 162144 linear " + a + " 100000";
        var ns = daemon.namespace();
        ns.createWithTable("vol", null, false, one, dir);
        Path data = randomFile(dir.resolve("data"), 128 << 20, 128);
        Process writer = Tools.start("nbdcopy", "--flush", data.toString(), uri("vol"));
        for (int i = 1; i <= 10; i++) {
            ns.load("vol", i % 2 == 1 ? two : one, dir);
            ns.suspend("vol", false);
            ns.resume("vol");
            Thread.sleep(50);
        }
        assertThat(writer.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(writer.exitValue()).as(new String(writer.getInputStream().readAllBytes())).isZero();
        assertThat(ns.get("vol").liveTable().statusLines(StatusType.TABLE))
                .containsExactly("0 262144 linear 7:0 0");
        Path back = dir.resolve("back");
        Tools.run("nbdcopy", uri("vol"), back.toString());
        assertThat(sha256(back)).isEqualTo(sha256(data));
        assertThat(sha256(a)).isEqualTo(sha256(data));
    }

    @Test
    void aDeviceOpenedByAClientCountsAsOpenAndCannotBeRemoved() throws Exception {
        Tools.need("nbdsh");
        Path a = sized(dir.resolve("a.img"), 1 << 20);
        var ns = daemon.namespace();
        ns.createWithTable("vol", null, false, "0 2048 linear " + a + " 0", dir);
        Process client = Tools.start(Tools.nbdsh("-u", uri("vol"), "-c", "import time; time.sleep(3)"));
        long deadline = System.currentTimeMillis() + 3000;
        while (ns.get("vol").openCount() == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(ns.get("vol").openCount()).isEqualTo(1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ns.remove("vol"))
                .hasMessageContaining("in use");
        assertThat(client.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(client.exitValue()).as(new String(client.getInputStream().readAllBytes())).isZero();
        deadline = System.currentTimeMillis() + 3000;
        while (ns.get("vol").openCount() != 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        ns.remove("vol");
    }
}
