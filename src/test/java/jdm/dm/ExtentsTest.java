package jdm.dm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jdm.block.BlockDevice;
import jdm.block.ExtentSink;
import jdm.block.dev.FileDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The allocation map (BlockDevice.extents): files from SEEK_DATA/SEEK_HOLE, mapped devices target by target. */
@Timeout(30)
class ExtentsTest {
    private static final int HZ = ExtentSink.HOLE | ExtentSink.ZERO;

    @TempDir
    Path dir;

    /** A 1 MiB sparse file with data in sectors [256, 512) only. */
    private Path sparse(String name) throws Exception {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(1 << 20);
            f.seek(256 * 512);
            f.write(new byte[128 << 10]);
        }
        return p;
    }

    /** "sectors:flags" per extent, adjacent extents of the same kind merged (their split is not the point). */
    private static List<String> map(BlockDevice d, long sector, long sectors) {
        List<long[]> out = new ArrayList<>();
        boolean complete = d.extents(sector, sectors, (n, flags) -> {
            assertThat(n).isPositive();
            if (!out.isEmpty() && out.getLast()[1] == flags) {
                out.getLast()[0] += n;
            } else {
                out.add(new long[] {n, flags});
            }
            return true;
        });
        assertThat(complete).isTrue();
        return out.stream().map(e -> e[0] + ":" + e[1]).toList();
    }

    @Test
    void aSparseFileReportsItsHolesAsZeroHolesAndItsWrittenRangeAsData() throws Exception {
        try (FileDevice d = FileDevice.open(sparse("a.img"), true)) {
            assertThat(map(d, 0, 2048)).containsExactly("256:" + HZ, "256:0", "1536:" + HZ);
            assertThat(map(d, 300, 1000)).containsExactly("212:0", "788:" + HZ);
        }
    }

    @Test
    void aSinkThatStopsEndsTheQuery() throws Exception {
        try (FileDevice d = FileDevice.open(sparse("a.img"), true)) {
            List<Long> seen = new ArrayList<>();
            assertThat(d.extents(0, 2048, (n, f) -> seen.add(n) && false)).isFalse();
            assertThat(seen).containsExactly(256L);
        }
    }

    @Test
    void aMappedDeviceAsksEachTargetLinearTranslatesAndZeroIsAHole() throws Exception {
        Path a = sparse("a.img");
        DeviceNamespace ns = Fixtures.namespace();
        MappedDevice md = ns.createWithTable("vol", null, false,
                "0 2048 linear " + a + " 0\n2048 1024 zero\n3072 1024 linear " + a + " 256\n4096 8 error", dir);
        assertThat(map(md, 0, md.sizeSectors())).containsExactly(
                "256:" + HZ, "256:0", (1536 + 1024) + ":" + HZ, // the file's hole, then zero
                "256:0", "768:" + HZ,                // the file from sector 256
                "8:0");                              // error: data
        assertThat(map(md, 2000, 100)).containsExactly("100:" + HZ);
    }

    @Test
    void stripedAsksEachChunkOfItsStripe() throws Exception {
        Path a = sparse("a.img");
        Path b = dir.resolve("b.img");
        try (RandomAccessFile f = new RandomAccessFile(b.toFile(), "rw")) {
            f.setLength(1 << 20); // all hole
        }
        DeviceNamespace ns = Fixtures.namespace();
        // chunks of 256 sectors alternate a, b: a's chunk 1 (sectors 256..511 of a) is the device's chunk 2
        MappedDevice md = ns.createWithTable("st", null, false, "0 2048 striped 2 256 " + a + " 0 " + b + " 0", dir);
        assertThat(map(md, 0, 2048)).containsExactly("512:" + HZ, "256:0", "1280:" + HZ);
    }
}
