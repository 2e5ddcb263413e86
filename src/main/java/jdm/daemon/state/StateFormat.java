package jdm.daemon.state;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jdm.daemon.state.SavedState.SavedDevice;
import jdm.daemon.state.SavedState.SavedFile;
import jdm.daemon.state.SavedState.SavedTable;

/**
 * The state file's text, version 1: line-based and readable, so an operator can see (and, with the daemon
 * stopped, fix) what will come back. Example:
 * <pre>
 * jdm-state 1
 * file 7:0 /srv/a.img
 * file 7:1 /srv/b.img
 * device base
 *   dev 253:0
 *   read-only no
 *   suspended no
 *   event 0
 *   live rw
 *     0 131072 striped 2 64 7:0 0 7:1 0
 * end
 * device top
 *   dev 253:1
 *   uuid JDM-top-0001
 *   ...
 * end
 * </pre>
 * A device block holds keys indented by two spaces ({@code dev} is required; {@code uuid} and {@code inactive} are
 * there when the device has them) and its tables' lines, indented by four, under {@code live} or {@code inactive}
 * ({@code rw} or {@code ro}: the mode the table was loaded with). Devices are written in dependency order. Blank
 * lines and lines starting with '#' are ignored. Names, UUIDs and paths escape backslash, space and control
 * characters as {@code \\} and {@code \xHH}; table lines escape backslash and control characters.
 *
 * <p>Parsing is per device: a block with a bad line is reported (device name, line number, what is wrong) and left
 * out while the others are kept; only a missing or unknown header rejects the whole file.
 */
public final class StateFormat {
    static final String MAGIC = "jdm-state";
    static final int VERSION = 1;
    private static final String KEY = "  ";
    private static final String TABLE_LINE = "    ";

    private StateFormat() {
    }

    /** A state file with no usable header. */
    public static final class Unreadable extends Exception {
        Unreadable(String message) {
            super(message);
        }
    }

    /** What could be read, and one sentence per entry that could not (naming the device when it has one). */
    public record Parsed(SavedState state, List<String> problems) {
    }

    public static String write(SavedState s) {
        StringBuilder b = new StringBuilder();
        b.append("# jdm daemon state: the devices to recreate at start (README: Tables that survive a restart).\n")
                .append("# Rewritten atomically on every change; edit only while the daemon is stopped.\n")
                .append(MAGIC).append(' ').append(VERSION).append('\n');
        for (SavedFile f : s.files()) {
            b.append("file 7:").append(f.minor()).append(' ').append(escape(f.path().toString(), true)).append('\n');
        }
        for (SavedDevice d : s.devices()) {
            b.append("device ").append(escape(d.name(), true)).append('\n');
            b.append(KEY).append("dev 253:").append(d.minor()).append('\n');
            if (d.uuid() != null) {
                b.append(KEY).append("uuid ").append(escape(d.uuid(), true)).append('\n');
            }
            b.append(KEY).append("read-only ").append(d.readOnly() ? "yes" : "no").append('\n');
            b.append(KEY).append("suspended ").append(d.suspended() ? "yes" : "no").append('\n');
            b.append(KEY).append("event ").append(Integer.toUnsignedString(d.eventNr())).append('\n');
            writeTable(b, "live", d.live());
            writeTable(b, "inactive", d.inactive());
            b.append("end\n");
        }
        return b.toString();
    }

    private static void writeTable(StringBuilder b, String key, SavedTable t) {
        if (t == null) {
            return;
        }
        b.append(KEY).append(key).append(t.readOnly() ? " ro" : " rw").append('\n');
        for (String line : t.lines()) {
            b.append(TABLE_LINE).append(escape(line, false)).append('\n');
        }
    }

    public static Parsed parse(String text) throws Unreadable {
        return new Parser(text.split("\n", -1)).parse();
    }

    /** Reads the lines once, top to bottom; a problem in a device block skips to its end. */
    private static final class Parser {
        private final String[] lines;
        private int i;
        private final List<SavedFile> files = new ArrayList<>();
        private final List<SavedDevice> devices = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();

        Parser(String[] lines) {
            this.lines = lines;
        }

        /** The next line that is not blank or a comment, or null at the end. */
        private String next() {
            while (i < lines.length) {
                String l = lines[i++];
                String t = l.strip();
                if (!t.isEmpty() && !t.startsWith("#")) {
                    return l;
                }
            }
            return null;
        }

