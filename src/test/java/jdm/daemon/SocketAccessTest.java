package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdm.nbd.NbdServer;
import jdm.nbd.SocketAccess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NBD and control sockets are 0600 (0660 with --group) although the daemon runs under umask 000, and a local
 * user who is neither root nor the daemon's user is refused by uid (SO_PEERCRED) even where the mode lets them
 * connect, unless --allow-uid names them. The refused client is a real one (nbdinfo) run as uid 65534 through
 * setpriv, so these tests need root.
 */
@Timeout(120)
class SocketAccessTest {
    private static final int NOBODY = 65534;

    @TempDir
    Path dir;

    private static final MethodHandle UMASK = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("umask").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private static int umask(int mask) throws Throwable {
        return (int) UMASK.invokeExact(mask);
    }

    private Daemon startUnderUmask000(SocketAccess access) throws Throwable {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x")); // modes decide, not dir
        int old = umask(0);
        try {
            Daemon d = Daemon.start(new Daemon.Listen(dir.resolve("nbd.sock"), null, 0, dir.resolve("ctl.sock"), 1,
                    1 << 20, NbdServer.DEFAULT_HANDSHAKE_TIMEOUT, NbdServer.DEFAULT_MAX_CONNECTIONS, access, null));
            d.namespace().createWithTable("vol", null, false, "0 8192 zero", dir);
            return d;
        } finally {
            umask(old);
        }
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void bothSocketsAre0600UnderUmask000AndNothingIsLeftBeside() throws Throwable {
        try (Daemon d = startUnderUmask000(SocketAccess.ownerOnly())) {
            assertThat(mode(dir.resolve("nbd.sock"))).isEqualTo("rw-------");
            assertThat(mode(dir.resolve("ctl.sock"))).isEqualTo("rw-------");
            try (var s = Files.list(dir)) {
                assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("nbd.sock",
                        "ctl.sock");
            }
        }
    }

    @Test
    void aSocketPathAtTheLengthLimitStillBinds() throws Throwable {
        // The JDK binds paths of up to 106 bytes: the private directory's path must be no longer than the final one.
        String base = dir.toAbsolutePath().toString();
        int fill = 106 - base.length() - "/d/x/nbd.sock".length() + 1;
        Path deep = Files.createDirectories(Path.of(base, "d".repeat(fill), "x"));
        Path sock = deep.resolve("nbd.sock");
        assertThat(sock.toString()).hasSize(106);
        try (Daemon d = Daemon.start(new Daemon.Listen(sock, null, 0, null))) {
            assertThat(mode(sock)).isEqualTo("rw-------");
        }
    }

    @Test
    void withAGroupTheSocketsAre0660InThatGroup() throws Throwable {
        String group = "nogroup";
        Assumptions.assumeTrue(Files.readString(Path.of("/etc/group")).contains("\n" + group + ":"), "no group "
                + group);
        try (Daemon d = startUnderUmask000(SocketAccess.of(group, List.of()))) {
            for (String s : List.of("nbd.sock", "ctl.sock")) {
                assertThat(mode(dir.resolve(s))).isEqualTo("rw-rw----");
                assertThat(Files.readAttributes(dir.resolve(s), java.nio.file.attribute.PosixFileAttributes.class,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS).group().getName()).isEqualTo(group);
            }
        }
    }

    @Test
    void anUnprivilegedUserIsRefusedOnBothSocketsEvenWhenTheModeLetsThemConnect() throws Throwable {
        needRootAndTools();
        try (Daemon d = startUnderUmask000(SocketAccess.ownerOnly())) {
            assertThat(asNobody(nbdinfo())).as("refused by the mode").isNotZero();
            openUp();
            assertThat(asNobody(nbdinfo())).as("refused by uid").isNotZero();
            assertThat(asNobody(controlProbe())).as("control socket closed at once").isZero();
            assertThat(Tools.run(nbdinfo()).trim()).as("the daemon's own user gets in").isEqualTo("4194304");
        }
    }

    @Test
    void allowUidLetsThatUserIn() throws Throwable {
        needRootAndTools();
        try (Daemon d = startUnderUmask000(SocketAccess.of(null, List.of(NOBODY)))) {
            openUp();
            assertThat(asNobody(nbdinfo())).isZero();
        }
    }

    /** What --allow-uid is for: a mode (or group) that lets the user reach the socket. */
    private void openUp() throws Exception {
        for (String s : List.of("nbd.sock", "ctl.sock")) {
            Files.setPosixFilePermissions(dir.resolve(s), PosixFilePermissions.fromString("rw-rw-rw-"));
        }
    }

    private String[] nbdinfo() {
        return new String[] {"nbdinfo", "--size", "nbd+unix:///vol?socket=" + dir.resolve("nbd.sock")};
    }

    /** Connects to the control socket and exits 0 if the daemon closed it without a word. */
    private String[] controlProbe() {
        return new String[] {"/usr/bin/python3", "-c", "import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
                + "s.connect(sys.argv[1])\ns.settimeout(10)\nsys.exit(0 if s.recv(1) == b'' else 1)",
                dir.resolve("ctl.sock").toString()};
    }

    private static int asNobody(String... cmd) throws Exception {
        List<String> all = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
                "--clear-groups"));
        all.addAll(List.of(cmd));
        Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished; %s", all, out).isTrue();
        return p.exitValue();
    }

    private static void needRootAndTools() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run setpriv");
        Tools.need("setpriv", "nbdinfo");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")));
    }
}
