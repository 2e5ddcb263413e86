package jdm.cli;

import jdm.control.ControlException;
import jdm.control.DevNo;
import jdm.control.DeviceDeps;
import jdm.control.DeviceInfo;
import jdm.control.TargetLine;
import jdm.control.TargetVersion;

/**
 * dmsetup's output, byte for byte (lvm2 libdm/dm-tools/dmsetup.c of 1.02.185, Debian 12's, and libdm-iface.c for
 * ioctl errors). Every method returns whole lines, each ending in '\n'.
 */
final class DmsetupFormat {
    private DmsetupFormat() {
    }

    /** _display_info_long: the "dmsetup info" block, then an empty line; name as shown (unmangled). */
    static String info(DeviceInfo i, String name) {
        StringBuilder sb = new StringBuilder();
        sb.append("Name:              ").append(name).append('\n');
        sb.append("State:             ").append(i.suspended() ? "SUSPENDED" : "ACTIVE")
                .append(i.readOnly() ? " (READ-ONLY)" : "").append('\n');
        sb.append("Read Ahead:        ").append(i.readAheadSectors()).append('\n');
        if (!i.liveTable() && !i.inactiveTable()) {
            sb.append("Tables present:    None\n");
        } else {
            sb.append("Tables present:    ").append(i.liveTable() ? "LIVE" : "")
                    .append(i.liveTable() && i.inactiveTable() ? " & " : "")
                    .append(i.inactiveTable() ? "INACTIVE" : "").append('\n');
        }
        sb.append("Open count:        ").append(i.openCount()).append('\n');
        sb.append("Event number:      ").append(Integer.toUnsignedString(i.eventNr())).append('\n');
        sb.append("Major, minor:      ").append(i.devNo().major()).append(", ").append(i.devNo().minor()).append('\n');
        sb.append("Number of targets: ").append(i.targetCount()).append('\n');
        if (i.uuid() != null && !i.uuid().isEmpty()) {
            sb.append("UUID: ").append(i.uuid()).append('\n');
        }
        sb.append('\n');
        return sb.toString();
    }

    /** One target of "dmsetup table" / "dmsetup status": "start length type params" (a space even when empty). */
    static String target(String prefix, TargetLine t) {
        return prefix + t.startSector() + " " + t.lengthSectors() + " " + t.type() + " " + t.params() + "\n";
    }

    /** "dmsetup deps": "N dependencies\t: (major, minor)...". */
    static String deps(String prefix, DeviceDeps d) {
        StringBuilder sb = new StringBuilder(prefix);
        sb.append(d.deps().size()).append(" dependencies\t:");
        for (DevNo n : d.deps()) {
            sb.append(" (").append(n.major()).append(", ").append(n.minor()).append(')');
        }
        return sb.append('\n').toString();
    }

    /** "dmsetup ls --target T" (_display_dev): "NAME\t(major, minor)". */
    static String dev(String name, DevNo n) {
        return name + "\t(" + n.major() + ", " + n.minor() + ")\n";
    }

    /**
     * The kernel's name of a block device (dm_device_get_name with the kernel name preferred): dm-N for mapped
     * devices, loopN for the backing files (jdm's 7:N), else MAJ:MIN.
     */
    static String blkDevName(DevNo d) {
        return switch (d.major()) {
            case 253 -> "dm-" + d.minor();
            case 7 -> "loop" + d.minor();
            default -> d.major() + ":" + d.minor();
        };
    }

    /**
     * dmsetup's key hiding in "table" output without --showkeys: a crypt table's key (the second word, unless a
     * kernel key reference ":...") and integrity's internal_hash/journal_crypt/journal_mac keys become zeros.
     */
    static String hideKeys(String type, String params) {
        if (type.equals("crypt")) {
            char[] c = params.toCharArray();
            int i = 0;
            while (i < c.length && c[i] != ' ') {
                i++;
            }
            if (i < c.length) {
                i++;
            }
            if (i < c.length && c[i] != ':') {
                while (i < c.length && c[i] != ' ') {
                    c[i++] = '0';
                }
            }
            return new String(c);
        }
        if (type.equals("integrity")) {
            for (String key : new String[] {"internal_hash:", "journal_crypt:", "journal_mac:"}) {
                params = hideKey(params, key);
            }
        }
        return params;
    }

    private static String hideKey(String params, String name) {
        int at = params.indexOf(name);
        if (at < 0) {
            return params;
        }
        char[] c = params.toCharArray();
        int i = at + name.length();
        while (i < c.length && c[i] != ' ' && c[i] != ':') {
            i++;
        }
        if (i >= c.length || c[i] != ':') {
            return params;
        }
        i++;
        while (i < c.length && c[i] != ' ') {
            c[i++] = '0';
        }
        return new String(c);
    }

    /** "dmsetup targets": "%-16s v%d.%d.%d". */
    static String targetVersion(TargetVersion v) {
        return String.format("%-16s v%d.%d.%d", v.name(), v.major(), v.minor(), v.patch()) + "\n";
    }

    /**
     * libdm's "device-mapper: %s ioctl on %s %s%s%.0d%s%.0d%s%s failed: %s": the ioctl, the device name, its UUID
     * when the request carried one, "(major:minor)" when it addressed the device by number (byNumber, and the
     * daemon named the number), and strerror; without the newline.
     */
    static String ioctlFailed(ControlException e, String name, String uuid, boolean byNumber) {
        DevNo dev = e.device();
        String number = byNumber && dev != null && dev.major() > 0 ? "(" + dev.major() + ":" + dev.minor() + ")"
                : "";
        return "device-mapper: " + e.ioctl() + " ioctl on " + (name == null ? "" : name) + " "
                + (uuid == null ? "" : uuid) + number + " failed: " + e.errnoText();
    }
}
