package jdm.block;

import java.nio.file.Path;
import java.util.List;

/**
 * A provider of devices named by file paths, each going by a minor number that a saved table may name (the backing
 * files' 7:N): restoring such a table must give each file the number it had. The stacking layers (dm, md) see files
 * only through this seam, never through the file device itself.
 */
public interface NumberedFiles extends DeviceProvider {
    /** An open file and the minor it goes by. */
    record Entry(Path path, int minor) {
    }

    /**
     * Holds the file at path as exactly minor: opens it with that minor, or finds it already open with it; EBUSY
     * when the minor is another file's or the file is open under another minor.
     */
    HeldDevice hold(Path path, int minor, boolean readOnly) throws DeviceException;

    /** The open files, by minor. */
    List<Entry> list();
}
