package jdm.dm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import jdm.block.BlkStatus;
import jdm.block.dev.BackingFiles;
import jdm.block.dev.RamDisks;
import jdm.dm.targets.BuiltinTargets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Table words resolved through the providers: RAM disks (1:N), backing files (7:N), mapped devices (253:N). */
class DeviceProvidersTest {
    @TempDir
    Path dir;

    DeviceNamespace namespace(int ramDisks) {
        return new DeviceNamespace(BuiltinTargets.registry(), new BackingFiles(), new RamDisks(ramDisks, 1 << 20));
    }

    @Test
    void ramDisksAreNamedAsBrdNamesThemAndPrintAsOneColonN() throws Exception {
        DeviceNamespace ns = namespace(4);
        MappedDevice md = ns.createWithTable("v", null, false,
                "0 2048 linear /dev/ram0 0\n2048 2048 linear 1:3 0", dir);
        assertThat(md.liveTable().statusLines(StatusType.TABLE))
                .containsExactly("0 2048 linear 1:0 0", "2048 2048 linear 1:3 0");
        byte[] data = new byte[4096];
        data[7] = 9;
        assertThat(Fixtures.write(md, 2040, data)).isEqualTo(BlkStatus.OK);
        assertThat(Fixtures.read(md, 2040, 8)).isEqualTo(data);
        // the same RAM disk seen through another table keeps its data
        MappedDevice other = ns.createWithTable("w", null, false, "0 8 linear /dev/ram0 2040", dir);
        assertThat(Fixtures.read(other, 0, 1)[7]).isEqualTo((byte) 9);
        assertThat(ns.backingFiles()).isEmpty();
    }

    @Test
    void aMissingRamDiskIsNoSuchDevice() throws Exception {
        DeviceNamespace ns = namespace(2);
        ns.create("v", null, false);
        assertThatThrownBy(() -> ns.load("v", "0 8 linear /dev/ram2 0", dir))
                .isInstanceOfSatisfying(DmException.class, e -> assertThat(e.errno()).isEqualTo(DmException.ENODEV))
                .hasMessageContaining("Device lookup failed");
        assertThatThrownBy(() -> ns.load("v", "0 8 linear 1:2 0", dir))
                .isInstanceOfSatisfying(DmException.class, e -> assertThat(e.errno()).isEqualTo(DmException.ENXIO));
        assertThatThrownBy(() -> ns.load("v", "0 8 linear 9:0 0", dir))
                .hasMessageContaining("no device 9:0");
        assertThatThrownBy(() -> ns.load("v", "0 4096 linear /dev/ram1 0", dir))
                .hasMessageContaining("too small for target");
    }

    @Test
    void backingFilesAreOpenedOnceAndClosedWithTheirLastTable() throws Exception {
        DeviceNamespace ns = namespace(0);
        Path a = Fixtures.file(dir, "a.img", 1 << 20);
        ns.createWithTable("v", null, false, "0 100 linear " + a + " 0\n100 100 linear a.img 100", dir);
        ns.createWithTable("w", null, false, "0 100 linear 7:0 0", dir);
        assertThat(ns.backingFiles()).containsExactly(new DeviceNamespace.BackingFile(a.toRealPath(), 0));
        ns.remove("v");
        assertThat(ns.backingFiles()).hasSize(1);
        ns.remove("w");
        assertThat(ns.backingFiles()).isEmpty();
    }
}
