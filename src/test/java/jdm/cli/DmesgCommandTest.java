package jdm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DmesgCommandTest {
    @TempDir
    Path dir;

    private String dmesg(DmsetupHarness h, String... args) {
        CommandLine cl = new CommandLine(new DmesgCommand());
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(new StringWriter()));
        String[] argv = new String[args.length + 2];
        argv[0] = "--control";
        argv[1] = h.socket.toString();
        System.arraycopy(args, 0, argv, 2, args.length);
        assertThat(cl.execute(argv)).isZero();
        return out.toString();
    }

    @Test
    void dmesgPrintsTheKernelLogWithTimestampsAndDashCClearsIt() throws Exception {
        try (DmsetupHarness h = new DmsetupHarness(dir)) {
            assertThat(h.dmsetup("create", "vol", "--notable").exitCode()).isZero();
            assertThat(h.dmsetup("create", "vol", "--notable").exitCode()).isEqualTo(1);
            assertThat(h.dmsetup("remove", "nosuch").exitCode()).isEqualTo(1);

            String printed = dmesg(h);
            assertThat(printed).matches("\\[ *\\d+\\.\\d{6}\\] device-mapper: ioctl: device vol already exists\n"
                    + "\\[ *\\d+\\.\\d{6}\\] device-mapper: ioctl: device nosuch does not exist\n");
            assertThat(dmesg(h)).as("plain dmesg keeps the log").isEqualTo(printed);
            assertThat(dmesg(h, "-c")).isEqualTo(printed);
            assertThat(dmesg(h)).isEmpty();
        }
    }
}
