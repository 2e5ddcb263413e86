package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdm.nbd.NbdServer;
import jdm.nbd.SocketAccess;
import jdm.nbd.TlsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * NBD_OPT_STARTTLS with real clients: pre-shared keys in a psktool file and X.509 certificates from a CA the test
 * makes with openssl; under --tls=require a plaintext client is refused (NBD_REP_ERR_TLS_REQD for options, a
 * closed connection for EXPORT_NAME), under --tls=on it is still served.
 */
@Timeout(180)
class TlsTest {
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final int OPT_EXPORT_NAME = 1;
    private static final int OPT_LIST = 3;
    private static final int REP_ERR_TLS_REQD = 0x80000005;

    @TempDir
    Path dir;

    private Daemon start(TlsConfig tls) throws Exception {
        Path disk = dir.resolve("disk.img");
        if (!Files.exists(disk)) {
            DaemonEndToEndTest.sized(disk, 4 << 20);
        }
        Daemon d = Daemon.start(new Daemon.Listen(sock(), null, 0, null, 1, 1 << 20,
                NbdServer.DEFAULT_HANDSHAKE_TIMEOUT, NbdServer.DEFAULT_MAX_CONNECTIONS, SocketAccess.ownerOnly(),
                tls));
        d.namespace().createWithTable("t", null, false, "0 8192 linear " + disk + " 0", dir);
        return d;
    }

    private Path sock() {
        return dir.resolve("nbd.sock");
    }

    private Path pskFile() throws Exception {
        Path f = dir.resolve("keys.psk"); // the name qemu's tls-creds-psk looks for in its dir
        byte[] key = new byte[32];
        new Random(7).nextBytes(key);
        Files.writeString(f, "alice:" + HexFormat.of().formatHex(key) + "\n");
        return f;
    }

    /** A CA and a server certificate signed by it, in nbdkit's (and libnbd's, and qemu's) file names. */
    private Path pki() throws Exception {
        return pki("rsa:2048");
    }

