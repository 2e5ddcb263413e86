package jdm.daemon.state;

import jdm.block.dev.BackingFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.dm.DeviceNamespace;
import jdm.dm.MappedDevice;
import jdm.dm.StatusType;
import jdm.dm.targets.BuiltinTargets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state directory against a real namespace over backing files: what is saved when, and what comes back. */
class StateStoreTest {
    @TempDir
    Path dir;
    Path stateDir;
    Path a;
    Path b;
    Path c;
    final List<String> log = new ArrayList<>();
    final List<StateStore> stores = new ArrayList<>();
    final List<DeviceNamespace> namespaces = new ArrayList<>();

    @BeforeEach
    void files() throws IOException {
        stateDir = dir.resolve("state");
        a = sized("a.img");
        b = sized("b.img");
        c = sized("c.img");
    }

    @AfterEach
    void closeAll() throws Exception {
        for (StateStore s : stores) {
            s.close();
        }
        for (DeviceNamespace ns : namespaces) {
            for (int round = 0; round < 4; round++) {
                for (MappedDevice md : ns.list()) {
                    try {
                        ns.remove(md.name());
                    } catch (Exception e) {
                        // used by a device above it: removed in a later round
                    }
                }
            }
        }
    }

    Path sized(String name) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(16 << 20);
        }
        return p;
    }

    /** A namespace whose devices come from (and go to) the state directory, as the daemon starts one. */
    DeviceNamespace start() throws IOException {
        DeviceNamespace ns = new DeviceNamespace(BuiltinTargets.registry(), new BackingFiles());
        namespaces.add(ns);
        StateStore store = StateStore.open(stateDir, log::add);
        stores.add(store);
        store.restoreAndTrack(ns);
        return ns;
    }

    /** What a crash leaves: the store stops (as kill -9 stops everything) and the devices are dropped unsaved. */
    void crash() {
        stores.getLast().close();
    }

    String stateText() throws IOException {
        return Files.readString(stateDir.resolve(StateStore.FILE));
    }

    /** Everything dmsetup info and table print for a device, as one comparable line. */
    static String describe(MappedDevice md) {
        return md.name() + " uuid=" + md.uuid() + " dev=" + md.devt() + " ro=" + md.readOnly() + " suspended="
                + md.suspended() + " event=" + md.eventNr() + " open=" + md.openCount() + " live="
                + (md.liveTable() == null ? null : md.liveTable().statusLines(StatusType.TABLE)) + " inactive="
                + (md.inactiveTable() == null ? null : md.inactiveTable().statusLines(StatusType.TABLE) + "/"
                + md.inactiveTable().readOnly());
    }

    static List<String> describe(DeviceNamespace ns) {
        return ns.list().stream().map(StateStoreTest::describe).toList();
    }

    /** base (striped over a and b at 7:1, 7:2: 7:0 was c, since closed), mid (253:2) and top (253:3) over it. */
    DeviceNamespace threeDeepStack() throws Exception {
        DeviceNamespace ns = start();
        ns.createWithTable("gap", null, false, "0 8 linear " + c + " 0", dir); // 253:0 and 7:0, removed below
        ns.createWithTable("base", null, false, "0 65536 striped 2 64 " + a + " 0 " + b + " 0", dir);
        ns.createWithTable("mid", "JDM-mid", false, "0 32768 linear base 1024\n32768 16384 linear base 40000", dir);
        ns.createWithTable("top", null, false, "0 49152 linear /dev/mapper/mid 0", dir);
        ns.remove("gap");
        return ns;
    }

    @Test
    void everyChangeIsOnDiskWhenTheNamespaceCallReturns() throws Exception {
        DeviceNamespace ns = start();
        assertThat(stateText()).contains("jdm-state 1\n").doesNotContain("device ");
        ns.create("d", null, false);
        assertThat(stateText()).contains("device d\n  dev 253:0\n").doesNotContain("live");
        ns.load("d", "0 8 zero", dir, true);
        assertThat(stateText()).contains("  inactive ro\n    0 8 zero \n");
        ns.resume("d");
        assertThat(stateText()).contains("  read-only yes\n").contains("  live ro\n").doesNotContain("inactive");
        ns.suspend("d", false);
        assertThat(stateText()).contains("  suspended yes\n");
        ns.resume("d");
        ns.setUuid("d", "U-1");
        assertThat(stateText()).contains("  uuid U-1\n").contains("  suspended no\n");
        ns.remove("d");
        assertThat(stateText()).doesNotContain("device ");
        assertThat(stateDir.resolve(StateStore.TEMP)).doesNotExist();
    }

    @Test
    void aThreeDeepStackComesBackAtTheSameNumbersWithTheSameTablesAndData() throws Exception {
        DeviceNamespace ns = threeDeepStack();
        byte[] data = new byte[49152 * 512];
        new Random(9).nextBytes(data);
        assertThat(io(ns.get("top"), Op.WRITE, data)).isEqualTo(BlkStatus.OK);
        List<String> before = describe(ns);
        assertThat(before).contains("base uuid=null dev=253:1 ro=false suspended=false event=0 open=1"
                + " live=[0 65536 striped 2 64 7:1 0 7:2 0] inactive=null");
        crash();

        DeviceNamespace again = start();
        assertThat(describe(again)).isEqualTo(before);
        byte[] back = new byte[data.length];
        assertThat(io(again.get("top"), Op.READ, back)).isEqualTo(BlkStatus.OK);
        assertThat(back).isEqualTo(data);
        assertThat(log).containsExactly("restored 3 of 3 devices from " + stateDir.resolve(StateStore.FILE));
    }

    @Test
    void devicesAreRebuiltBottomUpWhateverOrderTheFileListsThem() throws Exception {
        DeviceNamespace ns = threeDeepStack();
        List<String> before = describe(ns);
        crash();
        SavedState saved = StateFormat.parse(stateText()).state();
        assertThat(saved.devices()).extracting(SavedState.SavedDevice::name).containsExactly("base", "mid", "top");
        SavedState reversed = new SavedState(saved.files(), saved.devices().reversed());
        assertThat(DependencyOrder.sort(reversed.devices())).isEqualTo(saved.devices());
        Files.writeString(stateDir.resolve(StateStore.FILE), StateFormat.write(reversed));

        assertThat(describe(start())).isEqualTo(before);
    }

    @Test
    void suspendedReadOnlyAndHalfLoadedDevicesComeBackAsSuch() throws Exception {
        DeviceNamespace ns = start();
        ns.create("ro", "U-ro", true);
        ns.load("ro", "0 1024 linear " + c + " 0", dir, true);
        ns.resume("ro");
        ns.createWithTable("held", null, false, "0 2048 linear " + a + " 8", dir);
        ns.load("held", "0 4096 linear " + b + " 0", dir, true);
        ns.suspend("held", false);
        ns.get("held").event();
        ns.get("held").event();
        ns.create("empty", null, false);
        List<String> before = describe(ns);
        assertThat(before).containsExactly(
                "empty uuid=null dev=253:2 ro=false suspended=false event=0 open=0 live=null inactive=null",
                "held uuid=null dev=253:1 ro=false suspended=true event=2 open=0 live=[0 2048 linear 7:1 8]"
                        + " inactive=[0 4096 linear 7:2 0]/true",
                "ro uuid=U-ro dev=253:0 ro=true suspended=false event=0 open=0 live=[0 1024 linear 7:0 0]"
                        + " inactive=null");
        ns.setUuid("empty", "U-e"); // a change after the events: they are saved with it
        before = describe(ns);
        crash();

        DeviceNamespace again = start();
        assertThat(describe(again)).isEqualTo(before);
        assertThat(io(again.get("ro"), Op.WRITE, new byte[512])).isEqualTo(BlkStatus.PERM);
    }

    @Test
    void aMissingBackingFileNamesTheDeviceAndWhatIsStackedOnItWhileTheRestComesUp() throws Exception {
        DeviceNamespace ns = threeDeepStack();
        ns.createWithTable("rodisk", null, true, "0 1024 linear " + c + " 0", dir);
        ns.createWithTable("onro", null, true, "0 512 linear rodisk 0", dir);
        String saved = stateText();
        crash();
        Files.delete(c);

        DeviceNamespace again = start();
        assertThat(again.list()).extracting(MappedDevice::name).containsExactly("base", "mid", "top");
        Path kept = stateDir.resolve(Files.list(stateDir).map(p -> p.getFileName().toString())
                .filter(n -> n.startsWith(StateStore.FILE + ".unrestored-")).findFirst().orElseThrow());
        assertThat(log).containsExactly(
                "cannot restore device rodisk (253:0): its table uses 7:0, backing file "
                        + dir.toRealPath().resolve("c.img") + ", which does not exist",
                "cannot restore device onro (253:4): its table uses 253:0 (rodisk), which was not restored",
                "restored 3 of 5 devices from " + stateDir.resolve(StateStore.FILE) + " (not restored: rodisk, onro)",
                "the state file as it was is kept in " + kept);
        assertThat(Files.readString(kept)).isEqualTo(saved);
        assertThat(stateText()).doesNotContain("rodisk");
    }

    @Test
    void anInactiveTableThatCannotBeBuiltIsDroppedAndNamedWhileItsDeviceComesUp() throws Exception {
        DeviceNamespace ns = start();
        ns.createWithTable("d", null, false, "0 1024 linear " + a + " 0", dir);
        ns.load("d", "0 2048 linear " + c + " 0", dir, false);
        crash();
        Files.delete(c);

        DeviceNamespace again = start();
        assertThat(describe(again)).containsExactly(
                "d uuid=null dev=253:0 ro=false suspended=false event=0 open=0 live=[0 1024 linear 7:0 0] inactive=null");
        assertThat(log.getFirst()).isEqualTo("device d (253:0) is back without its inactive table: its table uses 7:1,"
                + " backing file " + dir.toRealPath().resolve("c.img") + ", which does not exist");
        assertThat(log.get(2)).startsWith("the state file as it was is kept in ");
    }

    @Test
    void aCorruptEntryIsNamedAndTheOthersComeUp() throws Exception {
        threeDeepStack();
        crash();
        Files.writeString(stateDir.resolve(StateStore.FILE), stateText().replace("  dev 253:3", "  dev 253:x"));

        DeviceNamespace again = start();
        assertThat(again.list()).extracting(MappedDevice::name).containsExactly("base", "mid");
        assertThat(log.getFirst()).isEqualTo(stateDir.resolve(StateStore.FILE)
                + ": device top: line 25: bad device number \"253:x\" (want 253:N); not restored");
        assertThat(log.get(1)).startsWith("restored 2 of 2 devices");
    }

    @Test
    void aFileThatIsNotStateStartsEmptyAndIsKeptAside() throws Exception {
        Files.createDirectories(stateDir);
        Files.writeString(stateDir.resolve(StateStore.FILE), "\u0000\u0001garbage\n");

        DeviceNamespace ns = start();
        assertThat(ns.list()).isEmpty();
        assertThat(log.getFirst()).isEqualTo(stateDir.resolve(StateStore.FILE) + " is unreadable: line 1: not a jdm"
                + " state file (want \"jdm-state 1\", got \"??garbage\"); no devices restored");
        assertThat(log.get(1)).startsWith("the state file as it was is kept in ");
        assertThat(StateFormat.parse(stateText()).state().devices()).isEmpty();
    }

    @Test
    void aTempFileLeftByACrashMidWriteIsIgnored() throws Exception {
        DeviceNamespace ns = threeDeepStack();
        List<String> before = describe(ns);
        crash();
        Path tmp = stateDir.resolve(StateStore.TEMP);
        Files.writeString(tmp, "jdm-state 1\ndevice half-writ");

        assertThat(describe(start())).isEqualTo(before);
        assertThat(log.getFirst()).isEqualTo("ignored " + tmp + ", left by a save that did not finish");
        assertThat(tmp).doesNotExist();
    }

    @Test
    void twoStoresCannotShareADirectory() throws Exception {
        start();
        assertThatThrownBy(() -> StateStore.open(stateDir, log::add)).isInstanceOf(IOException.class)
                .hasMessage("state directory " + stateDir + " is in use by another jdm daemon");
    }

    @Test
    void aClosedStoreLeavesTheFileAsItWas() throws Exception {
        DeviceNamespace ns = threeDeepStack();
        String saved = stateText();
        stores.getLast().close();
        ns.remove("top");
        assertThat(stateText()).isEqualTo(saved);
    }

    static BlkStatus io(MappedDevice md, Op op, byte[] buf) {
        return new Bio(op, 0, md, 0, buf.length / 512, ByteBuffer.wrap(buf), null).submitAndWait();
    }
}
