package jdm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault targets through dmsetup and the control server: dust's message replies as dmsetup prints them, its
 * refusals as dmsetup reports a failed message ioctl, and its DMERR/DMINFO lines in the daemon's kernel log
 * ("jdm dmesg"), which targets reach through TargetArgs.kernelLog; flakey's and delay's table text.
 */
@Timeout(60)
class DmsetupFaultTargetsTest {
    @TempDir
    Path dir;

    @Test
    void dustMessagesPrintTheirRepliesAndLogToTheKernelLog() throws Exception {
        try (DmsetupHarness h = new DmsetupHarness(dir)) {
            h.file("a.img", 4 << 20);
            assertThat(h.dmsetup("create", "u", "--table", "0 8192 dust a.img 0 512").exitCode()).isZero();
            assertThat(h.dmsetup("message", "u", "0", "addbadblock", "5").out()).isEmpty();
            assertThat(h.dmsetup("message", "u", "0", "addbadblock", "9").out()).isEmpty();
            DmsetupHarness.Run again = h.dmsetup("message", "u", "0", "addbadblock", "5");
            assertThat(again.exitCode()).isEqualTo(1);
            assertThat(again.err()).isEqualTo("device-mapper: message ioctl on u  failed: Invalid argument\n"
                    + "Command failed.\n");
            assertThat(h.dmsetup("message", "u", "0", "listbadblocks").out()).isEqualTo("5\n9\n");
            assertThat(h.dmsetup("message", "u", "0", "countbadblocks").out())
                    .isEqualTo("countbadblocks: 2 badblock(s) found\n");
            assertThat(h.dmsetup("message", "u", "0", "enable").exitCode()).isZero();
            assertThat(h.dmsetup("status", "u").out()).isEqualTo("0 8192 dust 7:0 fail_read_on_bad_block verbose\n");
            assertThat(h.dmesg()).containsExactly(
                    "device-mapper: dust: dust_add_block: badblock added at block 5 with write fail count 0",
                    "device-mapper: dust: dust_add_block: badblock added at block 9 with write fail count 0",
                    "device-mapper: dust: dust_add_block: block 5 already in badblocklist",
                    "device-mapper: dust: enabling read failures on bad sectors");
        }
    }

    @Test
    void flakeyTableLinesEndInABlankAndDelayPrintsItsClassesAndCounts() throws Exception {
        try (DmsetupHarness h = new DmsetupHarness(dir)) {
            h.file("a.img", 4 << 20);
            assertThat(h.dmsetup("create", "f", "--table", "0 8192 flakey a.img 0 0 5 1 drop_writes").exitCode())
                    .isZero();
            DmsetupHarness.Run d = h.dmsetup("create", "d", "--table", "0 4096 delay a.img 0 0 a.img 8 100");
            assertThat(d.exitCode()).as(d.toString() + h.dmesg()).isZero();
            assertThat(h.dmsetup("table").out()).isEqualTo("""
                    d: 0 4096 delay 7:0 0 0 7:0 8 100
                    f: 0 8192 flakey 7:0 0 0 5 1 drop_writes\s
                    """);
            assertThat(h.dmsetup("status").out()).isEqualTo("d: 0 4096 delay 0 0 0\nf: 0 8192 flakey \n");
        }
    }
}
