package jdm.dm;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.dm.targets.BuiltinTargets;

/** Shared helpers for dm tests: sized backing files, a namespace, and synchronous sector I/O. */
final class Fixtures {
    private Fixtures() {
    }

    static DeviceNamespace namespace() {
        return new DeviceNamespace(BuiltinTargets.registry());
    }

    static Path file(Path dir, String name, long bytes) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(bytes);
        }
        return p;
    }

    static BlkStatus write(BlockDevice dev, long sector, byte[] data) {
        return new Bio(Op.WRITE, 0, dev, sector, data.length / 512, ByteBuffer.wrap(data), null).submitAndWait();
    }

    static byte[] read(BlockDevice dev, long sector, int sectors) {
        byte[] out = new byte[sectors * 512];
        BlkStatus s = new Bio(Op.READ, 0, dev, sector, sectors, ByteBuffer.wrap(out), null).submitAndWait();
        if (s != BlkStatus.OK) {
            throw new AssertionError("read " + sector + "+" + sectors + " failed: " + s);
        }
        return out;
    }

    static BlkStatus op(BlockDevice dev, Op op, long sector, int sectors) {
        return new Bio(op, 0, dev, sector, sectors, null, null).submitAndWait();
    }
}
