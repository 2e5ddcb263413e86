package jdm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import jdm.cli.DmsetupHarness.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DmsetupCommandTest {
    @TempDir
    Path dir;
    DmsetupHarness h;

    @BeforeEach
    void setUp() throws Exception {
        h = new DmsetupHarness(dir);
        h.file("a.img", 1 << 20); // 2048 sectors, 7:0 once opened first
        h.file("b.img", 1 << 20);
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    private Run ok(String... args) {
        Run r = h.dmsetup(args);
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.err()).as("%s", r).isEmpty();
        return r;
    }

    private Run okWithStdin(String stdin, String... args) {
        Run r = h.dmsetupWithStdin(stdin, args);
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.err()).as("%s", r).isEmpty();
        return r;
    }

    private Run fails(String... args) {
        Run r = h.dmsetup(args);
        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.out()).as("%s", r).isEmpty();
        return r;
    }

    @Test
    void createThenTableStatusInfoAndLsPrintExactlyWhatDmsetupPrints() {
        ok("create", "vol", "--table", "0 2048 linear a.img 0");

        assertThat(ok("table", "vol").out()).isEqualTo("0 2048 linear 7:0 0\n");
        assertThat(ok("status", "vol").out()).isEqualTo("0 2048 linear \n");
        assertThat(ok("table").out()).isEqualTo("vol: 0 2048 linear 7:0 0\n");
        assertThat(ok("status").out()).isEqualTo("vol: 0 2048 linear \n");
        assertThat(ok("ls").out()).isEqualTo("vol\t(253:0)\n");
        assertThat(ok("info", "vol").out()).isEqualTo("""
                Name:              vol
                State:             ACTIVE
                Read Ahead:        256
                Tables present:    LIVE
                Open count:        0
                Event number:      0
                Major, minor:      253, 0
                Number of targets: 1

                """);
    }

    @Test
    void infoShowsUuidReadOnlyAndATablelessDeviceAsDmsetupDoes() {
        ok("create", "ro", "-r", "-u", "JDM-ro-1", "--table", "0 2048 linear a.img 0");
        ok("create", "empty", "--notable");

        assertThat(ok("info").out()).isEqualTo("""
                Name:              empty
                State:             ACTIVE
                Read Ahead:        256
                Tables present:    None
                Open count:        0
                Event number:      0
                Major, minor:      253, 1
                Number of targets: 0

                Name:              ro
                State:             ACTIVE (READ-ONLY)
                Read Ahead:        256
                Tables present:    LIVE
                Open count:        0
                Event number:      0
                Major, minor:      253, 0
                Number of targets: 1
                UUID: JDM-ro-1

                """);
        assertThat(ok("table", "empty").out()).as("no live table: an empty line").isEqualTo("\n");
        assertThat(ok("table").out()).isEqualTo("empty: \nro: 0 2048 linear 7:0 0\n");
        assertThat(ok("table", "--target", "linear").out()).isEqualTo("ro: 0 2048 linear 7:0 0\n");
        assertThat(ok("ls", "--target", "linear").out()).isEqualTo("ro\t(253, 0)\n");
    }

    @Test
    void theStackedExampleMatchesTheKernelOraclesTableStatusAndTree() throws Exception {
        h.file("vda.img", 8 << 20);
        h.file("vdb.img", 8 << 20);
        h.file("vdc.img", 8 << 20);
        ok("create", "stripe", "--table", "0 36864 striped 3 128 vda.img 2048 vdb.img 0 vdc.img 1024");
        okWithStdin("0 8192 linear /dev/mapper/stripe 20480\n8192 8192 linear /dev/mapper/stripe 1003\n",
                "create", "top");

        // The kernel's transcript, with its disks' numbers (vda 254:0, vdb 254:16, vdc 254:32) as jdm numbers the
        // files (7:0, 7:1, 7:2).
        String oracle = Files.readString(Path.of("../shared/oracle/examples/stack-linear-striped.out"))
                .replace("254:16", "7:1").replace("254:32", "7:2").replace("254:0", "7:0");
        assertThat(ok("table").out()).isEqualTo(section(oracle, "--- dmsetup table"));
        assertThat(ok("status").out()).isEqualTo(section(oracle, "--- dmsetup status"));
        assertThat(ok("ls", "--tree").out()).isEqualTo(section(oracle, "--- dmsetup ls --tree"));
        assertThat(ok("deps").out()).isEqualTo("stripe: 3 dependencies\t: (7, 2) (7, 1) (7, 0)\n"
                + "top: 1 dependencies\t: (253, 0)\n");
        assertThat(ok("deps", "top").out()).isEqualTo("1 dependencies\t: (253, 0)\n");
    }

    /** The lines after a "--- title" line of an oracle transcript, up to the next section. */
    private static String section(String transcript, String title) {
        int start = transcript.indexOf(title + "\n");
        assertThat(start).as("section %s in the oracle transcript", title).isNotNegative();
        start += title.length() + 1;
        int end = transcript.indexOf("\n---", start);
        return transcript.substring(start, end + 1);
    }

    @Test
    void lsTreeDrawsSharedAndUnusedDevicesAsLibdmDoes() {
        ok("create", "base", "--table", "0 2048 linear a.img 0");
        ok("create", "left", "--table", "0 1024 linear base 0");
        ok("create", "right", "--table", "0 1024 linear base 1024");
        ok("create", "spare", "--notable");
        ok("create", "two", "--table", "0 1024 linear b.img 0\n1024 1024 linear b.img 1024");

        assertThat(ok("ls", "--tree").out()).isEqualTo("""
                left (253:1)
                 `-base (253:0)
                    `- (7:0)
                right (253:2)
                 `-base (253:0)
                    `- (7:0)
                spare (253:3)
                two (253:4)
                 `- (7:1)
                """);
        assertThat(ok("ls").out()).isEqualTo("base\t(253:0)\nleft\t(253:1)\nright\t(253:2)\nspare\t(253:3)\n"
                + "two\t(253:4)\n");
    }

    @Test
    void withNoDevicesListingCommandsSayNoDevicesFound() {
        for (String cmd : new String[] {"ls", "table", "status", "info", "deps"}) {
            assertThat(ok(cmd).out()).as(cmd).isEqualTo("No devices found\n");
        }
        assertThat(ok("ls", "--tree").out()).isEqualTo("No devices found\n");
    }

    @Test
    void targetsListsEveryTypeWithItsVersionAlignedAsDmsetup() {
        // Linux 6.1 prints the newest registration first: "zero v1.1.0, striped v1.6.0, linear v1.4.0, error v1.5.0"
        // (the versions are the targets' own, from jdm.dm.targets)
        assertThat(ok("targets").out()).isEqualTo("""
                log-writes       v1.1.0
                dust             v1.0.0
                flakey           v1.5.0
                delay            v1.3.0
                zero             v1.1.0
                striped          v1.6.0
                linear           v1.4.0
                error            v1.5.0
                """);
    }

    @Test
    void versionPrintsTheLibraryAndTheDriverInterfaceVersion() {
        assertThat(ok("version").out()).isEqualTo("Library version:   1.02.185 (jdm)\nDriver version:    4.47.0\n");
    }

    @Test
    void reloadSuspendAndResumeSwapTheTable() throws Exception {
        Path a = dir.resolve("a.img");
        Path b = dir.resolve("b.img");
        h.fill(a, 10, 0xaa);
        h.fill(b, 10, 0xbb);
        ok("create", "vol", "--table", "0 2048 linear a.img 0");
        assertThat(h.read("vol", 10, 1)[0]).isEqualTo((byte) 0xaa);

        ok("reload", "vol", "--table", "0 2048 linear b.img 0");
        assertThat(ok("info", "vol").out()).contains("Tables present:    LIVE & INACTIVE\n");
        assertThat(ok("table", "vol").out()).as("still the old table until resume").isEqualTo("0 2048 linear 7:0 0\n");
        assertThat(h.read("vol", 10, 1)[0]).isEqualTo((byte) 0xaa);

        ok("suspend", "vol");
        assertThat(ok("info", "vol").out()).contains("State:             SUSPENDED\n");
        ok("resume", "vol");

        assertThat(ok("info", "vol").out()).contains("State:             ACTIVE\n", "Tables present:    LIVE\n");
        assertThat(ok("table", "vol").out()).isEqualTo("0 2048 linear 7:1 0\n");
        assertThat(h.read("vol", 10, 1)[0]).isEqualTo((byte) 0xbb);
    }

    @Test
    void loadReadsTheTableFromAFileOrStdinAndClearDropsIt() throws Exception {
        ok("create", "vol", "--table", "0 2048 linear a.img 0");
        Files.writeString(dir.resolve("t.table"), "# a comment line\n0 1024 linear b.img 0   # trailing\n"
                + "\n1024 1024 zero\n");
        ok("load", "vol", "t.table");
        assertThat(ok("info", "vol").out()).contains("Tables present:    LIVE & INACTIVE\n");
        ok("clear", "vol");
        assertThat(ok("info", "vol").out()).contains("Tables present:    LIVE\n");

        okWithStdin("0 1024 linear b.img 0\n1024 1024 zero\n", "reload", "vol");
        ok("resume", "vol");
        assertThat(ok("table", "vol").out()).isEqualTo("0 1024 linear 7:1 0\n1024 1024 zero \n");
    }

    @Test
    void createReadsTheTableFromStdinAndNamesBadLinesAsDmsetup() {
        Run r = h.dmsetupWithStdin("0 2048 linear a.img 0\n2048 oops\n", "create", "vol");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("Invalid format on line 2 of table on stdin.\nCommand failed.\n");

        Run t = fails("create", "vol", "--table", "x 100 linear a.img 0");
        assertThat(t.err()).isEqualTo("Invalid format on line 1 of table .\nCommand failed.\n");
        Run f = fails("create", "vol", "missing.table");
        assertThat(f.err()).isEqualTo("Couldn't open 'missing.table' for reading.\nCommand failed.\n");
        assertThat(ok("ls").out()).isEqualTo("No devices found\n");
    }

    @Test
    void badReloadsFailWithTheReasonAndLeaveTheLiveTableServing() throws Exception {
        h.fill(dir.resolve("a.img"), 7, 0x5a);
        ok("create", "test", "--table", "0 2048 linear a.img 0");
        String[][] cases = {
            {"0 1000 linear a.img 0\n1100 948 linear a.img 0", "table: 253:0: Gap in table"},
            {"0 1100 linear a.img 0\n1000 1048 linear a.img 0", "targets overlap"},
            {"0 2048 frobnicate a.img 0", "frobnicate: unknown target type"},
            {"0 1x0 linear a.img 0", "x0: unknown target type"},
            {"0 2048 linear a.img 12abc", "linear: Invalid device sector"},
            {"-1 2048 linear a.img 0", "Invalid format"},
            {"0 4096 linear a.img 0", "too small for target"},
            {"0 2048 linear /dev/mapper/test 0", "depend on itself: test -> test"},
            {"0 2048 linear test 0", "depend on itself"},
            {"0 2048 linear 253:0 0", "depend on itself"},
        };
        for (String[] c : cases) {
            h.dmesg();
            Run r = fails("reload", "test", "--table", c[0]);
            // dmsetup's own refusal, or the ioctl's one line with the reason in the kernel log
            String said = r.err().startsWith("device-mapper: ") ? String.join("\n", h.dmesg()) : r.err();
            assertThat(r.err()).as(c[0]).endsWith("Command failed.\n").doesNotContain("jdm");
            assertThat(said).as(c[0]).contains(c[1]);
            assertThat(ok("info", "test").out()).as(c[0]).contains("Tables present:    LIVE\n");
            assertThat(ok("table", "test").out()).as(c[0]).isEqualTo("0 2048 linear 7:0 0\n");
            assertThat(h.read("test", 7, 1)[511]).as(c[0]).isEqualTo((byte) 0x5a);
        }
    }

    @Test
    void aFailedCreateNamesTheNewDevicesNumberAndLeavesNoDeviceBehind() {
        ok("create", "keep", "--table", "0 2048 linear a.img 0");
        h.dmesg();
        Run r = fails("create", "vol", "--table", "0 2048 linear nosuch.img 0");
        // Linux 6.1: "device-mapper: reload ioctl on vol (253:1) failed: No such device" (the errno is dm's to give)
        assertThat(r.err()).startsWith("device-mapper: reload ioctl on vol (253:1) failed: ")
                .endsWith("\nCommand failed.\n").doesNotContain("jdm");
        List<String> log = h.dmesg();
        assertThat(log).hasSize(2);
        assertThat(log.get(0)).startsWith("device-mapper: table: 253:1: linear: Device lookup failed (nosuch.img: ")
                .endsWith(" (-" + (r.err().contains("No such device\n") ? "ENODEV" : "ENXIO") + ")");
        assertThat(log.get(1)).isEqualTo("device-mapper: ioctl: error adding target to table");
        assertThat(ok("ls").out()).isEqualTo("keep\t(253:0)\n");
        ok("create", "vol", "--table", "0 2048 linear b.img 0");
        assertThat(ok("ls").out()).as("the minor was freed again").isEqualTo("keep\t(253:0)\nvol\t(253:1)\n");
    }

    @Test
    void creatingATakenNameFailsInTheCreateIoctlWithTheUuidItWasGiven() {
        ok("create", "vol", "--notable");
        assertThat(fails("create", "vol", "--notable").err()).isEqualTo(
                "device-mapper: create ioctl on vol  failed: Device or resource busy\nCommand failed.\n");
        assertThat(h.dmesg()).last().isEqualTo("device-mapper: ioctl: device vol already exists");
        assertThat(fails("create", "vol", "-u", "U-1", "--table", "0 8 zero").err()).startsWith(
                "device-mapper: create ioctl on vol U-1 failed: Device or resource busy\n");
    }

    @Test
    void removingADeviceAnotherTableUsesFailsWithEbusyUntilTheUserIsGone() {
        ok("create", "base", "--table", "0 2048 linear a.img 0");
        ok("create", "top", "--table", "0 2048 linear /dev/mapper/base 0");

        assertThat(fails("remove", "base").err()).isEqualTo(
                "device-mapper: remove ioctl on base  failed: Device or resource busy\nCommand failed.\n");
        assertThat(h.dmesg()).containsExactly("device-mapper: ioctl: device base is in use: open count 1");
        assertThat(ok("table", "base").out()).isEqualTo("0 2048 linear 7:0 0\n");

        ok("remove", "top", "base");
        assertThat(ok("ls").out()).isEqualTo("No devices found\n");
    }

    @Test
    void removeForceSwapsInAnErrorTableButStillRefusesADeviceInUse() {
        ok("create", "base", "--table", "0 2048 linear a.img 0");
        ok("create", "top", "--table", "0 2048 linear base 0");
        assertThat(fails("remove", "--force", "base").err()).startsWith(
                "device-mapper: remove ioctl on base  failed: Device or resource busy\n");
        assertThat(ok("table", "base").out()).isEqualTo("0 2048 error \n");
        ok("remove", "-f", "top");
        ok("remove", "base");
    }

    @Test
    void removeAllTakesEveryUnusedDeviceAndForceWipesWhatStaysOpen() throws Exception {
        ok("create", "base", "--table", "0 2048 linear a.img 0");
        ok("create", "top", "--table", "0 2048 linear base 0");
        ok("create", "held", "--table", "0 1024 linear b.img 0");
        h.ns.get("held").open(); // as an NBD client would
        ok("remove_all");
        assertThat(ok("ls").out()).isEqualTo("held\t(253:2)\n");
        assertThat(h.dmesg()).containsExactly("device-mapper: ioctl: remove_all left 1 open device(s)");
        Run r = h.dmsetup("remove_all", "-f");
        assertThat(r.exitCode()).isZero();
        assertThat(r.err()).isEqualTo("Unable to remove 1 device(s).\n");
        assertThat(ok("table", "held").out()).isEqualTo("0 1024 error \n");
        h.ns.get("held").release();
        ok("remove_all");
        assertThat(ok("ls").out()).isEqualTo("No devices found\n");
    }

    @Test
    void messagesGoToTheTargetHoldingTheSectorAndFailAsDmsetupReports() {
        ok("create", "vol", "--table", "0 1024 linear a.img 0\n1024 1024 zero");
        assertThat(fails("message", "vol", "0", "hello", "world").err()).isEqualTo(
                "device-mapper: message ioctl on vol  failed: Invalid argument\nCommand failed.\n");
        assertThat(h.dmesg()).containsExactly("device-mapper: ioctl: Target type does not support messages");
        assertThat(fails("message", "vol", "1500", "hello").err()).isEqualTo(
                "device-mapper: message ioctl on vol  failed: Invalid argument\nCommand failed.\n");
        assertThat(fails("message", "vol", "2048", "hello").err()).isEqualTo(
                "device-mapper: message ioctl on vol  failed: Invalid argument\nCommand failed.\n");
        assertThat(h.dmesg()).containsExactly("device-mapper: ioctl: Target type does not support messages",
                "device-mapper: ioctl: Target message sector outside device.");
        assertThat(fails("message", "vol", "12x", "hello").err()).isEqualTo("Invalid sector.\nCommand failed.\n");
        assertThat(fails("message", "vol", "0").err()).isEqualTo("No message supplied.\n"
                + "device-mapper: message ioctl on vol  failed: Invalid argument\nCommand failed.\n");
        assertThat(h.dmesg()).containsExactly("device-mapper: ioctl: Empty message received.");
        assertThat(fails("message", "vol").err()).startsWith("Incorrect number of arguments.\n");
    }

    @Test
    void aMissingDeviceIsReportedPerCommandAsLibdmDoes() {
        assertThat(fails("info", "nosuch").err()).isEqualTo("Device does not exist.\nCommand failed.\n");
        assertThat(fails("status", "nosuch").err()).isEqualTo("Device does not exist.\nCommand failed.\n");
        assertThat(fails("table", "nosuch").err()).isEqualTo(
                "device-mapper: table ioctl on nosuch  failed: No such device or address\nCommand failed.\n");
        assertThat(fails("suspend", "nosuch").err()).startsWith(
                "device-mapper: suspend ioctl on nosuch  failed: No such device or address\n");
        assertThat(fails("deps", "nosuch").err()).startsWith(
                "device-mapper: deps ioctl on nosuch  failed: No such device or address\n");
        assertThat(fails("remove").err()).isEqualTo("No device specified.\nCommand failed.\n");
    }

    @Test
    void severalNamedDevicesArePrefixedAndTheFirstFailureStops() {
        ok("create", "a", "--table", "0 8 zero");
        ok("create", "b", "--table", "0 16 zero");
        assertThat(ok("table", "a", "b").out()).isEqualTo("a: 0 8 zero \nb: 0 16 zero \n");
        Run r = h.dmsetup("status", "a", "nosuch", "b");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEqualTo("a: 0 8 zero \n");
        assertThat(r.err()).isEqualTo("Device does not exist.\nCommand failed.\n");
    }

    @Test
    void waitReturnsOnceTheEventNumberDiffersFromTheOneGiven() {
        ok("create", "vol", "--table", "0 8 zero");
        ok("wait", "vol", "3");
        assertThat(fails("wait", "nosuch", "1").err()).startsWith(
                "device-mapper: waitevent ioctl on nosuch  failed: No such device or address\n");
    }

    @Test
    void waitBlocksUntilAnEventAndATableSwapIsNoEvent() throws Exception {
        ok("create", "vol", "--table", "0 8 zero");
        var waiter = java.util.concurrent.CompletableFuture.supplyAsync(() -> h.dmsetup("wait", "vol"));
        ok("reload", "vol", "--table", "0 16 zero");
        ok("resume", "vol");
        Thread.sleep(300);
        assertThat(waiter).as("a table swap does not raise an event in Linux 6.1").isNotDone();
        ok("rename", "vol", "renamed"); // dm_hash_rename raises one
        Run r = waiter.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(ok("info", "-c", "-o", "name,events", "--noheadings").out()).isEqualTo("renamed:1\n");
        ok("wait", "renamed", "0");
    }

    @Test
    void theKernelLogKeepsWhyRequestsFailedAndDmesgClearsIt() {
        ok("create", "vol", "--table", "0 8 zero");
        fails("create", "odd", "--table", "0 1002 striped 3 128 a.img 0 b.img 0 a.img 8");
        List<String> log = h.dmesg();
        assertThat(log).containsExactly(
                "device-mapper: table: 253:1: striped: Target length not divisible by chunk size (-EINVAL)",
                "device-mapper: ioctl: error adding target to table");
        assertThat(h.dmesg()).as("read with clear").isEmpty();
    }

    @Test
    void commandLinesDmsetupCannotParseFailAsGetoptAndMainReportThem() {
        assertThat(fails("info", "--foo").err()).isEqualTo(
                "dmsetup: unrecognized option '--foo'\nCouldn't process command line.\n");
        assertThat(fails("info", "-Z").err()).isEqualTo(
                "dmsetup: invalid option -- 'Z'\nCouldn't process command line.\n");
        assertThat(fails("create", "x", "--table").err()).isEqualTo(
                "dmsetup: option '--table' requires an argument\nCouldn't process command line.\n");
        assertThat(fails("frobnicate").err()).startsWith("Unknown command.\nUsage: ");
        assertThat(fails("ls", "--tree", "-o", "ascii,bogus").err()).isEqualTo(
                "Tree options not recognised: bogus.\nCouldn't process command line.\n");
        assertThat(fails("info", "--manglename", "odd").err()).isEqualTo(
                "Unknown name mangling mode.\nCouldn't process command line.\n");
        Run help = h.dmsetup("info", "-c", "-o", "help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).isEmpty();
        assertThat(help.err()).contains("  name             - Name of mapped device.\n");
    }

    @Test
    void renameSetsAMissingUuidOnly() {
        ok("create", "vol", "--notable");
        ok("rename", "vol", "--setuuid", "JDM-1");
        assertThat(ok("info", "vol").out()).contains("UUID: JDM-1\n");
        assertThat(fails("rename", "vol", "--setuuid", "JDM-2").err()).isEqualTo(
                "device-mapper: rename ioctl on vol  failed: Invalid argument\nCommand failed.\n");
        assertThat(h.dmesg()).containsExactly("device-mapper: ioctl: device vol already has a UUID");
    }

    @Test
    void renameKeepsTheNumberAndUuidAndRefusesATakenOrBadName() {
        ok("create", "vol", "-u", "U-1", "--table", "0 8 zero");
        ok("create", "other", "--notable");
        ok("rename", "vol", "fresh");
        assertThat(ok("info", "-c", "-o", "name,devno,uuid,events", "--noheadings").out())
                .isEqualTo("fresh:253:0:U-1:1\nother:253:1::0\n");
        assertThat(fails("rename", "fresh", "other").err()).isEqualTo(
                "device-mapper: rename ioctl on fresh  failed: Device or resource busy\nCommand failed.\n");
        assertThat(fails("rename", "gone", "new").err()).isEqualTo(
                "device-mapper: rename ioctl on gone  failed: No such device or address\nCommand failed.\n");
        assertThat(fails("rename", "fresh", "a/b").err()).isEqualTo(
                "Name \"a/b\" invalid. It contains \"/\".\nCommand failed.\n");
        assertThat(fails("rename", "fresh", "x".repeat(128)).err()).isEqualTo(
                "Name \"" + "x".repeat(128) + "\" too long\nCommand failed.\n");
        assertThat(ok("table", "fresh").out()).isEqualTo("0 8 zero \n");
    }

    @Test
    void withoutTheDaemonEveryCommandSaysWhereItLookedAndFails() {
        Run r = h.bare("", "--control", dir.resolve("nobody.sock").toString(), "ls");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("cannot reach the jdm daemon at " + dir.resolve("nobody.sock") + ": ")
                .endsWith("\nCommand failed.\n");
    }

    @Test
    void theSocketComesFromJdmControlWhenNoOptionIsGivenAndTheOptionWorksAfterTheSubcommandToo() {
        h.env = Map.of("JDM_CONTROL", "control.sock"); // relative to the current directory
        Run r = h.bare("", "targets");
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.out()).contains("linear           v1.4.0\n");

        h.env = Map.of("JDM_CONTROL", dir.resolve("elsewhere.sock").toString());
        Run viaOption = h.bare("", "ls", "--control", h.socket.toString());
        assertThat(viaOption.exitCode()).as("%s", viaOption).isZero();
        assertThat(viaOption.out()).isEqualTo("No devices found\n");
        assertThat(h.bare("", "ls").err()).startsWith("cannot reach the jdm daemon at "
                + dir.resolve("elsewhere.sock"));
    }

    @Test
    void commandLinesDmsetupRefusesGetItsMessages() {
        assertThat(fails("create", "vol", "--table", "0 8 zero", "--notable").err()).isEqualTo(
                "--table and --notable are incompatible.\nCouldn't process command line.\n");
        assertThat(fails("create").err()).isEqualTo("Please provide a name for the new device.\nCommand failed.\n");
        assertThat(fails("load").err()).isEqualTo("Please specify device.\nCommand failed.\n");
        assertThat(fails("ls", "extra").err()).startsWith("Incorrect number of arguments.\n");
        assertThat(fails("load", "vol", "--notable").err()).isEqualTo(
                "--notable only available when creating new device.\nCommand failed.\n");
    }
}
