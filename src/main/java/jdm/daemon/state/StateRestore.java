package jdm.daemon.state;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import jdm.daemon.state.SavedState.SavedDevice;
import jdm.daemon.state.SavedState.SavedFile;
import jdm.daemon.state.SavedState.SavedTable;
import jdm.dm.DevT;
import jdm.dm.DeviceNamespace;
import jdm.dm.DmException;

/**
 * Recreates saved devices in a namespace, bottom up: the backing files are opened at their 7:N minors first, then
 * each device is created at its 253:N minor after the devices its tables name, its live table loaded (in its saved
 * mode) and resumed, and its inactive table loaded. Then saved suspensions are put back (top down) and the event
 * numbers set. A device whose live table cannot be built is left out with one log line naming it and saying why;
 * so are the devices stacked on it, while everything else comes up. An inactive table that cannot be built is
 * dropped (it is only a pending reload) and named on the log; its device comes up.
 */
final class StateRestore {
    private static final Path ROOT = Path.of("/"); // saved tables name devices by number only

    private StateRestore() {
    }

    /** The names of the devices that came back, of those that did not, and of those without their inactive table. */
    record Outcome(List<String> restored, List<String> failed, List<String> inactiveDropped) {
    }

    static Outcome restore(DeviceNamespace ns, SavedState s, Consumer<String> log) {
        Map<Integer, SavedFile> files = new HashMap<>();
        Map<Integer, String> brokenFiles = new HashMap<>();
        List<AutoCloseable> holds = new ArrayList<>();
        Set<Integer> writtenFiles = filesUsedReadWrite(s);
        for (SavedFile f : s.files()) {
            if (files.putIfAbsent(f.minor(), f) != null) {
                brokenFiles.put(f.minor(), "is listed twice in the state file");
                continue;
            }
            try {
                holds.add(ns.holdBackingFile(f.path(), f.minor(), !writtenFiles.contains(f.minor())));
            } catch (DmException e) {
                brokenFiles.put(f.minor(), Files.exists(f.path()) ? "cannot be opened: " + e.getMessage()
                        : "does not exist");
            }
        }
        try {
            List<SavedDevice> restored = new ArrayList<>();
            List<String> failed = new ArrayList<>();
            List<String> inactiveDropped = new ArrayList<>();
            Map<Integer, String> failedMinors = new HashMap<>();
            for (SavedDevice d : DependencyOrder.sort(s.devices())) {
                String why = blockedBy(d.live(), d, files, brokenFiles, failedMinors);
                if (why == null) {
                    why = build(ns, d);
                }
                if (why == null) {
                    restored.add(d);
                    if (d.inactive() != null) {
                        String lost = loadInactive(ns, d, blockedBy(d.inactive(), d, files, brokenFiles,
                                failedMinors));
                        if (lost != null) {
                            inactiveDropped.add(d.name());
                            log.accept("device " + d.name() + " (253:" + d.minor() + ") is back without its"
                                    + " inactive table: " + lost);
                        }
                    }
                } else {
                    failed.add(d.name());
                    failedMinors.putIfAbsent(d.minor(), d.name());
                    log.accept("cannot restore device " + d.name() + " (253:" + d.minor() + "): " + why);
                }
            }
            putBackSuspensionsAndEvents(ns, restored, log);
            return new Outcome(restored.stream().map(SavedDevice::name).toList(), failed, inactiveDropped);
        } finally {
            for (AutoCloseable h : holds) {
                try {
                    h.close(); // the tables hold what they use; files no table uses close here
                } catch (Exception e) {
                    log.accept("releasing a backing file: " + e);
                }
            }
        }
    }

    /** The backing files some read-write table uses (the others are held read-only). */
    private static Set<Integer> filesUsedReadWrite(SavedState s) {
        Set<Integer> out = new HashSet<>();
        for (SavedDevice d : s.devices()) {
            for (SavedTable t : new SavedTable[] {d.live(), d.inactive()}) {
                if (t != null && !t.readOnly()) {
                    t.uses().stream().filter(u -> u.major() == DevT.FILE_MAJOR).forEach(u -> out.add(u.minor()));
                }
            }
        }
        return out;
    }

    /** Why table t of d cannot be built because of something below it, or null. */
    private static String blockedBy(SavedTable t, SavedDevice d, Map<Integer, SavedFile> files,
                                    Map<Integer, String> brokenFiles, Map<Integer, String> failedMinors) {
        if (t == null) {
            return null;
        }
        for (DevT used : t.uses()) {
            if (used.major() == DevT.FILE_MAJOR) {
                SavedFile f = files.get(used.minor());
                if (f == null) {
                    return "its table uses " + used + ", for which the state file names no backing file";
                }
                String why = brokenFiles.get(used.minor());
                if (why != null) {
                    return "its table uses " + used + ", backing file " + f.path() + ", which " + why;
                }
            } else if (failedMinors.containsKey(used.minor()) && used.minor() != d.minor()) {
                return "its table uses " + used + " (" + failedMinors.get(used.minor()) + "), which was not restored";
            }
        }
        return null;
    }

    /** Creates d with its live table; on failure removes it again and says which step failed and why. */
    private static String build(DeviceNamespace ns, SavedDevice d) {
        String step = "create";
        boolean created = false;
        try {
            ns.create(d.name(), d.uuid(), d.readOnly(), d.minor());
            created = true;
            if (d.live() != null) {
                step = "live table";
                ns.load(d.name(), d.live().text(), ROOT, d.live().readOnly());
                ns.resume(d.name());
            }
            return null;
        } catch (DmException e) {
            undo(ns, d, created);
            return step + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            undo(ns, d, created);
            return step + ": interrupted";
        }
    }

    /** Loads d's inactive table unless blocked; returns why it was not loaded, or null. */
    private static String loadInactive(DeviceNamespace ns, SavedDevice d, String blocked) {
        if (blocked != null) {
            return blocked;
        }
        try {
            ns.load(d.name(), d.inactive().text(), ROOT, d.inactive().readOnly());
            return null;
        } catch (DmException e) {
            return e.getMessage();
        }
    }

    private static void undo(DeviceNamespace ns, SavedDevice d, boolean created) {
        if (!created) {
            return;
        }
        try {
            ns.remove(d.name());
        } catch (DmException e) {
            // nothing can hold a device that failed to build; if something does, it stays visible in ls
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void putBackSuspensionsAndEvents(DeviceNamespace ns, List<SavedDevice> restored,
                                                    Consumer<String> log) {
        for (SavedDevice d : restored.reversed()) {
            if (!d.suspended()) {
                continue;
            }
            try {
                ns.suspend(d.name(), false);
            } catch (DmException e) {
                log.accept("device " + d.name() + " was suspended and could not be suspended again: "
                        + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        for (SavedDevice d : restored) {
            try {
                ns.restoreEventNr(d.name(), d.eventNr());
            } catch (DmException e) {
                log.accept("device " + d.name() + ": event number not restored: " + e.getMessage());
            }
        }
    }
}
