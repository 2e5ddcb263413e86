package jdm.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import jdm.cli.DmsetupReport.Field;
import jdm.cli.DmsetupReport.Row;

/**
 * A "-S/--select" criterion, the subset of libdm-report.c's selection grammar scripts use: comparisons
 * {@code FIELD OP VALUE} with =, !=, =~, !~ (regex, matched anywhere as regcomp does) and, for number fields, &lt;,
 * &lt;=, &gt;, &gt;=; joined by {@code &&} (or ',') and {@code ||}, negated by '!', grouped by parentheses. Values
 * may be quoted with ' or ".
 */
final class DmsetupSelection {
    private interface Node {
        boolean matches(Row r);
    }

    private final Node root;
    private final List<Field> fields;

    private DmsetupSelection(Node root, List<Field> fields) {
        this.root = root;
        this.fields = fields;
    }

    List<Field> fields() {
        return fields;
    }

    boolean matches(Row r) {
        return root.matches(r);
    }

    static DmsetupSelection parse(String text) throws DmsetupFailure {
        Parser p = new Parser(text);
        Node n = p.or();
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error();
        }
        return new DmsetupSelection(n, p.used);
    }

    private static final class Parser {
        final String s;
        int pos;
        final List<Field> used = new ArrayList<>();

        Parser(String s) {
            this.s = s;
        }

        DmsetupFailure error() {
            return DmsetupFailure.commandLine("Selection syntax error at '" + s.substring(Math.min(pos, s.length()))
                    + "'.", "Selection syntax error: " + s + ".");
        }

        void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        boolean eat(String t) {
            skipSpace();
            if (s.startsWith(t, pos)) {
                pos += t.length();
                return true;
            }
            return false;
        }

        Node or() throws DmsetupFailure {
            Node left = and();
            while (eat("||")) {
                Node l = left;
                Node r = and();
                left = row -> l.matches(row) || r.matches(row);
            }
            return left;
        }

        Node and() throws DmsetupFailure {
            Node left = unary();
            while (eat("&&") || eat(",")) {
                Node l = left;
                Node r = unary();
                left = row -> l.matches(row) && r.matches(row);
            }
            return left;
        }

        Node unary() throws DmsetupFailure {
            if (eat("!")) {
                Node n = unary();
                return row -> !n.matches(row);
            }
            if (eat("(")) {
                Node n = or();
                if (!eat(")")) {
                    throw error();
                }
                return n;
            }
            return comparison();
        }

        Node comparison() throws DmsetupFailure {
            skipSpace();
            int start = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
                pos++;
            }
            String name = s.substring(start, pos);
            if (name.isEmpty()) {
                throw error();
            }
            Field f = DmsetupReport.find(name);
            if (f == null) {
                List<String> lines = new ArrayList<>(DmsetupReport.help());
                lines.add(" ");
                lines.add("Unrecognised selection field: " + name);
                throw DmsetupFailure.commandLine(lines.toArray(String[]::new));
            }
            used.add(f);
            skipSpace();
            String op = null;
            for (String o : new String[] {"=~", "!~", "!=", "<=", ">=", "=", "<", ">"}) {
                if (s.startsWith(o, pos)) {
                    op = o;
                    pos += o.length();
                    break;
                }
            }
            if (op == null) {
                throw error();
            }
            String value = value();
            return compare(f, op, value);
        }

        String value() throws DmsetupFailure {
            skipSpace();
            if (pos < s.length() && (s.charAt(pos) == '\'' || s.charAt(pos) == '"')) {
                char q = s.charAt(pos);
                int end = s.indexOf(q, pos + 1);
                if (end < 0) {
                    throw error();
                }
                String v = s.substring(pos + 1, end);
                pos = end + 1;
                return v;
            }
            int start = pos;
            while (pos < s.length() && !Character.isWhitespace(s.charAt(pos)) && s.charAt(pos) != ')'
                    && s.charAt(pos) != ',' && !s.startsWith("&&", pos) && !s.startsWith("||", pos)) {
                pos++;
            }
            return s.substring(start, pos);
        }

        Node compare(Field f, String op, String value) throws DmsetupFailure {
            if (op.equals("=~") || op.equals("!~")) {
                Pattern p;
                try {
                    p = Pattern.compile(value);
                } catch (PatternSyntaxException e) {
                    throw DmsetupFailure.commandLine("Failed to parse regex: " + value);
                }
                boolean negate = op.equals("!~");
                return row -> p.matcher(f.format(row)).find() != negate;
            }
            if (f.number()) {
                long want;
                try {
                    want = Long.parseUnsignedLong(value);
                } catch (NumberFormatException e) {
                    throw DmsetupFailure.commandLine("Selection field \"" + f.id() + "\" is number type but value "
                            + "\"" + value + "\" is not a number.");
                }
                return row -> {
                    int c = Long.compareUnsigned((Long) f.value().apply(row), want);
                    return switch (op) {
                        case "=" -> c == 0;
                        case "!=" -> c != 0;
                        case "<" -> c < 0;
                        case "<=" -> c <= 0;
                        case ">" -> c > 0;
                        default -> c >= 0;
                    };
                };
            }
            return switch (op) {
                case "=" -> row -> f.format(row).equals(value);
                case "!=" -> row -> !f.format(row).equals(value);
                default -> {
                    yield row -> {
                        int c = DmsetupReport.compareBytes(f.format(row), value);
                        return switch (op) {
                            case "<" -> c < 0;
                            case "<=" -> c <= 0;
                            case ">" -> c > 0;
                            default -> c >= 0;
                        };
                    };
                }
            };
        }
    }
}
