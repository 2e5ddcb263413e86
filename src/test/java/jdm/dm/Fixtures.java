package jdm.dm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.DeviceProvider;
import jdm.block.Op;
import jdm.block.dev.BackingFiles;
import jdm.dm.targets.BuiltinTargets;
import jdm.testing.DeviceChecks;
import jdm.testing.SyncIo;
import jdm.testing.TestDisks;
import jdm.testing.TestFiles;

/** Shared helpers for dm tests: a namespace, optionally with every backing file behind a checking wrapper. */
final class Fixtures {
    private Fixtures() {
    }

    static DeviceNamespace namespace() {
        return new DeviceNamespace(BuiltinTargets.registry(), new BackingFiles());
    }

    /**
     * A namespace whose backing files reach tables through checking wrappers: every bio a target sends to a file is
     * checked for range and buffer and for being ended exactly once (after the test, by checks).
     */
    static DeviceNamespace namespace(DeviceChecks checks) {
        BackingFiles files = new BackingFiles();
        return new DeviceNamespace(BuiltinTargets.registry(), files, checks.wrapping(files));
    }

    /**
     * A namespace whose tables may name the test's own devices ("8:0", ...) as well as backing files, all of them
     * reached through checking wrappers.
     */
    static DeviceNamespace namespace(DeviceChecks checks, TestDisks disks) {
        BackingFiles files = new BackingFiles();
        return new DeviceNamespace(BuiltinTargets.registry(), files,
                checks.wrapping(DeviceProvider.chain(List.of(disks, files))));
    }

    // The sector I/O and file helpers live in jdm.testing; these keep the short names dm tests use.

    static Path file(Path dir, String name, long bytes) throws IOException {
        return TestFiles.sized(dir, name, bytes);
    }

    static BlkStatus write(BlockDevice dev, long sector, byte[] data) {
        return SyncIo.write(dev, sector, data);
    }

    static byte[] read(BlockDevice dev, long sector, int sectors) {
        return SyncIo.read(dev, sector, sectors);
    }

    static BlkStatus op(BlockDevice dev, Op op, long sector, int sectors) {
        return SyncIo.op(dev, op, sector, sectors);
    }
}
