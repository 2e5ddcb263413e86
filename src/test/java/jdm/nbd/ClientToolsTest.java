package jdm.nbd;

import static jdm.testing.Clients.exec;
import static jdm.testing.Clients.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import jdm.block.dev.FileDevice;
import jdm.block.QueueLimits;
import jdm.testing.Clients;
import jdm.testing.DeviceChecks;
import jdm.testing.MemoryDisk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server against real NBD clients (libnbd's nbdinfo, nbdcopy and nbdsh; qemu-img and qemu-io) over a Unix
 * socket and TCP. Each test is skipped when its tool is not installed.
 */
@Timeout(120)
class ClientToolsTest {
    private static final int SIZE = 16 << 20;

    /** Every exported device sits behind a checking wrapper: each bio in range, ended exactly once. */
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;
    private Path sock;
    private Path backing;
    private FileDevice file;
    private NbdServer server;

    @BeforeEach
    void start() throws IOException {
        sock = dir.resolve("nbd.sock");
        backing = dir.resolve("backing.img");
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(SIZE);
        }
        file = FileDevice.open(backing, false);
        MapExports exports = MapExports.builder()
                .add("mem", checks.wrap(new MemoryDisk("mem", SIZE >> 9)), false, "scratch memory")
                .add("file", checks.wrap(file))
                .add("ro", checks.wrap(new MemoryDisk("ro", SIZE >> 9, QueueLimits.DEFAULT, true)), true, null)
                .defaultExport("mem")
                .build();
        server = new NbdServer(exports).listenUnix(sock).listenTcp("127.0.0.1", 0).start();
    }

    @AfterEach
    void stop() {
        server.close();
        file.close();
    }

    private String unix(String export) {
        return "nbd+unix:///" + export + "?socket=" + sock;
    }

    private String tcp(String export) {
        return "nbd://127.0.0.1:" + server.tcpAddress().getPort() + "/" + export;
    }

    private Path randomFile(String name, long seed) throws IOException {
        byte[] b = new byte[SIZE];
        new Random(seed).nextBytes(b);
        java.util.Arrays.fill(b, 1 << 20, 3 << 20, (byte) 0); // a run of zeros, which copiers like to skip
        return Files.write(dir.resolve(name), b);
    }

    @Test
    void nbdinfoShowsTheSizeOverUnixAndTcp() throws Exception {
        assertThat(run("nbdinfo", "--size", unix("mem")).trim()).isEqualTo(String.valueOf(SIZE));
        assertThat(run("nbdinfo", "--size", tcp("file")).trim()).isEqualTo(String.valueOf(SIZE));
        assertThat(run("nbdinfo", "--size", unix("")).trim()).isEqualTo(String.valueOf(SIZE));
    }

    @Test
    void nbdinfoListsTheExportsWithTheirProperties() throws Exception {
        String out = run("nbdinfo", "--list", unix(""));
        assertThat(out).contains("export=\"mem\"", "export=\"file\"", "export=\"ro\"", "scratch memory",
                "block_size_minimum: 512", "block_size_maximum: 33554432", "can_multi_conn: true");
    }

    @Test
    void nbdinfoReportsAnUnknownExport() throws Exception {
        Clients.Result r = exec(List.of("nbdinfo", unix("nope")));
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("nope");
    }

    @Test
    void nbdcopyRoundTripsRandomDataThroughAMemoryExport() throws Exception {
        Path src = randomFile("src.img", 1);
        Path back = dir.resolve("back.img");
        run("nbdcopy", src.toString(), unix("mem"));
        run("nbdcopy", unix("mem"), back.toString());
        assertThat(back).hasSameBinaryContentAs(src);
    }

    @Test
    void nbdcopyRoundTripsRandomDataThroughAFileExport() throws Exception {
        Path src = randomFile("src.img", 2);
        Path back = dir.resolve("back.img");
        run("nbdcopy", "--flush", src.toString(), unix("file"));
        assertThat(backing).hasSameBinaryContentAs(src); // the bytes landed in the backing file itself
        run("nbdcopy", unix("file"), back.toString());
        assertThat(back).hasSameBinaryContentAs(src);
    }

    @Test
    void nbdcopyRoundTripsRandomDataOverTcp() throws Exception {
        Path src = randomFile("src.img", 4);
        Path back = dir.resolve("back.img");
        run("nbdcopy", src.toString(), tcp("mem"));
        run("nbdcopy", tcp("mem"), back.toString());
        assertThat(back).hasSameBinaryContentAs(src);
    }

    @Test
    void qemuIoWritesAndReadsBackAPattern() throws Exception {
        String out = run("qemu-io", "-f", "raw",
                "-c", "write -P 0xab 0 1M",
                "-c", "write -P 0xcd 3M 512",
                "-c", "read -P 0xab 0 1M",
                "-c", "read -P 0xcd 3M 512",
                "-c", "read -P 0 1M 2M",
                unix("file"));
        assertThat(out).doesNotContain("Pattern verification failed", "failed");
        byte[] disk = Files.readAllBytes(backing);
        assertThat(disk[0]).isEqualTo((byte) 0xab);
        assertThat(disk[(1 << 20) - 1]).isEqualTo((byte) 0xab);
        assertThat(disk[3 << 20]).isEqualTo((byte) 0xcd);
    }

    @Test
    void qemuImgConvertCopiesAnImageInAndOut() throws Exception {
        Path src = randomFile("src.img", 3);
        Path back = dir.resolve("back.raw");
        run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src.toString(), unix("mem"));
        run("qemu-img", "convert", "-f", "raw", "-O", "raw", tcp("mem"), back.toString());
        assertThat(back).hasSameBinaryContentAs(src);
    }

    @Test
    void nbdshTrimsZeroesAndFlushes() throws Exception {
        String script = String.join("\n",
                "h.pwrite(b'\\xab' * 1048576, 0)",
                "assert h.can_trim() and h.can_zero() and h.can_flush() and h.can_fua()",
                "h.trim(65536, 0)",
                "h.zero(65536, 65536)",
                "h.zero(4096, 131072, nbd.CMD_FLAG_NO_HOLE)",
                "h.pwrite(b'\\xcd' * 4096, 262144, nbd.CMD_FLAG_FUA)",
                "h.flush()",
                "assert h.pread(65536, 65536) == bytes(65536)",
                "assert h.pread(4096, 131072) == bytes(4096)",
                "assert h.pread(4096, 135168) == b'\\xab' * 4096",
                "assert h.pread(4096, 262144) == b'\\xcd' * 4096",
                "print('ok')");
        assertThat(run("nbdsh", "-u", unix("file"), "-c", script).trim()).isEqualTo("ok");
        byte[] disk = Files.readAllBytes(backing);
        assertThat(disk[70000]).isZero();
        assertThat(disk[262144]).isEqualTo((byte) 0xcd);
    }

    @Test
    void nbdshSeesAReadOnlyExportRefuseWritesWithEperm() throws Exception {
        String script = String.join("\n",
                "assert h.is_read_only()",
                "try:",
                "    h.pwrite(b'x' * 512, 0)",
                "    print('written')",
                "except nbd.Error as e:",
                "    print('errno', e.errno)");
        assertThat(run("nbdsh", "-u", unix("ro"), "-c", script).trim()).isEqualTo("errno EPERM");
    }
}
