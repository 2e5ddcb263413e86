package jdm.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class KernelLogTest {
    @Test
    void linesComeBackOldestFirstWithDmesgTimestampsAndClearEmptiesTheLog() {
        KernelLog log = new KernelLog();
        log.log("device-mapper: ioctl: first");
        log.log("device-mapper: ioctl: second");
        List<String> lines = log.read(false);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches("\\[ *\\d+\\.\\d{6}\\] device-mapper: ioctl: first");
        assertThat(lines.get(1)).endsWith("] device-mapper: ioctl: second");
        assertThat(log.read(true)).isEqualTo(lines.stream().toList()).hasSize(2);
        assertThat(log.read(false)).isEmpty();
    }

    @Test
    void theOldestLinesGoWhenTheBufferIsFull() {
        KernelLog log = new KernelLog();
        String filler = "x".repeat(1000);
        int lines = 2 * KernelLog.CAPACITY_BYTES / 1000;
        for (int i = 0; i < lines; i++) {
            log.log(i + " " + filler);
        }
        List<String> kept = log.read(false);
        assertThat(kept.size()).isLessThan(lines).isGreaterThan(lines / 3);
        assertThat(kept.getLast()).contains("] " + (lines - 1) + " x");
        assertThat(kept.getFirst()).doesNotContain("] 0 x");
        log.log("y".repeat(KernelLog.CAPACITY_BYTES * 2));
        assertThat(log.read(false).getLast().length()).isLessThan(KernelLog.CAPACITY_BYTES);
    }

    @Test
    void errnoNamesAreTheKernelsSymbols() {
        assertThat(KernelLog.errnoName(Errno.EINVAL)).isEqualTo("EINVAL");
        assertThat(KernelLog.errnoName(Errno.ENXIO)).isEqualTo("ENXIO");
        assertThat(KernelLog.errnoName(999)).isEqualTo("999");
    }
}
