package jdm.daemon.state;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jdm.daemon.state.SavedState.SavedDevice;
import jdm.daemon.state.SavedState.SavedFile;
import jdm.daemon.state.SavedState.SavedTable;
import jdm.dm.DevT;
import jdm.dm.DeviceNamespace;
import jdm.dm.MappedDevice;
import jdm.dm.StatusType;
import jdm.dm.Table;

/** Reads a namespace into a {@link SavedState}, without holding the namespace's lock while it does. */
final class NamespaceState {
    private static final int ATTEMPTS = 5;

    private NamespaceState() {
    }

    /**
     * The devices and backing files. The namespace is read piece by piece (list, then each device, then the files),
     * so a change racing with the read can leave a table naming a device or file the read missed; such a copy is
     * read again. (The racing change runs the change listener after it, so a newer save follows anyway.)
     */
    static SavedState capture(DeviceNamespace ns) {
        SavedState s = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            s = captureOnce(ns);
            if (complete(s)) {
                break;
            }
        }
        return s;
    }

    private static SavedState captureOnce(DeviceNamespace ns) {
        List<SavedDevice> devices = new ArrayList<>();
        for (MappedDevice md : ns.list()) {
            devices.add(new SavedDevice(md.name(), md.uuid(), md.devt().minor(), md.readOnly(), md.suspended(),
                    md.eventNr(), table(md.liveTable()), table(md.inactiveTable())));
        }
        List<SavedFile> files = new ArrayList<>();
        for (var f : ns.backingFiles()) {
            files.add(new SavedFile(f.minor(), f.path()));
        }
        return new SavedState(files, DependencyOrder.sort(devices));
    }

    private static SavedTable table(Table t) {
        return t == null ? null : new SavedTable(t.readOnly(), t.statusLines(StatusType.TABLE));
    }

    /** Whether every 7:N and 253:N the tables name is in the copy. */
    static boolean complete(SavedState s) {
        Set<DevT> known = new HashSet<>();
        s.files().forEach(f -> known.add(new DevT(DevT.FILE_MAJOR, f.minor())));
        s.devices().forEach(d -> known.add(d.devt()));
        return s.devices().stream().allMatch(d -> known.containsAll(d.uses()));
    }
}