    /** As {@link #pki()} with keys of another kind ("ec" for P-256). */
    private Path pki(String newkey) throws Exception {
        Path pki = Files.createDirectories(dir.resolve("pki-" + newkey.replace(':', '-')));
        Files.writeString(pki.resolve("ext"), "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n"
                + "keyUsage=digitalSignature,keyEncipherment\n");
        String p = pki + "/";
        String[] key = newkey.equals("ec") ? new String[] {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"}
                : new String[] {"-newkey", newkey};
        sh(concat(new String[] {"openssl", "req", "-x509"}, key, "-nodes", "-keyout", p + "ca-key.pem", "-out",
                p + "ca-cert.pem", "-days", "2", "-subj", "/CN=jdm test CA"));
        sh(concat(new String[] {"openssl", "req"}, key, "-nodes", "-keyout", p + "server-key.pem", "-out",
                p + "server.csr", "-subj", "/CN=localhost"));
        sh("openssl", "x509", "-req", "-in", p + "server.csr", "-CA", p + "ca-cert.pem", "-CAkey", p + "ca-key.pem",
                "-CAcreateserial", "-out", p + "server-cert.pem", "-days", "2", "-extfile", p + "ext");
        return pki;
    }

    private static String[] concat(String[] a, String[] b, String... c) {
        return java.util.stream.Stream.of(a, b, c).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }

    private static void sh(String... cmd) throws Exception {
        Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(pr.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(pr.exitValue()).as("%s: %s", String.join(" ", cmd), out).isZero();
    }

    private static int exitOf(String... cmd) throws Exception {
        Process pr = Tools.start(cmd);
        pr.getInputStream().readAllBytes();
        assertThat(pr.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return pr.exitValue();
    }

    private String plainUri() {
        return "nbd+unix:///t?socket=" + sock();
    }

    @Test
    void pskRequiredLetsThePskClientInAndRefusesPlaintext() throws Exception {
        Tools.need("nbdinfo", "nbdcopy", "openssl");
        Path psk = pskFile();
        try (Daemon d = start(TlsConfig.psk(TlsConfig.Mode.REQUIRE, psk))) {
            assertThat(exitOf("nbdinfo", "--size", plainUri())).as("plaintext refused").isNotZero();
            String uri = "nbds+unix://alice@/t?socket=" + sock() + "&tls-psk-file=" + psk;
            assertThat(Tools.run("nbdinfo", "--size", uri).trim()).isEqualTo("4194304");
            Path src = DaemonEndToEndTest.randomFile(dir.resolve("src"), 4 << 20, 1);
            Tools.run("nbdcopy", src.toString(), uri);
            Path back = dir.resolve("back");
            Tools.run("nbdcopy", uri, back.toString());
            assertThat(Files.mismatch(src, back)).isEqualTo(-1L);
            assertThat(Files.mismatch(src, dir.resolve("disk.img"))).isEqualTo(-1L);
            String wrong = "nbds+unix://bob@/t?socket=" + sock() + "&tls-psk-file=" + psk;
            assertThat(exitOf("nbdinfo", "--size", wrong)).as("unknown identity").isNotZero();
        }
    }

    @Test
    void qemuImgSpeaksPskAndX509() throws Exception {
        Tools.need("qemu-img", "openssl");
        Path psk = pskFile();
        try (Daemon d = start(TlsConfig.psk(TlsConfig.Mode.REQUIRE, psk))) {
            assertThat(Tools.run("qemu-img", "info", "--output=json", "--object",
                    "tls-creds-psk,id=tls0,dir=" + dir + ",endpoint=client,username=alice", "--image-opts",
                    "driver=nbd,path=" + sock() + ",export=t,tls-creds=tls0")).contains("\"virtual-size\": 4194304");
        }
        Path pki = pki();
        try (Daemon d = start(TlsConfig.x509(TlsConfig.Mode.REQUIRE, pki))) {
            assertThat(Tools.run("qemu-img", "info", "--output=json", "--object",
                    "tls-creds-x509,id=tls0,dir=" + pki + ",endpoint=client", "--image-opts",
                    "driver=nbd,path=" + sock() + ",export=t,tls-creds=tls0,tls-hostname=localhost"))
                    .contains("\"virtual-size\": 4194304");
        }
    }

    @Test
    void x509WithATestCaServesNbdinfoAndNbdcopy() throws Exception {
        Tools.need("nbdinfo", "nbdcopy", "openssl");
        Path pki = pki();
        try (Daemon d = start(TlsConfig.x509(TlsConfig.Mode.REQUIRE, pki))) {
            String uri = "nbds+unix:///t?socket=" + sock() + "&tls-certificates=" + pki;
            assertThat(Tools.run("nbdinfo", "--size", uri).trim()).isEqualTo("4194304");
            Path src = DaemonEndToEndTest.randomFile(dir.resolve("src"), 4 << 20, 2);
            Tools.run("nbdcopy", src.toString(), uri);
            assertThat(Files.mismatch(src, dir.resolve("disk.img"))).isEqualTo(-1L);
            assertThat(exitOf("nbdinfo", "--size", plainUri())).as("plaintext refused").isNotZero();
        }
    }

    @Test
    void tlsWorksOverTcpToo() throws Exception {
        Tools.need("nbdinfo");
        Path psk = pskFile();
        int port;
        try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        try (Daemon d = Daemon.start(new Daemon.Listen(null, "127.0.0.1", port, null, 1, 1 << 20,
                NbdServer.DEFAULT_HANDSHAKE_TIMEOUT, NbdServer.DEFAULT_MAX_CONNECTIONS, SocketAccess.ownerOnly(),
                TlsConfig.psk(TlsConfig.Mode.REQUIRE, psk)))) {
            d.namespace().createWithTable("t", null, false, "0 8192 zero", dir);
            assertThat(Tools.run("nbdinfo", "--size", "nbds://alice@127.0.0.1:" + port + "/t?tls-psk-file=" + psk)
                    .trim()).isEqualTo("4194304");
            assertThat(exitOf("nbdinfo", "--size", "nbd://127.0.0.1:" + port + "/t")).isNotZero();
        }
    }

    @Test
    void anEcKeyServesToo() throws Exception {
        Tools.need("nbdinfo", "openssl");
        Path pki = pki("ec");
        try (Daemon d = start(TlsConfig.x509(TlsConfig.Mode.REQUIRE, pki))) {
            String uri = "nbds+unix:///t?socket=" + sock() + "&tls-certificates=" + pki;
            assertThat(Tools.run("nbdinfo", "--size", uri).trim()).isEqualTo("4194304");
        }
    }

    @Test
    void withTlsOnAPlaintextClientIsStillServed() throws Exception {
        Tools.need("nbdinfo", "openssl");
        try (Daemon d = start(TlsConfig.psk(TlsConfig.Mode.ON, pskFile()))) {
            assertThat(Tools.run("nbdinfo", "--size", plainUri()).trim()).isEqualTo("4194304");
        }
    }

    @Test
    void underRequireOptionsGetTlsReqdAndExportNameCloses() throws Exception {
        try (Daemon d = start(TlsConfig.psk(TlsConfig.Mode.REQUIRE, pskFile()));
                SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock()))) {
            readFully(ch, 18); // greeting
            ch.write(ByteBuffer.allocate(4).putInt(3).flip()); // fixed newstyle, no zeroes
            ch.write(ByteBuffer.allocate(16).putLong(IHAVEOPT).putInt(OPT_LIST).putInt(0).flip());
            ByteBuffer reply = readFully(ch, 20);
            assertThat(reply.getLong(0)).isEqualTo(0x3e889045565a9L);
            assertThat(reply.getInt(8)).isEqualTo(OPT_LIST);
            assertThat(reply.getInt(12)).isEqualTo(REP_ERR_TLS_REQD);
            readFully(ch, reply.getInt(16)); // the message
            ch.write(ByteBuffer.allocate(17).putLong(IHAVEOPT).putInt(OPT_EXPORT_NAME).putInt(1).put((byte) 't')
                    .flip());
            assertThat(ch.read(ByteBuffer.allocate(1))).as("EXPORT_NAME without TLS: closed").isEqualTo(-1);
        }
    }

    @Test
    void bytesSentRightAfterStartTlsCloseTheConnection() throws Exception {
        // A client (or a man in the middle) that sends plaintext behind STARTTLS would have it read as if it came
        // over TLS: the server hangs up instead of answering.
        try (Daemon d = start(TlsConfig.psk(TlsConfig.Mode.REQUIRE, pskFile()));
                SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock()))) {
            readFully(ch, 18);
            ch.write(ByteBuffer.allocate(4 + 16 + 16).putInt(3).putLong(IHAVEOPT).putInt(5).putInt(0)
                    .putLong(IHAVEOPT).putInt(OPT_LIST).putInt(0).flip());
            assertThat(ch.read(ByteBuffer.allocate(20))).isEqualTo(-1);
        }
    }

    private static ByteBuffer readFully(SocketChannel ch, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            assertThat(ch.read(b)).as("connection open").isNotNegative();
        }
        return b.flip();
    }
}
