package jdm.daemon.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdm.daemon.state.SavedState.SavedDevice;
import jdm.dm.DevT;

/**
 * Orders devices so that each comes after the mapped devices its tables name (253:N): the order udev and LVM
 * activate a stack in, bottom up. Otherwise the given order is kept. Devices caught in a cycle (a hand-edited file;
 * the namespace refuses cycles) come last, in the given order, and fail to restore by themselves.
 */
final class DependencyOrder {
    private DependencyOrder() {
    }

    static List<SavedDevice> sort(List<SavedDevice> devices) {
        Map<Integer, SavedDevice> byMinor = new HashMap<>();
        for (SavedDevice d : devices) {
            byMinor.putIfAbsent(d.minor(), d);
        }
        Set<SavedDevice> done = new LinkedHashSet<>();
        boolean progress = true;
        while (progress) {
            progress = false;
            for (SavedDevice d : devices) {
                if (!done.contains(d) && lowerDevicesIn(d, byMinor, done)) {
                    done.add(d);
                    progress = true;
                }
            }
        }
        List<SavedDevice> out = new ArrayList<>(done);
        for (SavedDevice d : devices) {
            if (!done.contains(d)) {
                out.add(d);
            }
        }
        return out;
    }

    /** Whether every device d's tables name (that is in the list at all, and not d itself) is in done. */
    private static boolean lowerDevicesIn(SavedDevice d, Map<Integer, SavedDevice> byMinor, Set<SavedDevice> done) {
        for (DevT used : d.uses()) {
            SavedDevice lower = used.major() == DevT.DM_MAJOR ? byMinor.get(used.minor()) : null;
            if (lower != null && lower != d && !done.contains(lower)) {
                return false;
            }
        }
        return true;
    }
}
