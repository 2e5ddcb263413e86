package jdm.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import jdm.block.QueueLimits;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** NBD_INFO_BLOCK_SIZE's preferred size from a device's stacked limits. */
class ExportInfoTest {
    @ParameterizedTest(name = "physical {0}, io_min {1} -> preferred {2}")
    @CsvSource({
        "512, 512, 4096",          // a plain file: 4 KiB as nbdkit and qemu-nbd
        "4096, 4096, 4096",
        "4096, 65536, 65536",      // a stripe of 128-sector chunks prefers a chunk
        "4096, 12288, 4096",       // a 24-sector chunk: its largest power-of-two factor
        "4096, 67108864, 33554432" // never above the maximum payload
    })
    void preferredIsAPowerOfTwoFromThePhysicalBlockOrIoMin(int physical, int ioMin, int preferred) {
        QueueLimits l = new QueueLimits(512, physical, ioMin, 0, 65536, 0, 0);
        int p = ExportInfo.preferredBlock(l, 512);
        assertThat(p).isEqualTo(preferred);
        assertThat(Integer.bitCount(p)).isEqualTo(1);
    }
}
