package jdm.md.sb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ExamineBitmap renders mdadm 4.2's -X text: equal to what the oracle guest's mdadm printed for the bitmaps mdadm
 * and the kernel left (fresh, resynced, degraded with dirty chunks, failed member), and to the host's mdadm reading
 * the same bytes as a bitmap file.
 */
class ExamineBitmapTest {
    private static ByteBuffer area(String dump) {
        byte[] m = Resources.member(dump);
        return ByteBuffer.wrap(m, 8192, m.length - 8192).slice();
    }

    @ParameterizedTest
    @ValueSource(strings = {"r1bm-ro-vda", "r1bm-vda", "r1bm-vdb", "r6bm-vda", "r6bm-vdd"})
    void theTextIsWhatTheGuestsMdadmPrinted(String dump) {
        String device = "/dev/" + dump.substring(dump.length() - 3);
        assertThat(ExamineBitmap.render(device, area(dump))).isEqualTo(Resources.text(dump + ".xbitmap"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"r1bm-ro-vda", "r1bm-vda", "r1bm-vdb", "r6bm-vda", "r6bm-vdd"})
    @Timeout(30)
    void theTextIsWhatTheHostsMdadmPrintsForTheSameBytes(String dump, @TempDir Path dir) throws Exception {
        MdadmTool.require();
        Path file = dir.resolve("bitmap");
        ByteBuffer a = area(dump);
        byte[] bytes = new byte[a.remaining()];
        a.get(bytes);
        Files.write(file, bytes);
        assertThat(ExamineBitmap.render(file.toString(), ByteBuffer.wrap(bytes)))
                .isEqualTo(MdadmTool.run("--examine-bitmap", file.toString()));
    }

    @Test
    void dirtyBitsCountFromTheLowBitOfEachByte() {
        ByteBuffer b = ByteBuffer.wrap(new byte[] {(byte) 0xc0, 0x01, 0, (byte) 0xff});
        assertThat(ExamineBitmap.dirtyBits(b, 0, 9)).isEqualTo(3);
        assertThat(ExamineBitmap.dirtyBits(b, 0, 8)).isEqualTo(2);
        assertThat(ExamineBitmap.dirtyBits(b, 0, 28)).isEqualTo(7);
        assertThat(ExamineBitmap.chunksize(64 << 20)).isEqualTo("64 MB");
        assertThat(ExamineBitmap.chunksize(3 << 19)).as("truncated, as mdadm").isEqualTo("1 MB");
    }
}
