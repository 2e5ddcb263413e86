package jdm.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jdm.block.BlkStatus;
import org.junit.jupiter.api.Test;

class MemoryDiskTest {
    @Test
    void directAccessAndBioAccessSeeTheSameBytes() {
        MemoryDisk disk = new MemoryDisk("m", 256);
        disk.fill(10, 2, (byte) 9);
        assertThat(SyncIo.read(disk, 10, 2)).containsOnly(9);
        byte[] data = new byte[512];
        data[3] = 3;
        assertThat(SyncIo.write(disk, 200, data)).isEqualTo(BlkStatus.OK);
        assertThat(disk.bytes(200, 1)).isEqualTo(data);
        assertThat(disk.bytes()).hasSize(256 * 512);
        assertThat(disk.bytes(0, 10)).containsOnly(0);
        assertThatThrownBy(() -> disk.put(255, new byte[1024])).isInstanceOf(IllegalArgumentException.class);
    }
}
