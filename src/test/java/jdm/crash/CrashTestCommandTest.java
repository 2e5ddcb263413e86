package jdm.crash;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdm.Main;
import jdm.dm.targets.BuiltinTargets;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The crash harness's short mode, as CI runs it: "jdm crashtest --points 50" with both workloads (ext4 where this
 * machine allows mounts, else the block workload alone, saying so) must check at least 50 crash points and find
 * no violation. The long mode (--points 1000) is run by hand; its figure is in the README.
 */
class CrashTestCommandTest {
    static final Pattern LAST = Pattern.compile("(\\d+) crash points checked, (\\d+) violations");

    static List<String> run(String... args) {
        Assumptions.assumeTrue(BuiltinTargets.registry().find("log-writes") != null,
                "the log-writes target is not in this build yet");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        int status;
        try {
            status = Main.commandLine().execute(args);
        } finally {
            System.setOut(out);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        assertThat(status).as(text).isZero();
        return text.lines().toList();
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void theShortModeChecksAtLeastFiftyCrashPointsWithExt4WhereMountsWorkAndFindsNoViolation() {
        List<String> lines = run("crashtest", "--points", "50", "--workload", "all", "--seed", "20261201");
        Matcher m = LAST.matcher(lines.getLast());
        assertThat(m.matches()).as("last line: %s", lines.getLast()).isTrue();
        assertThat(Long.parseLong(m.group(1))).isGreaterThanOrEqualTo(50);
        assertThat(m.group(2)).isEqualTo("0");
        assertThat(lines).anyMatch(l -> l.startsWith("block workload, round 1: "));
        if (Ext4CrashWorkload.whyNotHere() == null && lines.stream().noneMatch(l -> l.contains("skipped"))) {
            assertThat(lines).anyMatch(l -> l.matches("ext4 workload, round 1: .* 0 violations"));
        } else {
            assertThat(lines).anyMatch(l -> l.startsWith("ext4 workload skipped: "));
        }
    }

    @Test
    void aTerminalGetsAProgressBarAndAPipeOnlyTheLines() {
        ByteArrayOutputStream tty = new ByteArrayOutputStream();
        CrashReport r = new CrashReport(new PrintStream(tty, true, StandardCharsets.UTF_8), true, 8);
        for (int i = 0; i < 8; i++) {
            r.point("block");
        }
        r.violation("block", "block 3 lost acknowledged write 9 (reads zeroes)");
        r.line(r.summary());
        assertThat(tty.toString(StandardCharsets.UTF_8))
                .contains("\r[###############               ] 4/8 crash points (block)")
                .contains("\r[##############################] 8/8 crash points (block)")
                .endsWith("violation: block: block 3 lost acknowledged write 9 (reads zeroes)\n"
                        + "8 crash points checked, 1 violations\n");

        ByteArrayOutputStream pipe = new ByteArrayOutputStream();
        CrashReport p = new CrashReport(new PrintStream(pipe, true, StandardCharsets.UTF_8), false, 8);
        p.point("block");
        p.line(p.summary());
        assertThat(pipe.toString(StandardCharsets.UTF_8)).isEqualTo("1 crash points checked, 0 violations\n");
    }

    @Test
    void fewerThanOneCrashPointIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        var cl = Main.commandLine();
        cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
        assertThat(cl.execute("crashtest", "--points", "0")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("--points must be at least 1, not 0\n");
    }
}
