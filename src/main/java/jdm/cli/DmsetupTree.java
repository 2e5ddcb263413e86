package jdm.cli;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import jdm.control.DevNo;
import jdm.control.DeviceDeps;
import jdm.control.DeviceInfo;

/**
 * "dmsetup ls --tree": libdm's dependency tree, built as dm_tree_add_dev does for every device in name order
 * (libdm-deptree.c), drawn as dmsetup.c's _display_tree_walk_children does, with the "-o" tree options of
 * _process_tree_options: device/nodevice, blkdevname, active, open, rw, uuid, ascii/utf/vt100, inverted, compact,
 * notrunc (status and table are accepted and, as in dmsetup 1.02.185, print nothing more). Lines are cut at 80
 * columns with "..." unless notrunc.
 */
final class DmsetupTree {
    private static final int MAX_DEPTH = 100;
    private static final int TERM_WIDTH = 80;

    /** The drawing symbols: empty, branch, vertical, last, single (compact), first (compact). */
    private record Symbols(String empty2, String branch2, String vert2, String last2, String single3,
                           String first3) {
    }

    private static final Symbols ASCII = new Symbols("  ", "|-", "| ", "`-", "---", "-+-");
    private static final Symbols UTF = new Symbols("  ", "\u251c\u2500", "\u2502 ", "\u2514\u2500",
            "\u2500\u2500\u2500", "\u2500\u252c\u2500");
    private static final String VT_BEG = "\033(0\017";
    private static final String VT_END = "\033(B";
    private static final Symbols VT100 = new Symbols("  ", VT_BEG + "tq" + VT_END, VT_BEG + "x" + VT_END + " ",
            VT_BEG + "mq" + VT_END, VT_BEG + "qqq" + VT_END, VT_BEG + "qwq" + VT_END);

    /** The parsed "-o" options of ls --tree. */
    record Options(boolean device, boolean blkDevName, boolean table, boolean status, boolean active, boolean rw,
                   boolean open, boolean uuid, boolean compact, boolean truncate, boolean inverted,
                   Symbols symbols) {
        boolean attributes() {
            return active || rw || open || uuid;
        }

        boolean targets() {
            return table || status;
        }

        boolean printCompact() {
            return compact && !attributes() && !targets();
        }

        boolean needsInfo() {
            return attributes();
        }

        /**
         * _process_tree_options: each comma-separated word is matched as a prefix of an option name, in dmsetup's
         * order; an unknown one fails with the rest of the string.
         */
        static Options parse(String options, Function<String, String> env) throws DmsetupFailure {
            boolean device = true;
            boolean blk = false;
            boolean table = false;
            boolean status = false;
            boolean active = false;
            boolean rw = false;
            boolean open = false;
            boolean uuid = false;
            boolean compact = false;
            boolean truncate = true;
            boolean inverted = false;
            Symbols sym = utf8Locale(env) ? UTF : ASCII;
            String s = options == null ? "" : options;
            int i = 0;
            while (i < s.length()) {
                int end = s.indexOf(',', i);
                if (end < 0) {
                    end = s.length();
                }
                String w = s.substring(i, end);
                if ("device".startsWith(w)) {
                    device = true;
                } else if ("blkdevname".startsWith(w)) {
                    blk = true;
                } else if ("nodevice".startsWith(w)) {
                    device = false;
                } else if ("status".startsWith(w)) {
                    status = true;
                } else if ("table".startsWith(w)) {
                    table = true;
                } else if ("active".startsWith(w)) {
                    active = true;
                } else if ("open".startsWith(w)) {
                    open = true;
                } else if ("uuid".startsWith(w)) {
                    uuid = true;
                } else if ("rw".startsWith(w)) {
                    rw = true;
                } else if ("utf".startsWith(w)) {
                    sym = UTF;
                } else if ("vt100".startsWith(w)) {
                    sym = VT100;
                } else if ("ascii".startsWith(w)) {
                    sym = ASCII;
                } else if ("inverted".startsWith(w)) {
                    inverted = true;
                } else if ("compact".startsWith(w)) {
                    compact = true;
                } else if ("notrunc".startsWith(w)) {
                    truncate = false;
                } else {
                    throw DmsetupFailure.commandLine("Tree options not recognised: " + s.substring(i) + ".",
                            "Couldn't process command line.");
                }
                i = end + 1;
            }
            return new Options(device, blk, table, status, active, rw, open, uuid, compact, truncate, inverted, sym);
        }

        /** nl_langinfo(CODESET) is "UTF-8" after setlocale(LC_ALL, ""): the first set of LC_ALL, LC_CTYPE, LANG. */
        private static boolean utf8Locale(Function<String, String> env) {
            for (String var : new String[] {"LC_ALL", "LC_CTYPE", "LANG"}) {
                String v = env.apply(var);
                if (v != null && !v.isEmpty()) {
                    String lower = v.toLowerCase(java.util.Locale.ROOT);
                    return lower.contains("utf-8") || lower.contains("utf8");
                }
            }
            return false;
        }
    }

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
    private final Map<DevNo, DeviceInfo> infos;
    private final Map<DevNo, Node> nodes = new HashMap<>();
    private final Node root = new Node("", new DevNo(0, 0));
    private final Options opt;
    private final boolean[] more = new boolean[MAX_DEPTH + 2];
    private final int[] width = new int[MAX_DEPTH + 2];
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int curX = 1;
    private int lastChar;

