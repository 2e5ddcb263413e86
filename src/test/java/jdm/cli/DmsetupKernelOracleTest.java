package jdm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdm.cli.DmsetupHarness.Run;
import jdm.testing.KernelOracle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same dmsetup session run by the real dmsetup on Linux 6.1 (the kernel oracle) and by "jdm dmsetup" against a
 * jdm namespace: stdout, stderr and exit status of every step must be identical, once the kernel's disk numbers
 * (vda 254:0, vdb 254:16) are written as jdm's file numbers (7:0, 7:1) and jdm's own "jdm: reason" lines (what the
 * kernel only logs) would be left out (jdm no longer prints them: they are in "jdm dmesg").
 *
 * <p>Two sessions: the basic verbs, and the options (info -c reports with -o/--sort/-S/--nameprefixes/--rows,
 * table/status --target/--inactive, ls --target/--exec/--tree -o ..., rename, mangled names, device paths, the udev
 * no-ops). Each boots the kernel once (~5-10 s under TCG).
 *
 * <p>Steps where jdm knowingly differs are left out and named here: a device used by several targets of one table
 * has open count 1 in the kernel, 2 in jdm; target versions and the library version; a missing backing device is
 * ENODEV in the kernel; a read-only device reloaded with a read-write table turns read-write in the kernel; a
 * self-referencing table is accepted by the kernel's load and refused by jdm; "-o help" (jdm lists only the fields
 * it has).
 */
class DmsetupKernelOracleTest {

    @TempDir
    Path dir;

    /** One dmsetup invocation; {A} and {B} stand for the two disks; stdin null for none. */
    record Step(String stdin, String... args) {
        String label() {
            return String.join(" ", args).replace("\n", "\\n");
        }
    }

    static Step run(String... args) {
        return new Step(null, args);
    }

    static final List<Step> SESSION = List.of(
            run("ls"),
            run("table"),
            run("create", "vol", "--table", "0 2048 linear {A} 0"),
            run("create", "empty", "--notable"),
            run("create", "ro", "-r", "-u", "JDM-ro-1", "--table", "0 1024 linear {B} 0"),
            run("create", "sw", "--table", "0 1024 linear {B} 1024"),
            run("info", "vol"),
            run("info", "ro", "sw"),
            run("ls"),
            run("table"),
            run("status"),
            run("deps"),
            run("table", "vol"),
            run("status", "vol"),
            run("table", "empty"),
            run("deps", "empty"),
            run("status", "empty", "vol"),
            run("reload", "vol", "--table", "0 1000 linear {A} 0\n1100 948 linear {A} 0"),
            run("reload", "vol", "--table", "0 2048 frobnicate {A} 0"),
            run("reload", "vol", "--table", "0 2048 linear {A} 12abc"),
            run("create", "vol", "-u", "U-1", "--table", "0 8 zero"),
            run("create", "vol", "--notable"),
            new Step("0 2048 linear {A} 0\n2048 oops\n", "create", "x"),
            run("create", "x", "--table", "x 100 linear {A} 0"),
            run("table", "nosuch"),
            run("status", "nosuch"),
            run("info", "nosuch"),
            run("deps", "nosuch"),
            run("suspend", "nosuch"),
            run("resume", "nosuch"),
            run("clear", "nosuch"),
            run("remove", "nosuch"),
            run("wait", "nosuch", "1"),
            new Step("0 1024 linear /dev/mapper/vol 0\n1024 1024 linear /dev/mapper/vol 1024\n", "create", "top"),
            run("deps", "top"),
            run("remove", "vol"),
            run("message", "vol", "0", "hello", "world"),
            run("message", "vol", "4096", "hello"),
            run("message", "vol", "0"),
            run("message", "vol", "12x", "hello"),
            run("message", "empty", "0", "hi"),
            run("rename", "ro", "--setuuid", "X"),
            run("rename", "empty", "--setuuid", "E-1"),
            run("ls", "--target", "linear"),
            run("ls", "--tree"),
            run("suspend", "sw"),
            run("info", "sw"),
            run("status", "sw"),
            run("resume", "sw"),
            run("reload", "sw", "--table", "0 1024 zero"),
            run("info", "sw"),
            run("table", "sw"),
            run("clear", "sw"),
            run("info", "sw"),
            new Step("0 1024 zero\n", "load", "sw"),
            run("resume", "sw"),
            run("table", "sw"),
            run("wait", "sw", "5"),
            run("remove", "-f", "vol"),
            run("table", "vol"),
            run("create"),
            run("load"),
            run("remove"),
            run("create", "q", "--notable", "--table", "0 8 zero"),
            run("load", "vol", "--notable"),
            run("remove", "top", "vol", "empty", "ro", "sw"),
            run("ls"));

