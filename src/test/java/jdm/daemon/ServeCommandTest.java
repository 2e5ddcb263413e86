package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** "jdm serve" as a user runs it: a separate JVM in its own directory, reached with nbdinfo and qemu-io. */
class ServeCommandTest {
    @TempDir
    Path dir;

    static Process jdm(Path cwd, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String[] cmd = new String[args.length + 5];
        cmd[0] = java;
        cmd[1] = "--enable-native-access=ALL-UNNAMED";
        cmd[2] = "-cp";
        cmd[3] = System.getProperty("java.class.path");
        cmd[4] = "jdm.Main";
        System.arraycopy(args, 0, cmd, 5, args.length);
        return new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(cwd.resolve("serve.log").toFile()).start();
    }

    static void awaitSocket(Path sock, Process p, Path log) throws Exception {
        for (int i = 0; i < 300 && !Files.exists(sock); i++) {
            assertThat(p.isAlive()).as("serve exited: %s", Files.exists(log) ? Files.readString(log) : "").isTrue();
            Thread.sleep(50);
        }
        assertThat(sock).exists();
    }

    @Test
    void serveWithoutATableServesTheEmbeddedOneGibVolume() throws Exception {
        Tools.need("nbdinfo", "qemu-io");
        Path sock = dir.resolve("s.sock");
        Process p = jdm(dir, "serve", "--socket", sock.toString());
        try {
            awaitSocket(sock, p, dir.resolve("serve.log"));
            assertThat(Files.size(dir.resolve("jdm-volume.img"))).isEqualTo(1L << 30);
            String uri = "nbd+unix:///vol?socket=" + sock;
            assertThat(Tools.run("nbdinfo", "--size", uri).strip()).isEqualTo(String.valueOf(1L << 30));
            assertThat(Tools.run("nbdinfo", "--size", "nbd+unix:///?socket=" + sock).strip())
                    .as("the default export").isEqualTo(String.valueOf(1L << 30));
            String io = Tools.run("qemu-io", "-f", "raw", "-c", "write -P 0xab 1M 64k", "-c", "read -P 0xab 1M 64k",
                    "-c", "read -P 0 0 1M", uri);
            assertThat(io).contains("wrote 65536/65536 bytes").contains("read 65536/65536 bytes")
                    .doesNotContain("Pattern verification failed");
        } finally {
            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("serve stops on SIGTERM").isTrue();
        }
        byte[] img = new byte[64 << 10];
        try (var f = new java.io.RandomAccessFile(dir.resolve("jdm-volume.img").toFile(), "r")) {
            f.seek(1 << 20);
            f.readFully(img);
        }
        assertThat(img).containsOnly((byte) 0xab);
        assertThat(sock).as("the socket is removed on exit").doesNotExist();
    }

    @Test
    void aBadTableIsReportedAndServeExitsNonZero() throws Exception {
        Process p = jdm(dir, "serve", "--socket", dir.resolve("s.sock").toString(),
                "--table", "0 100 striped 2 0 a.img 0 b.img 0");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(Files.readString(dir.resolve("serve.log"))).contains("striped: Invalid chunk_size");
    }
}