        Parsed parse() throws Unreadable {
            String header = next();
            if (header == null) {
                throw new Unreadable("empty: no \"" + MAGIC + " " + VERSION + "\" header");
            }
            String[] h = header.strip().split(" ");
            if (h.length != 2 || !h[0].equals(MAGIC)) {
                throw new Unreadable("line " + i + ": not a jdm state file (want \"" + MAGIC + " " + VERSION
                        + "\", got \"" + shorten(header) + "\")");
            }
            if (!h[1].equals(String.valueOf(VERSION))) {
                throw new Unreadable("line " + i + ": state format version \"" + shorten(h[1]) + "\": this jdm"
                        + " reads version " + VERSION);
            }
            for (String l = next(); l != null; l = next()) {
                if (l.startsWith("file ")) {
                    file(l);
                } else if (l.startsWith("device ")) {
                    device(l);
                } else {
                    problems.add("line " + i + ": expected \"file\" or \"device\", got \"" + shorten(l) + "\"");
                }
            }
            return new Parsed(new SavedState(files, devices), problems);
        }

        private void file(String l) {
            String[] w = l.split(" ", 3);
            Integer minor = w.length == 3 && w[1].startsWith("7:") ? number(w[1].substring(2)) : null;
            String path = w.length == 3 ? unescape(w[2]) : null;
            if (minor == null || path == null || path.isEmpty() || !Path.of(path).isAbsolute()) {
                problems.add("line " + i + ": bad backing file entry (want \"file 7:N /absolute/path\"), got \""
                        + shorten(l) + "\"");
                return;
            }
            files.add(new SavedFile(minor, Path.of(path)));
        }

        private void device(String first) {
            int start = i;
            String name = unescape(first.substring("device ".length()));
            if (name == null || name.isEmpty()) {
                problems.add("line " + start + ": bad device name \"" + shorten(first) + "\"");
                skipBlock();
                return;
            }
            try {
                devices.add(deviceBody(name));
            } catch (BadLine e) {
                problems.add("device " + name + ": line " + i + ": " + e.getMessage());
                if (!e.atBlockEnd) {
                    skipBlock();
                }
            }
        }

        private SavedDevice deviceBody(String name) throws BadLine {
            Block block = new Block();
            while (true) {
                String l = next();
                if (l == null || l.startsWith("device ")) {
                    if (l != null) {
                        i--; // the next block starts here: leave it for the caller
                    }
                    throw new BadLine("no \"end\" line: the entry is cut short", true);
                }
                if (l.equals("end")) {
                    return block.finish(name);
                }
                if (l.startsWith(TABLE_LINE)) {
                    block.tableLine(l.substring(TABLE_LINE.length()));
                } else if (l.startsWith(KEY) && l.charAt(KEY.length()) != ' ') {
                    String[] kv = l.substring(KEY.length()).split(" ", 2);
                    block.key(kv[0], kv.length > 1 ? kv[1] : "");
                } else {
                    throw new BadLine("expected a two-space indented key or \"end\", got \"" + shorten(l) + "\"");
                }
            }
        }

        /** Skips past the current block's "end" line (or to the next "device" line, which is left unread). */
        private void skipBlock() {
            while (i < lines.length) {
                String l = lines[i];
                if (l.startsWith("device ")) {
                    return;
                }
                i++;
                if (l.equals("end")) {
                    return;
                }
            }
        }
    }

    /** The fields of one device block, filled in as its lines are read. */
    private static final class Block {
        private Integer minor;
        private String uuid;
        private boolean readOnly;
        private boolean suspended;
        private int eventNr;
        private SavedTable live;
        private SavedTable inactive;
        private String tableKey; // "live" or "inactive" while that table's lines are read
        private boolean tableReadOnly;
        private List<String> table;

