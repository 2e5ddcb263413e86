package jdm.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * glibc's getopt_long in RETURN_IN_ORDER mode (an option string starting with '-'), as mdadm drives it: every
 * argument that is not an option comes back, in place, as option 1 with the argument as its value; "--" ends the
 * scan; a long option may be abbreviated to a unique prefix. The short option string may change between calls
 * (mdadm switches it with the mode). Errors come back as '?' (or ':' is never used: mdadm's string does not start
 * with ':') after glibc's message for it has been recorded in {@link #error()}.
 */
final class GetoptLong {
    /** One long option: its name, whether it takes an argument (0 no, 1 required, 2 optional), its code. */
    record LongOption(String name, int hasArg, int val) {
    }

    static final int NON_OPTION = 1;
    static final int END = -1;
    static final int ERROR = '?';

    private final String prog;
    private final String[] argv;
    private final List<LongOption> longOptions;
    private int optind;
    /** Where we are inside a cluster of short options ("-CR"), or 0 when between arguments. */
    private int nextChar;
    private String optarg;
    private int longIndex = -1;
    private String error;

    GetoptLong(String prog, String[] argv, List<LongOption> longOptions) {
        this.prog = prog;
        this.argv = argv;
        this.longOptions = longOptions;
    }

    /** The argument of the last option, or the non-option argument itself. */
    String optarg() {
        return optarg;
    }

    /** The long option the last result came from, or -1 for a short one. */
    int longIndex() {
        return longIndex;
    }

    LongOption longOption(int index) {
        return longOptions.get(index);
    }

    /** glibc's message for the last '?' (without the newline). */
    String error() {
        return error;
    }

    /** The next option under shortOptions (e.g. "-ABC...l:..."), or {@link #END}. */
    int next(String shortOptions) {
        optarg = null;
        longIndex = -1;
        error = null;
        if (nextChar == 0) {
            if (optind >= argv.length) {
                return END;
            }
            String arg = argv[optind];
            if (arg.equals("--")) {
                optind = argv.length;
                return END;
            }
            if (!arg.startsWith("-") || arg.length() == 1) {
                optind++;
                optarg = arg;
                return NON_OPTION;
            }
            if (arg.startsWith("--")) {
                optind++;
                return longOption(arg.substring(2));
            }
            nextChar = 1;
        }
        String arg = argv[optind];
        char c = arg.charAt(nextChar++);
        boolean last = nextChar >= arg.length();
        int at = c == ':' || c == '-' ? -1 : shortOptions.indexOf(c);
        if (at < 0) {
            finishCluster(last);
            error = prog + ": invalid option -- '" + c + "'";
            return ERROR;
        }
        boolean takesArg = at + 1 < shortOptions.length() && shortOptions.charAt(at + 1) == ':';
        boolean optional = takesArg && at + 2 < shortOptions.length() && shortOptions.charAt(at + 2) == ':';
        if (!takesArg) {
            finishCluster(last);
            return c;
        }
        if (!last) {
            optarg = arg.substring(nextChar);
            nextChar = 0;
            optind++;
            return c;
        }
        nextChar = 0;
        optind++;
        if (optional) {
            return c;
        }
        if (optind >= argv.length) {
            error = prog + ": option requires an argument -- '" + c + "'";
            return ERROR;
        }
        optarg = argv[optind++];
        return c;
    }

    private void finishCluster(boolean last) {
        if (last) {
            nextChar = 0;
            optind++;
        }
    }

    private int longOption(String body) {
        int eq = body.indexOf('=');
        String name = eq < 0 ? body : body.substring(0, eq);
        int found = -1;
        List<Integer> ambiguous = new ArrayList<>();
        for (int i = 0; i < longOptions.size(); i++) {
            LongOption o = longOptions.get(i);
            if (!o.name().startsWith(name)) {
                continue;
            }
            if (o.name().length() == name.length()) {
                found = i;
                ambiguous.clear();
                break;
            }
            if (found < 0) {
                found = i;
            } else {
                LongOption f = longOptions.get(found);
                if (f.hasArg() != o.hasArg() || f.val() != o.val()) {
                    if (ambiguous.isEmpty()) {
                        ambiguous.add(found);
                    }
                    ambiguous.add(i);
                }
            }
        }
        if (!ambiguous.isEmpty()) {
            StringBuilder b = new StringBuilder(prog + ": option '--" + name + "' is ambiguous; possibilities:");
            for (int i : ambiguous) {
                b.append(" '--").append(longOptions.get(i).name()).append("'");
            }
            error = b.toString();
            return ERROR;
        }
        if (found < 0) {
            error = prog + ": unrecognized option '--" + body + "'";
            return ERROR;
        }
        LongOption o = longOptions.get(found);
        longIndex = found;
        if (eq >= 0) {
            if (o.hasArg() == 0) {
                error = prog + ": option '--" + o.name() + "' doesn't allow an argument";
                return ERROR;
            }
            optarg = body.substring(eq + 1);
        } else if (o.hasArg() == 1) {
            if (optind >= argv.length) {
                error = prog + ": option '--" + o.name() + "' requires an argument";
                return ERROR;
            }
            optarg = argv[optind++];
        }
        return o.val();
    }
}