    /** The options session: reports, selections, filters, tree options, rename, mangling, paths, udev no-ops. */
    static final List<Step> OPTIONS_SESSION = List.of(
            run("create", "base", "-u", "JDM-base-1", "--table", "0 2048 linear {A} 0"),
            new Step("0 1024 linear /dev/mapper/base 0\n1024 1024 zero\n", "create", "mid"),
            run("create", "ro", "-r", "--table", "0 512 linear {B} 0"),
            run("create", "top", "--notable"),
            run("load", "top", "--table", "0 1024 linear /dev/mapper/mid 0"),
            run("info", "-c"),
            run("info", "-C", "-o", "name,uuid,blkdevname,tables_loaded,suspended,readonly,devno,read_ahead"),
            run("info", "-c", "--noheadings", "-o", "+devnos_used,device_count"),
            run("info", "-c", "-o", "name,devs_used,names_using_dev,devnos_using_dev,device_ref_count",
                    "--separator", "|"),
            run("info", "-c", "--sort", "-name"),
            run("create", "vg--a-lv-_tmeta", "-u", "LVM-abcdef", "--notable"),
            run("info", "-c", "-o", "name,subsystem,vg_name,lv_name,lv_layer"),
            run("remove", "vg--a-lv-_tmeta"),
            run("info", "-c", "--sort", "segments,-minor", "-o", "name,minor,segments"),
            run("info", "-c", "-S", "name=mid"),
            run("info", "-c", "-S", "uuid=JDM-base-1", "-o", "name,uuid"),
            run("info", "-c", "-S", "name=~^m", "--noheadings"),
            run("info", "-c", "-S", "open>0", "-o", "name,open"),
            run("info", "-c", "-S", "name=nosuch"),
            run("info", "-c", "--nameprefixes", "-o", "name,major,minor,uuid"),
            run("info", "-c", "--nameprefixes", "--unquoted", "--noheadings", "-o", "name,attr"),
            run("info", "-c", "--rows", "-o", "name,attr,open"),
            run("info", "-c", "--noheadings"),
            run("info", "--columns", "--inactive", "-o", "name,attr,segments", "top"),
            run("info", "-c", "top", "nosuch", "mid"),
            run("info", "--inactive", "top"),
            run("table", "--target", "zero"),
            run("table", "mid", "--target", "linear"),
            run("status", "--target", "zero"),
            run("status", "--target", "zero", "ro"),
            run("table", "--showkeys", "mid"),
            run("table", "--inactive", "top", "mid"),
            run("ls", "--target", "zero"),
            run("ls", "--target", "linear"),
            run("ls", "--exec", "echo"),
            run("ls", "--target", "zero", "--exec", "echo"),
            run("ls", "--tree", "-o", "active,open,rw,uuid"),
            run("ls", "--tree", "-o", "compact"),
            run("ls", "--tree", "-o", "nodevice"),
            run("ls", "--tree", "-o", "blkdevname,nodevice"),
            run("ls", "--tree", "-o", "inverted,compact"),
            run("ls", "--tree", "-o", "inverted,active"),
            run("ls", "--tree", "-o", "utf"),
            run("ls", "--tree", "-o", "vt100,inverted"),
            run("ls", "--tree", "-o", "device,bogus"),
            run("info", "-u", "JDM-base-1"),
            run("table", "-u", "JDM-base-1"),
            run("info", "-c", "-u", "JDM-base-1", "-o", "name,uuid"),
            run("info", "-u", "JDM-nosuch"),
            run("status", "-u", "JDM-nosuch"),
            run("table", "-u", "JDM-nosuch"),
            run("suspend", "-u", "JDM-nosuch"),
            run("table", "-S", "name=mid"),
            run("status", "-S", "name=~^[bm]"),
            run("deps", "-S", "uuid=JDM-base-1"),
            run("rename", "mid", "middle"),
            run("ls"),
            run("table", "middle"),
            run("rename", "middle", "mid"),
            run("rename", "top", "--setuuid", "JDM-top-1"),
            run("rename", "top", "mid"),
            run("rename", "nosuch", "other"),
            run("rename", "top", ""),
            run("info", "-c", "-o", "name,uuid,events"),
            run("wait", "mid", "0"),
            run("wait", "mid"),
            run("create", "sp ace", "--table", "0 8 zero"),
            run("ls"),
            run("info", "-c", "-o", "name,mangled_name,unmangled_name", "-S", "name=~ace"),
            run("remove", "sp ace"),
            run("create", "two\\x20mixed one", "--table", "0 8 zero"),
            run("info", "/dev/mapper/base"),
            run("info", "/dev/base"),
            run("table", "a/b/c"),
            run("mknodes"),
            run("mknodes", "base"),
            run("udevcookies"),
            run("udevcomplete_all", "-y"),
            run("load", "ro", "--readonly", "--table", "0 512 linear {B} 512"),
            run("resume", "ro"),
            run("info", "-c", "-o", "name,attr", "ro"),
            run("wipe_table", "top"),
            run("wipe_table", "ro"),
            run("table", "ro"),
            run("remove_all"),
            run("ls"),
            run("create", "t1", "--table", "0 8 zero"),
            run("create", "t2", "--table", "0 8 linear /dev/mapper/t1 0"),
            new Step("0 8 linear /dev/mapper/t2 0\n", "create", "t3"),
            run("remove_all", "--force"),
            run("ls"));

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Test
    void aDmsetupSessionPrintsWhatTheRealDmsetupPrintsOnLinux61() throws Exception {
        compareWithKernel(SESSION);
    }

