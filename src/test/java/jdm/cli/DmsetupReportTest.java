package jdm.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import jdm.control.DevNo;
import jdm.control.DeviceDeps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "info -c" reports, "ls --tree" options and name mangling without the kernel oracle (the same outputs are checked
 * against Linux 6.1 by DmsetupKernelOracleTest where qemu is installed): base (uuid) under mid (two targets) under
 * top (an inactive table only).
 */
class DmsetupReportTest {
    @TempDir
    Path dir;
    DmsetupHarness h;

    @BeforeEach
    void setUp() throws Exception {
        h = new DmsetupHarness(dir);
        h.file("a.img", 1 << 20);
        ok("create", "base", "-u", "JDM-base-1", "--table", "0 2048 linear a.img 0");
        ok("create", "mid", "--table", "0 1024 linear /dev/mapper/base 0\n1024 1024 zero");
        ok("create", "top", "--notable");
        ok("load", "top", "--table", "0 1024 linear /dev/mapper/mid 0");
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    private String ok(String... args) {
        DmsetupHarness.Run r = h.dmsetup(args);
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.err()).as("%s", r).isEmpty();
        return r.out();
    }

    @Test
    void defaultColumnsAreAlignedToTheFieldWidthsWithTrailingPadding() {
        assertThat(ok("info", "-c")).isEqualTo(
                "Name             Maj Min Stat Open Targ Event  UUID" + " ".repeat(28) + "\n"
                + "base             253   0 L--w    1    1      0 JDM-base-1" + " ".repeat(22) + "\n"
                + "mid              253   1 L--w    1    2      0 " + " ".repeat(32) + "\n"
                + "top              253   2 -I-w    0    0      0 " + " ".repeat(32) + "\n");
    }

    @Test
    void aSeparatorTurnsAlignmentOffAndTreeFieldsNameTheNeighbours() {
        assertThat(ok("info", "-c", "-o", "name,devs_used,names_using_dev,device_ref_count", "--separator", "|"))
                .isEqualTo("Name|DevNamesUsed|RefNames|#Refs\nbase||mid|1\nmid|base||0\ntop|||0\n");
        assertThat(ok("info", "-c", "--noheadings", "-o", "+devnos_used,device_count"))
                .isEqualTo("base:253:0:L--w:1:1:0:JDM-base-1:7:0:1\nmid:253:1:L--w:1:2:0::253:0:1\n"
                        + "top:253:2:-I-w:0:0:0:::0\n");
    }

    @Test
    void sortKeysSelectionsPrefixesAndRows() {
        assertThat(ok("info", "-c", "--sort", "-name", "-o", "name,minor"))
                .isEqualTo("Name             Min\ntop                2\nmid                1\nbase               0\n");
        assertThat(ok("info", "-c", "-S", "name=~^m||uuid=JDM-base-1", "-o", "name,uuid", "--noheadings"))
                .isEqualTo("base:JDM-base-1\nmid:\n");
        assertThat(ok("info", "-c", "-S", "segments>=1 && !(name=base)", "-o", "name", "--noheadings"))
                .isEqualTo("mid\n");
        assertThat(ok("info", "-c", "-S", "name=nosuch")).isEmpty();
        assertThat(ok("info", "-c", "--nameprefixes", "-o", "name,major,minor,uuid")).isEqualTo("""
                Name Maj Min UUID
                DM_NAME='base' DM_MAJOR='253' DM_MINOR='0' DM_UUID='JDM-base-1'
                DM_NAME='mid' DM_MAJOR='253' DM_MINOR='1' DM_UUID=''
                DM_NAME='top' DM_MAJOR='253' DM_MINOR='2' DM_UUID=''
                """);
        assertThat(ok("info", "-c", "--rows", "-o", "name,attr,open"))
                .isEqualTo("Name base mid top\nStat L--w L--w -I-w\nOpen 1 1 0\n");
    }

    @Test
    void selectionPicksTheDevicesOtherCommandsRunOn() {
        assertThat(ok("table", "-S", "name=mid")).isEqualTo("mid: 0 1024 linear 253:0 0\nmid: 1024 1024 zero \n");
        ok("remove", "-S", "name=top");
        assertThat(ok("ls")).isEqualTo("base\t(253:0)\nmid\t(253:1)\n");
    }

    @Test
    void treeOptionsAddAttributesInvertCompactAndChangeTheSymbols() {
        assertThat(ok("ls", "--tree", "-o", "active,open,rw,uuid")).isEqualTo("""
                mid (253:1) [ACTIVE, RW, 1, ]
                 `-base (253:0) [ACTIVE, RW, 1, JDM-base-1]
                    `- (7:0)
                top (253:2) [ACTIVE, RW, 0, ]
                """);
        assertThat(ok("ls", "--tree", "-o", "inverted,compact"))
                .isEqualTo(" (7:0)---base (253:0)---mid (253:1)\ntop (253:2)\n");
        assertThat(ok("ls", "--tree", "-o", "utf"))
                .isEqualTo("mid (253:1)\n \u2514\u2500base (253:0)\n    \u2514\u2500 (7:0)\ntop (253:2)\n");
        assertThat(ok("ls", "--tree", "-o", "nodevice")).isEqualTo("mid\n `-base\ntop\n");
    }

    @Test
    void treeLinesAreCutAtEightyColumnsUnlessNotrunc() throws Exception {
        String longName = "n".repeat(90);
        List<DeviceDeps> devices = List.of(new DeviceDeps(longName, new DevNo(253, 0), List.of()));
        String cut = new DmsetupTree(devices, Map.of(), DmsetupTree.Options.parse(null, v -> null), n -> n).draw();
        assertThat(cut).isEqualTo("n".repeat(79) + "...\n");
        String whole = new DmsetupTree(devices, Map.of(), DmsetupTree.Options.parse("notrunc", v -> null), n -> n)
                .draw();
        assertThat(whole).isEqualTo(longName + " (253:0)\n");
        String exact = "e".repeat(80);
        assertThat(new DmsetupTree(List.of(new DeviceDeps(exact, new DevNo(253, 0), List.of())), Map.of(),
                DmsetupTree.Options.parse("nodevice", v -> null), n -> n).draw()).isEqualTo(exact + "\n");
    }

    @Test
    void namesAreMangledForTheKernelAndShownUnmangled() throws Exception {
        ok("create", "sp ace", "--table", "0 8 zero");
        assertThat(h.ns.find("sp\\x20ace")).as("the kernel-side name").isNotNull();
        assertThat(ok("info", "-c", "-o", "name,mangled_name,unmangled_name", "-S", "name=~ace", "--noheadings"))
                .isEqualTo("sp ace:sp\\x20ace:sp ace\n");
        assertThat(NameMangling.HEX.mangle("a.b", "name", "")).isEqualTo("a.b");
        assertThat(NameMangling.NONE.mangle("a b", "name", "")).isEqualTo("a b");
        assertThatThrownBy(() -> NameMangling.AUTO.mangle("a\\x20b c", "name", "Failed to mangle device name."))
                .isInstanceOfSatisfying(DmsetupFailure.class, f -> assertThat(f.lines()).containsExactly(
                        "The name \"a\\x20b c\" contains mixed mangled and unmangled characters or it's already"
                                + " mangled improperly.", "Failed to mangle device name."));
        assertThat(NameMangling.AUTO.unmangle("sp\\x20ace")).isEqualTo("sp ace");
    }
}
