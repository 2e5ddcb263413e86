package jdm.dm;

import java.util.ArrayList;
import java.util.List;

/**
 * One line of a table as dmsetup reads it: {@code <start> <length> <target_type> [<params>...]}. Blank lines and
 * lines starting with '#' are skipped; params are split on white space with backslash escapes, as the kernel's
 * dm_split_args.
 *
 * @param lineNo 1-based line number in the text, for error messages
 * @param params the parameter text as given (kept for errors), argv the words it splits into
 */
public record TableLine(int lineNo, long startSector, long lengthSectors, String type, String params, String[] argv) {

    /** Parses a whole table text; throws EINVAL naming the line that is malformed. */
    public static List<TableLine> parse(String text) throws DmException {
        List<TableLine> lines = new ArrayList<>();
        String[] raw = text.split("\n", -1);
        for (int i = 0; i < raw.length; i++) {
            String line = raw[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] head = line.split("\\s+", 4);
            if (head.length < 3) {
                throw DmException.invalid("line " + (i + 1) + ": Invalid format: want <start> <length> <target_type>"
                        + " [<params>], got \"" + line + "\"");
            }
            long start = TargetArgs.parseSector(head[0]);
            long length = TargetArgs.parseSector(head[1]);
            if (start < 0 || length < 0) {
                throw DmException.invalid("line " + (i + 1) + ": Invalid format: start and length must be "
                        + "unsigned sector counts, got \"" + head[0] + "\" and \"" + head[1] + "\"");
            }
            String params = head.length > 3 ? head[3] : "";
            lines.add(new TableLine(i + 1, start, length, head[2], params, splitArgs(params)));
        }
        return lines;
    }

    /** Splits on white space; a backslash makes the next character literal (dm_split_args). */
    public static String[] splitArgs(String params) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < params.length(); i++) {
            char c = params.charAt(i);
            if (c == '\\' && i + 1 < params.length()) {
                w.append(params.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
            } else {
                w.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(w.toString());
        }
        return words.toArray(String[]::new);
    }
}
