package jdm.daemon.state;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import jdm.dm.DevT;

/**
 * What the daemon's state directory records: the backing files by their 7:N minors and the mapped devices with
 * everything {@code dmsetup info} and {@code dmsetup table} print that does not follow from the tables themselves
 * (open counts and read-ahead do). Tables are kept as {@code dmsetup table} prints them, so they name devices only
 * as 7:N and 253:N, which the restore recreates at the same numbers.
 */
public record SavedState(List<SavedFile> files, List<SavedDevice> devices) {
    public SavedState {
        files = List.copyOf(files);
        devices = List.copyOf(devices);
    }

    /** A backing file a table uses, opened as 7:minor. */
    public record SavedFile(int minor, Path path) {
    }

    /**
     * One mapped device.
     *
     * @param readOnly  what {@code dmsetup info} shows (the live table's mode, or the create flag before a table)
     * @param live      the live table, or null
     * @param inactive  a loaded table waiting for resume, or null
     */
    public record SavedDevice(String name, String uuid, int minor, boolean readOnly, boolean suspended, int eventNr,
                              SavedTable live, SavedTable inactive) {
        /** The devices (7:N and 253:N) the device's tables name. */
        public Set<DevT> uses() {
            Set<DevT> out = new LinkedHashSet<>();
            for (SavedTable t : new SavedTable[] {live, inactive}) {
                if (t != null) {
                    out.addAll(t.uses());
                }
            }
            return out;
        }

        public DevT devt() {
            return new DevT(DevT.DM_MAJOR, minor);
        }
    }

    /** A table as its {@code dmsetup table} lines, and whether it was loaded read-only. */
    public record SavedTable(boolean readOnly, List<String> lines) {
        public SavedTable {
            lines = List.copyOf(lines);
        }

        public String text() {
            return String.join("\n", lines);
        }

        /**
         * The device numbers among the table's words. A target's TABLE line names its devices as major:minor; a
         * parameter that merely looks like one can only add an ordering constraint, never drop a device.
         */
        public Set<DevT> uses() {
            Set<DevT> out = new LinkedHashSet<>();
            for (String line : lines) {
                for (String word : line.split("\\s+")) {
                    DevT d = DevT.parse(word);
                    if (d != null && (d.major() == DevT.DM_MAJOR || d.major() == DevT.FILE_MAJOR)) {
                        out.add(d);
                    }
                }
            }
            return out;
        }
    }
}
