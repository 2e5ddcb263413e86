package jdm.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import jdm.control.DevNo;
import jdm.control.DeviceInfo;

/**
 * "dmsetup info -c": dmsetup's report fields (dmsetup.c's _report_fields, the task/info/deps/tree ones) printed as
 * libdm-report.c prints them: buffered, each column as wide as its widest value (at least the field's own width),
 * strings left- and numbers right-aligned, headings cut to the column width; --noheadings turns alignment off and
 * the separator into ':' (unless --separator says otherwise), --nameprefixes prints DM_FIELD='value' pairs, --rows
 * turns the report sideways. Rows are kept in the order added unless --sort gives keys; -S selects rows.
 */
final class DmsetupReport {
    /** The default columns of "dmsetup info -c". */
    static final String DEFAULT_FIELDS = "name,major,minor,attr,open,segments,events,uuid";

    /** What one row knows about its device. */
    record Row(DeviceInfo info, String mangledName, String unmangledName, String mangledUuid,
               String unmangledUuid, List<DevNo> deps, List<String> depNames, List<String> usedByNames,
               List<DevNo> usedByDevs) {
    }

    /** Which data a field needs beyond the info ioctl. */
    enum Needs { INFO, DEPS, TREE }

    /** A report field: id (-o/-S/--sort name), heading, width, number or string, how to get it. */
    record Field(String id, String heading, int width, boolean number, Needs needs, String desc,
                 Function<Row, Object> value) {
        String format(Row r) {
            Object v = value.apply(r);
            return v == null ? "" : v.toString();
        }
    }

    static final List<Field> FIELDS = List.of(
            str("name", "Name", 16, Needs.INFO, "Name of mapped device.", r -> r.info().name()),
            str("mangled_name", "MangledName", 16, Needs.INFO, "Mangled name of mapped device.",
                    Row::mangledName),
            str("unmangled_name", "UnmangledName", 16, Needs.INFO, "Unmangled name of mapped device.",
                    Row::unmangledName),
            str("uuid", "UUID", 32, Needs.INFO, "Unique (optional) identifier for mapped device.",
                    r -> r.info().uuid() == null ? "" : r.info().uuid()),
            str("mangled_uuid", "MangledUUID", 32, Needs.INFO,
                    "Mangled unique (optional) identifier for mapped device.", Row::mangledUuid),
            str("unmangled_uuid", "UnmangledUUID", 32, Needs.INFO,
                    "Unmangled unique (optional) identifier for mapped device.", Row::unmangledUuid),
            num("read_ahead", "RAhead", 6, Needs.INFO, "Read ahead value.", r -> (long) r.info().readAheadSectors()),
            str("blkdevname", "BlkDevName", 16, Needs.INFO, "Name of block device.",
                    r -> DmsetupFormat.blkDevName(r.info().devNo())),
            str("attr", "Stat", 4, Needs.INFO, "(L)ive, (I)nactive, (s)uspended, (r)ead-only, read-(w)rite.",
                    DmsetupReport::attr),
            str("tables_loaded", "Tables", 6, Needs.INFO, "Which of the live and inactive table slots are filled.",
                    r -> r.info().liveTable() ? (r.info().inactiveTable() ? "Both" : "Live")
                            : r.info().inactiveTable() ? "Inactive" : "None"),
            str("suspended", "Suspended", 9, Needs.INFO, "Whether the device is suspended.",
                    r -> r.info().suspended() ? "Suspended" : "Active"),
            str("readonly", "Read-only", 9, Needs.INFO, "Whether the device is read-only or writeable.",
                    r -> r.info().readOnly() ? "Read-only" : "Writeable"),
            str("devno", "DevNo", 5, Needs.INFO, "Device major and minor numbers",
                    r -> r.info().devNo().major() + ":" + r.info().devNo().minor()),
            num("major", "Maj", 3, Needs.INFO, "Block device major number.", r -> (long) r.info().devNo().major()),
            num("minor", "Min", 3, Needs.INFO, "Block device minor number.", r -> (long) r.info().devNo().minor()),
            num("open", "Open", 4, Needs.INFO, "Number of references to open device, if requested.",
                    r -> (long) r.info().openCount()),
            num("segments", "Targ", 4, Needs.INFO, "Number of segments in live table, if present.",
                    r -> (long) r.info().targetCount()),
            num("events", "Event", 6, Needs.INFO, "Number of most recent event.",
                    r -> Integer.toUnsignedLong(r.info().eventNr())),
            num("device_count", "#Devs", 5, Needs.DEPS, "Number of devices used by this one.",
                    r -> (long) r.deps().size()),
            str("devs_used", "DevNamesUsed", 16, Needs.TREE, "List of names of mapped devices used by this one.",
                    r -> String.join(",", r.depNames())),
            str("devnos_used", "DevNosUsed", 16, Needs.DEPS, "List of device numbers of devices used by this one.",
                    r -> devNos(r.deps())),
            str("blkdevs_used", "BlkDevNamesUsed", 16, Needs.DEPS,
                    "List of names of block devices used by this one.",
                    r -> String.join(",", r.deps().stream().map(DmsetupFormat::blkDevName).toList())),
            str("subsystem", "Subsys", 6, Needs.INFO, "Userspace subsystem responsible for this device.",
                    r -> splitName(r)[0]),
            str("vg_name", "VG", 4, Needs.INFO, "LVM Volume Group name.", r -> splitName(r)[1]),
            str("lv_name", "LV", 4, Needs.INFO, "LVM Logical Volume name.", r -> splitName(r)[2]),
            str("lv_layer", "LVLayer", 7, Needs.INFO, "LVM device layer.", r -> splitName(r)[3]),
            num("device_ref_count", "#Refs", 5, Needs.TREE, "Number of mapped devices referencing this one.",
                    r -> (long) r.usedByNames().size()),
            str("names_using_dev", "RefNames", 8, Needs.TREE, "List of names of mapped devices using this one.",
                    r -> String.join(",", r.usedByNames())),
            str("devnos_using_dev", "RefDevNos", 9, Needs.TREE,
                    "List of device numbers of mapped devices using this one.", r -> devNos(r.usedByDevs())));