        void key(String key, String value) throws BadLine {
            endTable();
            switch (key) {
                case "dev" -> {
                    minor = value.startsWith("253:") ? number(value.substring(4)) : null;
                    if (minor == null) {
                        throw new BadLine("bad device number \"" + shorten(value) + "\" (want 253:N)");
                    }
                }
                case "uuid" -> {
                    uuid = unescape(value);
                    if (uuid == null || uuid.isEmpty()) {
                        throw new BadLine("bad uuid \"" + shorten(value) + "\"");
                    }
                }
                case "read-only" -> readOnly = yesNo(key, value);
                case "suspended" -> suspended = yesNo(key, value);
                case "event" -> {
                    Long n = value.startsWith("+") ? null : parseUnsigned32(value);
                    if (n == null) {
                        throw new BadLine("bad event number \"" + shorten(value) + "\"");
                    }
                    eventNr = (int) n.longValue(); // the kernel's u32 event_nr
                }
                case "live", "inactive" -> startTable(key, value);
                default -> throw new BadLine("unknown key \"" + shorten(key) + "\"");
            }
        }

        private void startTable(String key, String mode) throws BadLine {
            if (!mode.equals("rw") && !mode.equals("ro")) {
                throw new BadLine("\"" + key + "\" wants rw or ro, got \"" + shorten(mode) + "\"");
            }
            if (key.equals("live") ? live != null : inactive != null) {
                throw new BadLine("a second " + key + " table");
            }
            tableKey = key;
            tableReadOnly = mode.equals("ro");
            table = new ArrayList<>();
        }

        void tableLine(String escaped) throws BadLine {
            if (table == null) {
                throw new BadLine("a table line outside \"live\" or \"inactive\"");
            }
            String t = unescape(escaped);
            if (t == null) {
                throw new BadLine("bad escape in table line \"" + shorten(escaped.strip()) + "\"");
            }
            table.add(t);
        }

        private void endTable() throws BadLine {
            if (tableKey == null) {
                return;
            }
            if (table.isEmpty()) {
                throw new BadLine("the " + tableKey + " table has no lines");
            }
            SavedTable done = new SavedTable(tableReadOnly, table);
            if (tableKey.equals("live")) {
                live = done;
            } else {
                inactive = done;
            }
            tableKey = null;
            table = null;
        }

        SavedDevice finish(String name) throws BadLine {
            try {
                endTable();
            } catch (BadLine e) {
                throw new BadLine(e.getMessage(), true);
            }
            if (minor == null) {
                throw new BadLine("no \"dev 253:N\" line", true);
            }
            return new SavedDevice(name, uuid, minor, readOnly, suspended, eventNr, live, inactive);
        }
    }

    /** A line the parser cannot use; atBlockEnd when the block is already left behind. */
    private static final class BadLine extends Exception {
        final boolean atBlockEnd;

        BadLine(String message) {
            this(message, false);
        }

        BadLine(String message, boolean atBlockEnd) {
            super(message);
            this.atBlockEnd = atBlockEnd;
        }
    }

    private static boolean yesNo(String key, String value) throws BadLine {
        return switch (value) {
            case "yes" -> true;
            case "no" -> false;
            default -> throw new BadLine("\"" + key + "\" wants yes or no, got \"" + shorten(value) + "\"");
        };
    }

    /** A decimal 0..2^32-1, or null. */
    private static Long parseUnsigned32(String s) {
        try {
            return Integer.toUnsignedLong(Integer.parseUnsignedInt(s));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A non-negative decimal int, or null. */
    private static Integer number(String s) {
        if (s.isEmpty() || s.length() > 10 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        long n = Long.parseLong(s);
        return n > Integer.MAX_VALUE ? null : (int) n;
    }

    private static String shorten(String s) {
        String t = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        StringBuilder b = new StringBuilder();
        for (char c : t.toCharArray()) {
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }

    static String escape(String s, boolean spaces) {
        StringBuilder b = new StringBuilder(s.length());
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '\\') {
                b.append("\\\\");
            } else if (c < 0x20 || c == 0x7f || (spaces && c == ' ')) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Undoes {@link #escape}; null on a bad escape. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c != '\\') {
                b.append(c);
            } else if (k + 1 < s.length() && s.charAt(k + 1) == '\\') {
                b.append('\\');
                k++;
            } else if (k + 3 < s.length() && s.charAt(k + 1) == 'x'
                    && Character.digit(s.charAt(k + 2), 16) >= 0 && Character.digit(s.charAt(k + 3), 16) >= 0) {
                b.append((char) Integer.parseInt(s, k + 2, k + 4, 16));
                k += 3;
            } else {
                return null;
            }
        }
        return b.toString();
    }
}
