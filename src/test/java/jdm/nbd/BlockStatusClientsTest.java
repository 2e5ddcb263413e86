package jdm.nbd;

import static jdm.testing.Clients.exec;
import static jdm.testing.Clients.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import jdm.block.dev.BackingFiles;
import jdm.dm.DeviceNamespace;
import jdm.dm.MappedDevice;
import jdm.dm.targets.BuiltinTargets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Structured replies and block status from the tables, seen by real clients (nbdinfo, qemu-img, nbdcopy, nbdsh):
 * a mapped device of linear (over a sparse file), zero and error targets. Skipped where a tool is missing.
 */
@Timeout(120)
class BlockStatusClientsTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;
    private Path file;
    private byte[] fileBytes;
    private Path sock;
    private NbdServer server;

    @BeforeEach
    void start() throws Exception {
        // 8 MiB sparse file, random data at [1 MiB, 2 MiB) only
        file = dir.resolve("a.img");
        fileBytes = new byte[8 * MIB];
        byte[] data = new byte[MIB];
        new Random(5).nextBytes(data);
        System.arraycopy(data, 0, fileBytes, MIB, MIB);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(8 * MIB);
            f.seek(MIB);
            f.write(data);
        }
        DeviceNamespace ns = new DeviceNamespace(BuiltinTargets.registry(), new BackingFiles());
        // vol: the file, 1 MiB of zero, the file again; err: the file, then 1 MiB of error
        MappedDevice vol = ns.createWithTable("vol", null, false,
                "0 16384 linear " + file + " 0\n16384 2048 zero\n18432 16384 linear " + file + " 0", dir);
        MappedDevice err = ns.createWithTable("err", null, false,
                "0 16384 linear " + file + " 0\n16384 2048 error", dir);
        sock = dir.resolve("nbd.sock");
        server = new NbdServer(MapExports.builder().add("vol", vol).add("err", err).build()).listenUnix(sock).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String uri(String export) {
        return "nbd+unix:///" + export + "?socket=" + sock;
    }

    @Test
    void nbdinfoSeesStructuredRepliesDfFastZeroAndCache() throws Exception {
        for (String can : List.of("structured-reply", "df", "fast-zero", "cache", "multi-conn")) {
            assertThat(exec(List.of("nbdinfo", "--can", can, uri("vol"))).exit()).as(can).isZero();
        }
    }

    @Test
    void nbdinfoMapShowsTheFilesDataAndTheZeroTargetAsAZeroHole() throws Exception {
        List<String> map = run("nbdinfo", "--map", uri("vol")).lines()
                .map(l -> String.join(" ", Arrays.asList(l.trim().split("\\s+")))).toList();
        assertThat(map).containsExactly(
                "0 1048576 3 hole,zero",
                "1048576 1048576 0 data",
                (2 * MIB) + " " + (6 * MIB + MIB + MIB) + " 3 hole,zero", // file hole, zero target, file hole
                (10 * MIB) + " 1048576 0 data",
                (11 * MIB) + " " + (6 * MIB) + " 3 hole,zero");
    }

    @Test
    void qemuImgMapReportsDataOnlyWhereTheFileHoldsIt() throws Exception {
        String json = run("qemu-img", "map", "--output=json", uri("vol"));
        List<String> data = json.lines().filter(l -> l.contains("\"data\": true"))
                .map(l -> l.replaceAll(".*\"start\": (\\d+), \"length\": (\\d+).*", "$1+$2")).toList();
        assertThat(data).containsExactly(MIB + "+" + MIB, (10 * MIB) + "+" + MIB);
    }

    @Test
    void nbdcopyCopiesTheSparseVolumeExactly() throws Exception {
        Path copy = dir.resolve("copy.img");
        run("nbdcopy", uri("vol"), copy.toString());
        byte[] want = new byte[17 * MIB]; // file, 1 MiB of zeros, file
        System.arraycopy(fileBytes, 0, want, 0, 8 * MIB);
        System.arraycopy(fileBytes, 0, want, 9 * MIB, 8 * MIB);
        assertThat(Arrays.equals(Files.readAllBytes(copy), want)).as("the copy equals file + zeros + file").isTrue();
    }

    @Test
    void nbdshSeesReqOneDfErrorsInStructuredRepliesAndFastZero() throws Exception {
        String script = String.join("\n",
                "M = 1 << 20",
                "h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)",
                "h.connect_uri('" + uri("err") + "')",
                "assert h.get_structured_replies_negotiated()",
                "assert h.can_meta_context(nbd.CONTEXT_BASE_ALLOCATION)",
                "ext = []",
                "def cb(meta, off, entries, err):",
                "    ext.append((meta, off, list(entries)))",
                "h.block_status(9 * M, 0, cb, nbd.CMD_FLAG_REQ_ONE)",
                "h.block_status(9 * M, 0, cb)",
                "h.block_status(4096, M - 4096, cb, nbd.CMD_FLAG_REQ_ONE)",
                "print(ext)",
                "chunks = []",
                "def chunk(buf, off, status, err):",
                "    chunks.append((off, len(buf), status == nbd.READ_DATA))",
                "h.pread_structured(65536, M - 4096, chunk, nbd.CMD_FLAG_DF)",
                "print(chunks)",
                "try:",
                "    h.pread(4096, 8 * M)",
                "    print('read the error target')",
                "except nbd.Error as e:",
                "    print('errno', e.errno)",
                "h.cache(M, 0)",
                "h.zero(M, 4 * M, nbd.CMD_FLAG_FAST_ZERO)",
                "assert h.pread(M, 4 * M) == bytes(M)",
                "print('ok')");
        List<String> out = run("nbdsh", "-c", script).lines().toList();
        assertThat(out).containsExactly(
                "[('base:allocation', 0, [1048576, 3]), "
                        + "('base:allocation', 0, [1048576, 3, 1048576, 0, 6291456, 3, 1048576, 0]), "
                        + "('base:allocation', 1044480, [4096, 3])]",
                "[(1044480, 65536, True)]",
                "errno EIO",
                "ok");
    }
}