    private static Field str(String id, String heading, int width, Needs needs, String desc,
                             Function<Row, Object> v) {
        return new Field(id, heading, width, false, needs, desc, v);
    }

    private static Field num(String id, String heading, int width, Needs needs, String desc,
                             Function<Row, Object> v) {
        return new Field(id, heading, width, true, needs, desc, v);
    }

    private static String attr(Row r) {
        DeviceInfo i = r.info();
        return "" + (i.liveTable() ? 'L' : '-') + (i.inactiveTable() ? 'I' : '-') + (i.suspended() ? 's' : '-')
                + (i.readOnly() ? 'r' : 'w');
    }

    /**
     * _get_split_name: the subsystem is the UUID up to its first '-'; for "LVM" the name splits into VG, LV and
     * layer at single dashes, "--" standing for a dash (dm_split_lvm_name).
     */
    static String[] splitName(Row r) {
        String uuid = r.info().uuid() == null ? "" : r.info().uuid();
        int dash = uuid.indexOf('-');
        String subsystem = dash < 0 ? "" : uuid.substring(0, dash);
        String[] out = {subsystem, "", "", ""};
        if (subsystem.equals("LVM")) {
            String rest = r.info().name();
            for (int part = 1; part <= 3; part++) {
                StringBuilder sb = new StringBuilder();
                int i = 0;
                for (; i < rest.length(); i++) {
                    char c = rest.charAt(i);
                    if (c == '-' && i + 1 < rest.length()) {
                        if (rest.charAt(i + 1) != '-') {
                            break;
                        }
                        i++;
                    }
                    sb.append(rest.charAt(i));
                }
                out[part] = sb.toString();
                rest = i < rest.length() ? rest.substring(i + 1) : "";
            }
        }
        return out;
    }

    private static String devNos(List<DevNo> devs) {
        return String.join(",", devs.stream().map(d -> d.major() + ":" + d.minor()).toList());
    }

