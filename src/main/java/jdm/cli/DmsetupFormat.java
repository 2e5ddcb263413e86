package jdm.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /** _display_info_long: the "dmsetup info" block, then an empty line. */
    static String info(DeviceInfo i) {
        StringBuilder sb = new StringBuilder();
        sb.append("Name:              ").append(i.name()).append('\n');
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

    /** "dmsetup ls": "NAME\t(major:minor)". */
    static String name(DeviceDeps d) {
        return d.name() + "\t(" + d.devNo().major() + ":" + d.devNo().minor() + ")\n";
    }

    /** "dmsetup ls --target T" (_display_dev): "NAME\t(major, minor)". */
    static String dev(String name, DevNo n) {
        return name + "\t(" + n.major() + ", " + n.minor() + ")\n";
    }

    /** "dmsetup targets": "%-16s v%d.%d.%d". */
    static String targetVersion(TargetVersion v) {
        return String.format("%-16s v%d.%d.%d", v.name(), v.major(), v.minor(), v.patch()) + "\n";
    }

    /**
     * libdm's "device-mapper: %s ioctl on %s %s%s%.0d%s%.0d%s%s failed: %s": the ioctl, the device name, its UUID
     * when the request carried one, "(major:minor)" when it addressed the device by number, and strerror; without
     * the newline.
     */
    static String ioctlFailed(ControlException e, String name, String uuid) {
        DevNo dev = e.device();
        String number = dev != null && dev.major() > 0 ? "(" + dev.major() + ":" + dev.minor() + ")" : "";
        return "device-mapper: " + e.ioctl() + " ioctl on " + (name == null ? "" : name) + " "
                + (uuid == null ? "" : uuid) + number + " failed: " + e.errnoText();
    }

    /**
     * "dmsetup ls --tree" with its default options (device numbers, ASCII): libdm's dependency tree built as
     * dm_tree_add_dev does for every device in name order, drawn as _display_tree_walk_children does. A device used
     * by another hangs under it, not at the top; devices that are not mapped devices are leaves shown by number.
     */
    static String tree(List<DeviceDeps> devices) {
        return new Tree(devices).draw();
    }

    /** The port of libdm-deptree.c's node linking and dmsetup.c's tree drawing. */
    private static final class Tree {
        private static final int MAX_DEPTH = 100;

        private static final class Node {
            final String name;
            final DevNo dev;
            final List<Node> uses = new ArrayList<>();
            final List<Node> usedBy = new ArrayList<>();

            Node(String name, DevNo dev) {
                this.name = name;
                this.dev = dev;
            }
        }

        private final Map<DevNo, DeviceDeps> mapped = new HashMap<>();
        private final Map<DevNo, Node> nodes = new HashMap<>();
        private final Node root = new Node("", new DevNo(0, 0));
        private final boolean[] more = new boolean[MAX_DEPTH + 1];
        private final StringBuilder out = new StringBuilder();

        Tree(List<DeviceDeps> devices) {
            for (DeviceDeps d : devices) {
                mapped.put(d.devNo(), d);
            }
            for (DeviceDeps d : devices) {
                add(root, d.devNo());
            }
        }

        /** _add_dev. */
        private void add(Node parent, DevNo dev) {
            Node node = nodes.get(dev);
            boolean isNew = node == null;
            if (isNew) {
                DeviceDeps d = mapped.get(dev);
                node = new Node(d == null ? "" : d.name(), dev);
                nodes.put(dev, node);
            }
            linkTreeNodes(parent, node);
            if (!isNew) {
                return;
            }
            DeviceDeps d = mapped.get(dev);
            if (d == null || d.deps().isEmpty()) {
                link(node, root); // _add_to_bottomlevel
                return;
            }
            for (DevNo dep : d.deps()) {
                add(node, dep);
            }
        }

        /** _link_tree_nodes: a node hangs from the root only while nothing else uses it. */
        private void linkTreeNodes(Node parent, Node child) {
            if (parent == root) {
                if (numChildren(child, true) > 0) {
                    return;
                }
            } else {
                unlink(root, child); // _remove_from_toplevel
            }
            unlink(parent, root); // _remove_from_bottomlevel (child is never the root here)
            link(parent, child);
        }

        private static boolean linked(Node parent, Node child) {
            return parent.uses.contains(child);
        }

        private static void link(Node parent, Node child) {
            if (!linked(parent, child)) {
                parent.uses.add(child);
                child.usedBy.add(parent);
            }
        }

        private static void unlink(Node parent, Node child) {
            if (linked(parent, child)) {
                parent.uses.remove(child);
                child.usedBy.remove(parent);
            }
        }

        /** dm_tree_node_num_children. */
        private int numChildren(Node node, boolean inverted) {
            if (inverted) {
                return linked(root, node) ? 0 : node.usedBy.size();
            }
            return linked(node, root) ? 0 : node.uses.size();
        }

        String draw() {
            walk(root, 0);
            return out.toString();
        }

        /** _display_tree_walk_children. */
        private void walk(Node node, int depth) {
            List<Node> children = node.uses;
            for (int i = 0; i < children.size(); i++) {
                Node child = children.get(i);
                boolean hasChildren = numChildren(child, false) > 0;
                drawNode(child, depth, i == children.size() - 1);
                if (hasChildren) {
                    walk(child, depth + 1);
                }
            }
        }

        /** _display_tree_node with TR_DEVICE only. */
        private void drawNode(Node node, int depth, boolean lastChild) {
            if (depth + 2 > MAX_DEPTH) {
                return;
            }
            more[depth] = !lastChild;
            for (int d = 0; d < depth; d++) { // _out_prefix; the tree widths are 0 outside compact mode
                out.append(' ');
                if (d == depth - 1) {
                    out.append(more[depth] ? "|-" : "`-");
                } else {
                    out.append(more[d + 1] ? "| " : "  ");
                }
            }
            out.append(node.name).append(" (").append(node.dev.major()).append(':').append(node.dev.minor())
                    .append(")\n");
        }
    }
}
