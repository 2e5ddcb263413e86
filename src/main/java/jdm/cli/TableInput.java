package jdm.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads table text as dmsetup does before it sends anything (lvm2 tools/dmsetup.c, _parse_line): each line is
 * trimmed; empty lines and lines starting with '#' are skipped; the rest is read with
 * {@code sscanf("%llu %llu %s %n")} into start, length and type, and the parameters end at the first '#'. A line
 * that does not scan is refused here with dmsetup's message; everything else is the daemon's to judge.
 *
 * <p>The text sent on keeps one line per input line (skipped lines become empty), so the daemon's "line N" in
 * errors is the line of the user's table.
 */
final class TableInput {
    /** The table to send and how many targets it has (0: no table at all, as for empty stdin). */
    record Parsed(String text, int targets) {
    }

    private TableInput() {
    }

    /**
     * @param source how dmsetup names the table in "Invalid format on line N of table SOURCE.": "" for --table, the
     *               file name, or "on stdin"
     */
    static Parsed parse(String input, String source) throws DmsetupFailure {
        String[] lines = input.split("\n", -1);
        List<String> out = new ArrayList<>(lines.length);
        int targets = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = trim(lines[i]);
            if (line.isEmpty() || line.charAt(0) == '#') {
                out.add("");
                continue;
            }
            Scanner s = new Scanner(line);
            String start = s.unsignedLongLong();
            String length = start == null ? null : s.unsignedLongLong();
            String type = length == null ? null : s.word();
            if (type == null) {
                throw DmsetupFailure.command("Invalid format on line " + (i + 1) + " of table " + source + ".");
            }
            String params = s.rest();
            int comment = params.indexOf('#');
            if (comment >= 0) {
                params = params.substring(0, comment);
            }
            out.add(start + " " + length + " " + type + " " + params);
            targets++;
        }
        // drop the empty line a final newline leaves, keeping the line numbers of everything before it
        while (!out.isEmpty() && out.getLast().isEmpty()) {
            out.removeLast();
        }
        return new Parsed(String.join("\n", out), targets);
    }

    /** C isspace in the "C" locale. */
    static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000b' || c == '\f' || c == '\r';
    }

    private static String trim(String s) {
        int b = 0;
        int e = s.length();
        while (b < e && isSpace(s.charAt(b))) {
            b++;
        }
        while (e > b && isSpace(s.charAt(e - 1))) {
            e--;
        }
        return s.substring(b, e);
    }

    /** The few sscanf conversions _parse_line uses. */
    private static final class Scanner {
        private final String s;
        private int pos;

        Scanner(String s) {
            this.s = s;
        }

        private void skipSpace() {
            while (pos < s.length() && isSpace(s.charAt(pos))) {
                pos++;
            }
        }

        /**
         * %llu: optional sign and decimal digits, as strtoull: a value too large saturates at 2^64-1 and a minus sign
         * negates modulo 2^64. Returns the value as an unsigned decimal string, or null when no digits follow.
         */
        String unsignedLongLong() {
            skipSpace();
            boolean negative = false;
            if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
                negative = s.charAt(pos) == '-';
                pos++;
            }
            int digits = pos;
            long v = 0;
            boolean overflow = false;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
                int d = s.charAt(pos++) - '0';
                if (Long.compareUnsigned(v, Long.divideUnsigned(-1L - d, 10)) > 0) {
                    overflow = true;
                } else {
                    v = v * 10 + d;
                }
            }
            if (pos == digits) {
                return null;
            }
            if (overflow) {
                return Long.toUnsignedString(-1L);
            }
            return Long.toUnsignedString(negative ? -v : v);
        }

        /** %s: a run of non-space characters, or null when there is none. */
        String word() {
            skipSpace();
            int b = pos;
            while (pos < s.length() && !isSpace(s.charAt(pos))) {
                pos++;
            }
            return pos == b ? null : s.substring(b, pos);
        }

        /** " %n": what follows after skipping spaces. */
        String rest() {
            skipSpace();
            return s.substring(pos);
        }
    }
}