    /**
     * @param devices every mapped device with its dependencies, in name order
     * @param infos the devices' info by number (needed for the attribute options only)
     * @param shown how a device name is printed (unmangled)
     */
    DmsetupTree(List<DeviceDeps> devices, Map<DevNo, DeviceInfo> infos, Options opt, UnaryOperator<String> shown) {
        this.infos = infos;
        this.opt = opt;
        for (DeviceDeps d : devices) {
            mapped.put(d.devNo(), new DeviceDeps(shown.apply(d.name()), d.devNo(), d.deps()));
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
        return out.toString(StandardCharsets.UTF_8);
    }

    /** _display_tree_walk_children. */
    private void walk(Node node, int depth) {
        List<Node> children = opt.inverted() ? node.usedBy : node.uses;
        for (int i = 0; i < children.size(); i++) {
            Node child = children.get(i);
            boolean hasChildren = numChildren(child, opt.inverted()) > 0;
            drawNode(child, depth, i == children.size() - 1, hasChildren);
            if (hasChildren) {
                walk(child, depth + 1);
            }
        }
    }

    /** _display_tree_node. */
    private void drawNode(Node node, int depth, boolean lastChild, boolean hasChildren) {
        if (depth + 2 > MAX_DEPTH) {
            return;
        }
        if (node.name.isEmpty() && !opt.device() && !opt.blkDevName()) {
            return;
        }
        more[depth] = !lastChild;
        width[depth] = 0;
        boolean firstOnLine = curX == 1;
        if (!opt.printCompact() || firstOnLine) {
            prefix(depth);
        }
        int offset = curX;
        if (opt.printCompact() && !firstOnLine) {
            string(more[depth] ? opt.symbols().first3() : opt.symbols().single3());
        }
        string(node.name);
        if (opt.blkDevName()) {
            string(" <" + DmsetupFormat.blkDevName(node.dev) + ">");
        }
        if (opt.device()) {
            string(" (" + node.dev.major() + ":" + node.dev.minor() + ")");
        }
        if (opt.attributes()) {
            attributes(node);
        }
        if (opt.printCompact()) {
            width[depth] = curX - offset;
        }
        if (!opt.printCompact() || !hasChildren) {
            newline();
        }
        if (opt.targets()) {
            more[depth + 1] = hasChildren;
        }
    }

    /** _display_tree_attributes: only mapped devices have them. */
    private void attributes(Node node) {
        DeviceInfo i = mapped.containsKey(node.dev) ? infos.get(node.dev) : null;
        if (i == null) {
            return;
        }
        List<String> attrs = new ArrayList<>();
        if (opt.active()) {
            attrs.add(i.suspended() ? "SUSPENDED" : "ACTIVE");
        }
        if (opt.rw()) {
            attrs.add(i.readOnly() ? "RO" : "RW");
        }
        if (opt.open()) {
            attrs.add(Integer.toString(i.openCount()));
        }
        if (opt.uuid()) {
            attrs.add(i.uuid() == null ? "" : i.uuid());
        }
        string(" [" + String.join(", ", attrs) + "]");
    }

    /** _out_prefix. */
    private void prefix(int depth) {
        for (int d = 0; d < depth; d++) {
            for (int x = width[d] + 1; x > 0; x--) {
                ch(' ');
            }
            Symbols s = opt.symbols();
            string(d == depth - 1 ? (!more[depth] ? s.last2() : s.branch2()) : more[d + 1] ? s.vert2() : s.empty2());
        }
    }

    private void string(String s) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            ch(b & 0xff);
        }
    }

    /** _out_char: counts columns by UTF-8 lead bytes and cuts the line at the terminal width with "...". */
    private void ch(int c) {
        if ((c & 0xc0) != 0x80) {
            curX++;
        }
        if (!opt.truncate()) {
            out.write(c);
            return;
        }
        if (curX <= TERM_WIDTH) {
            out.write(c);
        }
        if (curX == TERM_WIDTH + 1 && (c & 0xc0) != 0x80) {
            if (lastChar != 0 || (c & 0x80) != 0) {
                out.write('.');
                out.write('.');
                out.write('.');
            } else {
                lastChar = c;
                curX--;
            }
        }
    }

    /** _out_newline. */
    private void newline() {
        if (lastChar != 0 && curX == TERM_WIDTH) {
            out.write(lastChar);
        }
        lastChar = 0;
        out.write('\n');
        curX = 1;
    }
}