    /** libdm's _get_canonical_field_name: a field may be written with or without '_', in any case. */
    static Field find(String name) {
        String canon = name.replace("_", "").toLowerCase(Locale.ROOT);
        for (Field f : FIELDS) {
            if (f.id().replace("_", "").equals(canon)) {
                return f;
            }
        }
        return null;
    }

    /** The "-o help" listing (libdm-report.c _display_fields), as dmsetup prints it on stderr. */
    static List<String> help() {
        int idLen = "help".length();
        for (Field f : FIELDS) {
            idLen = Math.max(idLen, f.id().length());
        }
        List<String> out = new ArrayList<>();
        out.add("Mapped Device Fields");
        out.add("--------------------");
        for (Field f : FIELDS) {
            out.add(String.format("  %-" + idLen + "s - %s", f.id(), f.desc()));
        }
        out.add(" ");
        out.add("Special Fields");
        out.add("--------------");
        out.add(String.format("  %-" + idLen + "s - %s", "selected", "Set if item passes selection criteria."));
        out.add(String.format("  %-" + idLen + "s - %s", "help", "Show help."));
        out.add(String.format("  %-" + idLen + "s - %s", "?", "Show help."));
        return out;
    }

    /** How the report is laid out: dmsetup's _report_init from the command-line switches. */
    record Layout(String separator, boolean aligned, boolean headings, boolean namePrefixes, boolean quoted,
                  boolean rows) {
        static Layout of(boolean noHeadings, String separator, boolean namePrefixes, boolean unquoted,
                         boolean rows) {
            String sep = " ";
            boolean aligned = true;
            boolean headings = true;
            if (noHeadings) {
                sep = ":";
                aligned = false;
                headings = false;
            }
            if (namePrefixes) {
                aligned = false;
            }
            if (separator != null) {
                sep = separator;
                aligned = false;
            }
            if (rows) {
                aligned = false; // dm_report_init: columns as rows are never aligned
            }
            return new Layout(sep, aligned, headings, namePrefixes, !unquoted, rows);
        }
    }

    private record SortKey(Field field, boolean ascending) {
    }

    private final List<Field> columns;
    private final List<SortKey> keys = new ArrayList<>();
    private final DmsetupSelection selection;
    private final Layout layout;
    private final List<Row> rows = new ArrayList<>();

    private DmsetupReport(List<Field> columns, DmsetupSelection selection, Layout layout) {
        this.columns = columns;
        this.selection = selection;
        this.layout = layout;
    }

    /**
     * A report with the -o fields ("+f" adds to the defaults), --sort keys ("-f" descending) and -S selection;
     * an unknown field fails as dm_report_init does.
     */
    static DmsetupReport create(String options, String sort, String select, Layout layout)
            throws DmsetupFailure {
        String spec = options == null ? DEFAULT_FIELDS
                : options.startsWith("+") ? DEFAULT_FIELDS + "," + options.substring(1) : options;
        List<Field> cols = new ArrayList<>();
        for (String word : spec.split(",", -1)) {
            if (word.isEmpty()) {
                continue;
            }
            Field f = find(word);
            if (f == null) {
                List<String> lines = new ArrayList<>(help());
                lines.add(" ");
                lines.add("Unrecognised field: " + word);
                throw DmsetupFailure.commandLine(lines.toArray(String[]::new));
            }
            cols.add(f);
        }
        DmsetupReport report = new DmsetupReport(cols, select == null ? null : DmsetupSelection.parse(select),
                layout);
        if (sort != null) {
            for (String word : sort.split(",", -1)) {
                if (word.isEmpty()) {
                    continue;
                }
                boolean ascending = !word.startsWith("-");
                String name = word.startsWith("-") || word.startsWith("+") ? word.substring(1) : word;
                if (name.isEmpty()) {
                    throw DmsetupFailure.commandLine("dm_report: Missing sort field name");
                }
                Field f = find(name);
                if (f == null) {
                    List<String> lines = new ArrayList<>(help());
                    lines.add(" ");
                    lines.add("dm_report: Unrecognised field: " + name);
                    throw DmsetupFailure.commandLine(lines.toArray(String[]::new));
                }
                report.keys.add(new SortKey(f, ascending));
            }
        }
        return report;
    }

