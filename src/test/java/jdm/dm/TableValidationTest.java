package jdm.dm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import jdm.testing.DeviceChecks;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TableValidationTest {
    /** Backing files reach tables through checking wrappers: bios in range, each ended exactly once. */
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;
    DeviceNamespace ns;
    String a;

    @BeforeEach
    void setUp() throws Exception {
        ns = Fixtures.namespace(checks);
        a = Fixtures.file(dir, "a.img", 1 << 20).toString(); // 2048 sectors
    }

    private DmException loadFails(String table) throws Exception {
        ns.create("vol", null, false);
        try {
            ns.load("vol", table, dir);
        } catch (DmException e) {
            assertThat(ns.get("vol").inactiveTable()).as("a rejected table is not loaded").isNull();
            return e;
        }
        throw new AssertionError("table was accepted: " + table);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            gap between targets          | 0 100 linear A 0\\n200 100 linear A 0        | Gap in table
            overlapping targets          | 0 100 linear A 0\\n50 100 linear A 0         | targets overlap
            table not starting at zero   | 8 100 linear A 0                             | Gap in table
            zero-length target           | 0 0 linear A 0                               | zero-length target
            unknown target type          | 0 100 frobnicate A 0                         | frobnicate: unknown target type
            non-numeric length           | 0 1x0 linear A 0                             | Invalid format
            negative start               | -1 100 linear A 0                            | Invalid format
            missing target type          | 0 100                                        | Invalid format
            linear with one argument     | 0 100 linear A                               | linear: Invalid argument count
            linear with bad offset       | 0 100 linear A 12abc                         | linear: Invalid device sector
            linear on a missing file     | 0 100 linear /nonexistent/x.img 0            | linear: Device lookup failed
            linear past the device end   | 0 100 linear A 2000                          | too small for target: start=2000, len=100, dev_size=2048
            striped with zero stripes    | 0 128 striped 0 8 A 0                        | striped: Invalid stripe count
            striped with bad chunk       | 0 128 striped 2 0 A 0 A 64                   | striped: Invalid chunk_size
            striped length vs stripes    | 0 129 striped 2 8 A 0 A 512                  | Target length not divisible by number of stripes
            striped length vs chunk      | 0 100 striped 2 8 A 0 A 512                  | Target length not divisible by chunk size
            striped missing destination  | 0 128 striped 2 8 A 0                        | Not enough destinations specified
            striped bad stripe offset    | 0 128 striped 2 8 A 0 A x                    | Couldn't parse stripe destination
            zero with arguments          | 0 100 zero 5                                 | zero: No arguments required
            empty table                  | # only a comment                             | empty table
            """)
    void aBadTableIsRejectedWholeWithTheKernelsReason(String what, String table, String reason) throws Exception {
        DmException e = loadFails(table.replace("\\n", "\n").replace("A", a));
        assertThat(e.errno()).isEqualTo(reason.contains("lookup") ? DmException.ENODEV : DmException.EINVAL);
        assertThat(e.getMessage()).contains(reason);
    }

    @Test
    void errorsNameTheLineTheyAreOn() throws Exception {
        DmException e = loadFails("0 100 linear " + a + " 0\n100 100 linear " + a);
        assertThat(e.getMessage()).startsWith("line 2: linear: Invalid argument count");
    }

    @Test
    void aReloadThatReferencesTheDeviceItselfIsRejectedAndTheLiveTableKeepsServing() throws Exception {
        MappedDevice md = ns.createWithTable("test", null, false, "0 2048 linear " + a + " 0", dir);
        Fixtures.write(md, 5, new byte[512 * 3]);
        for (String self : new String[] {"/dev/mapper/test", "test", "253:0"}) {
            assertThatThrownBy(() -> ns.load("test", "0 2048 linear " + self + " 0", dir))
                    .isInstanceOf(DmException.class)
                    .hasMessageContaining("Device lookup failed")
                    .hasMessageContaining("depend on itself: test -> test");
        }
        ns.resume("test");
        assertThat(md.liveTable().statusLines(StatusType.TABLE)).containsExactly("0 2048 linear 7:0 0");
        assertThat(Fixtures.read(md, 0, 2048)).hasSize(2048 * 512);
    }

    @Test
    void aCycleThroughAnotherDeviceIsRejected() throws Exception {
        ns.createWithTable("low", null, false, "0 2048 linear " + a + " 0", dir);
        ns.createWithTable("top", null, false, "0 2048 linear /dev/mapper/low 0", dir);
        assertThatThrownBy(() -> ns.load("low", "0 2048 linear top 0", dir))
                .hasMessageContaining("depend on itself: low -> top -> low");
    }

    @Test
    void aDeviceUsedByAnotherTableCannotBeRemoved() throws Exception {
        ns.createWithTable("low", null, false, "0 2048 linear " + a + " 0", dir);
        ns.createWithTable("top", null, false, "0 1024 linear low 1024", dir);
        assertThatThrownBy(() -> ns.remove("low")).isInstanceOf(DmException.class)
                .extracting(e -> ((DmException) e).errno()).isEqualTo(DmException.EBUSY);
        ns.remove("top");
        ns.remove("low");
        assertThat(ns.list()).isEmpty();
    }

    @Test
    void aFailedCreateLeavesNoDeviceBehind() throws Exception {
        assertThatThrownBy(() -> ns.createWithTable("vol", null, false, "0 100 linear " + a, dir))
                .isInstanceOf(DmException.class);
        assertThat(ns.list()).isEmpty();
        ns.createWithTable("vol", null, false, "0 100 linear " + a + " 0", dir);
        assertThat(ns.get("vol").devt()).isEqualTo(new DevT(253, 0));
    }

    @Test
    void namesAndUuidsAreUnique() throws Exception {
        ns.create("vol", "U-1", false);
        assertThatThrownBy(() -> ns.create("vol", null, false)).extracting(e -> ((DmException) e).errno())
                .isEqualTo(DmException.EBUSY);
        assertThatThrownBy(() -> ns.create("other", "U-1", false)).hasMessageContaining("U-1");
        assertThatThrownBy(() -> ns.create("a/b", null, false)).hasMessageContaining("Invalid device name");
    }

    @Test
    void tableTextParsesBackIntoTheSameTable() throws Exception {
        String b = Fixtures.file(dir, "b.img", 1 << 20).toString();
        ns.createWithTable("vol", null, false, String.join("\n",
                "0 1024 striped 2 64 " + a + " 0 " + b + " 128",
                "1024 100 zero",
                "1124 50 error",
                "1174 10 linear " + a + " 1500"), dir);
        var lines = ns.get("vol").liveTable().statusLines(StatusType.TABLE);
        assertThat(lines).containsExactly("0 1024 striped 2 64 7:0 0 7:1 128", "1024 100 zero ", "1124 50 error ",
                "1174 10 linear 7:0 1500");
        ns.load("vol", String.join("\n", lines), dir);
        ns.resume("vol");
        assertThat(ns.get("vol").liveTable().statusLines(StatusType.TABLE)).isEqualTo(lines);
        assertThat(ns.get("vol").liveTable().statusLines(StatusType.INFO)).containsExactly(
                "0 1024 striped 2 7:0 7:1 1 AA", "1024 100 zero ", "1124 50 error ", "1174 10 linear ");
    }
}
