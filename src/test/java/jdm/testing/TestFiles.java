package jdm.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/** Backing files for tests. */
public final class TestFiles {
    private TestFiles() {
    }

    /** A sparse file of exactly bytes under dir, created or resized. */
    public static Path sized(Path dir, String name, long bytes) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(bytes);
        }
        return p;
    }
}