    /** Whether any column, key or selection needs the given data (deps or the tree of every device). */
    boolean needs(Needs n) {
        return columns.stream().anyMatch(f -> f.needs() == n) || keys.stream().anyMatch(k -> k.field().needs() == n)
                || selection != null && selection.fields().stream().anyMatch(f -> f.needs() == n);
    }

    /** Whether the row passes -S (always, without one). */
    boolean selected(Row r) {
        return selection == null || selection.matches(r);
    }

    /** Adds a row if it passes the selection. */
    void add(Row r) {
        if (selected(r)) {
            rows.add(r);
        }
    }

    /** The report's text: nothing when there are no rows (dm_report_output). */
    String output() {
        if (rows.isEmpty()) {
            return "";
        }
        List<Row> sorted = new ArrayList<>(rows);
        if (!keys.isEmpty()) {
            sorted.sort(comparator());
        }
        int[] widths = new int[columns.size()];
        String[][] cells = new String[sorted.size()][columns.size()];
        for (int c = 0; c < columns.size(); c++) {
            widths[c] = columns.get(c).width();
            for (int r = 0; r < sorted.size(); r++) {
                cells[r][c] = columns.get(c).format(sorted.get(r));
                widths[c] = Math.max(widths[c], cells[r][c].length());
            }
        }
        return layout.rows() ? sideways(cells, widths) : columnsOut(cells, widths);
    }

    private String columnsOut(String[][] cells, int[] widths) {
        StringBuilder sb = new StringBuilder();
        if (layout.headings()) {
            for (int c = 0; c < columns.size(); c++) {
                if (c > 0) {
                    sb.append(layout.separator());
                }
                String h = columns.get(c).heading();
                sb.append(layout.aligned() ? pad(h.substring(0, Math.min(h.length(), widths[c])), widths[c], false)
                        : h);
            }
            sb.append('\n');
        }
        for (String[] row : cells) {
            for (int c = 0; c < columns.size(); c++) {
                if (c > 0) {
                    sb.append(layout.separator());
                }
                sb.append(cell(c, row[c], widths[c]));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** _output_as_rows: one line per field, its heading first. */
    private String sideways(String[][] cells, int[] widths) {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < columns.size(); c++) {
            if (layout.headings()) {
                sb.append(columns.get(c).heading()).append(layout.separator());
            }
            for (int r = 0; r < cells.length; r++) {
                sb.append(cell(c, cells[r][c], widths[c]));
                if (r < cells.length - 1) {
                    sb.append(layout.separator());
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** _output_field: the DM_ID=' ' prefix and quotes, or the value padded to the column. */
    private String cell(int c, String value, int width) {
        Field f = columns.get(c);
        String v = layout.aligned() ? pad(value, width, f.number()) : value;
        if (layout.namePrefixes()) {
            String q = layout.quoted() ? "'" : "";
            return "DM_" + f.id().toUpperCase(Locale.ROOT) + "=" + q + v + q;
        }
        return v;
    }

    private static String pad(String s, int width, boolean right) {
        if (s.length() >= width) {
            return s;
        }
        String spaces = " ".repeat(width - s.length());
        return right ? spaces + s : s + spaces;
    }

    /** _row_compare: numbers as numbers, strings by strcmp, in key order. */
    private Comparator<Row> comparator() {
        return (a, b) -> {
            for (SortKey k : keys) {
                Object va = k.field().value().apply(a);
                Object vb = k.field().value().apply(b);
                int cmp = k.field().number() ? Long.compareUnsigned((Long) va, (Long) vb)
                        : compareBytes(String.valueOf(va), String.valueOf(vb));
                if (cmp != 0) {
                    return k.ascending() ? cmp : -cmp;
                }
            }
            return 0;
        };
    }

    static int compareBytes(String a, String b) {
        byte[] x = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] y = b.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return java.util.Arrays.compareUnsigned(x, y);
    }
}