    @Test
    void dmsetupsOptionsPrintWhatTheRealDmsetupPrintsOnLinux61() throws Exception {
        compareWithKernel(OPTIONS_SESSION);
    }

    private void compareWithKernel(List<Step> session) throws Exception {
        KernelOracle.assumeAvailable();

        StringBuilder script = new StringBuilder();
        for (Step s : session) {
            script.append("echo ").append(quote("=== " + s.label())).append('\n');
            if (s.stdin() != null) {
                script.append("printf '%s' ").append(quote(kernelPaths(s.stdin()))).append(" | ");
            }
            script.append("dmsetup");
            for (String a : s.args()) {
                script.append(' ').append(quote(kernelPaths(a)));
            }
            script.append(s.stdin() == null ? " </dev/null" : "").append(" >/tmp/o 2>/tmp/e; rc=$?\n");
            script.append("cat /tmp/o; echo '--- stderr'; cat /tmp/e; echo \"rc=$rc\"\n");
        }
        Path kdir = Files.createDirectories(dir.resolve("kernel"));
        Path sh = Files.writeString(kdir.resolve("session.sh"), script.toString());
        List<String> cmd = new ArrayList<>(List.of("-k", "6.1", "-r", "2020-01-01T00:00:00", "-t", "300",
                sh.toString()));
        for (String disk : new String[] {"a.img", "b.img"}) {
            Path img = kdir.resolve(disk);
            try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
                f.setLength(1 << 20);
            }
            cmd.add(img.toString());
        }
        String kernel = KernelOracle.run(cmd).replace("254:16", "7:1").replace("254:0", "7:0")
                .replace("(254, 16)", "(7, 1)").replace("(254, 0)", "(7, 0)")
                .replaceAll("\\bvda\\b", "loop0").replaceAll("\\bvdb\\b", "loop1");

        Path jdir = Files.createDirectories(dir.resolve("jdm"));
        StringBuilder jdm = new StringBuilder();
        try (DmsetupHarness h = new DmsetupHarness(jdir)) {
            h.file("a.img", 1 << 20);
            h.file("b.img", 1 << 20);
            for (Step s : session) {
                String[] args = Stream.of(s.args()).map(DmsetupKernelOracleTest::jdmPaths).toArray(String[]::new);
                Run r = h.dmsetupWithStdin(s.stdin() == null ? "" : jdmPaths(s.stdin()), args);
                String err = r.err().lines().filter(l -> !l.startsWith("jdm: "))
                        .map(l -> l + "\n").collect(Collectors.joining());
                jdm.append("=== ").append(s.label()).append('\n').append(r.out()).append("--- stderr\n")
                        .append(err).append("rc=").append(r.exitCode()).append('\n');
            }
        }
        assertThat(jdm.toString()).isEqualTo(kernel);
    }

    static String kernelPaths(String s) {
        return s.replace("{A}", "/dev/vda").replace("{B}", "/dev/vdb");
    }

    static String jdmPaths(String s) {
        return s.replace("{A}", "a.img").replace("{B}", "b.img");
    }
}
