package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jdm.nbd.TlsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The access and TLS options of serve and daemon: what they build, and the usage errors of bad ones. */
@Timeout(60)
class AccessOptionsTest {
    @TempDir
    Path dir;

    private static Daemon.Listen parse(String... args) {
        ServeCommand s = new ServeCommand();
        new CommandLine(s).parseArgs(args);
        return s.listen.listen(null);
    }

    private static int usage(String... args) {
        CommandLine cl = new CommandLine(new DaemonCommand());
        cl.setErr(new java.io.PrintWriter(java.io.Writer.nullWriter()));
        return cl.execute(args);
    }

    @Test
    void tlsOptionsBuildTheirConfig() throws Exception {
        Path psk = Files.writeString(dir.resolve("keys.psk"), "alice:00112233445566778899aabbccddeeff\n");
        assertThat(parse().tls()).isNull();
        assertThat(parse("--tls=require", "--tls-psk", psk.toString()).tls().mode())
                .isEqualTo(TlsConfig.Mode.REQUIRE);
        assertThat(parse("--tls=on", "--tls-psk", psk.toString()).tls().mode()).isEqualTo(TlsConfig.Mode.ON);
    }

    @Test
    void badTlsOptionsAreUsageErrors() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.psk"), "alice:xyz\n");
        Path good = Files.writeString(dir.resolve("keys.psk"), "alice:0011\n");
        assertThat(usage("--tls=maybe")).isEqualTo(2);
        assertThat(usage("--tls=on")).as("no credentials").isEqualTo(2);
        assertThat(usage("--tls=require", "--tls-psk", bad.toString())).isEqualTo(2);
        assertThat(usage("--tls=require", "--tls-psk", dir.resolve("missing").toString())).isEqualTo(2);
        assertThat(usage("--tls-psk", good.toString())).as("credentials with --tls=off").isEqualTo(2);
        assertThat(usage("--tls=on", "--tls-psk", good.toString(), "--tls-certificates", dir.toString()))
                .isEqualTo(2);
        assertThat(usage("--group", "no-such-group-jdm")).isEqualTo(2);
        assertThat(usage("--allow-uid", "-1")).isEqualTo(2);
    }

    @Test
    void tcpBeyondLoopbackWithoutTlsWarns() throws Exception {
        assertThat(stderrOf("-p", "10809", "--bind", "0.0.0.0")).contains("warning: NBD over TCP on 0.0.0.0 without"
                + " TLS");
        assertThat(stderrOf("-p", "10809")).isEmpty();
        Path psk = Files.writeString(dir.resolve("keys.psk"), "alice:0011\n");
        assertThat(stderrOf("-p", "10809", "--bind", "0.0.0.0", "--tls=require", "--tls-psk", psk.toString()))
                .isEmpty();
    }

    private static String stderrOf(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        System.setErr(new PrintStream(b, true, StandardCharsets.UTF_8));
        try {
            parse(args);
        } finally {
            System.setErr(old);
        }
        return b.toString(StandardCharsets.UTF_8);
    }
}
