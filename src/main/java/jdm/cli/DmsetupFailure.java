package jdm.cli;

import java.util.List;

/**
 * A dmsetup command that failed: the lines dmsetup would print on stderr, and whether "Command failed." follows
 * them (it does for a command that ran and failed, not for a command line that could not be processed).
 */
final class DmsetupFailure extends Exception {
    private final List<String> lines;
    private final boolean commandFailed;
    private final boolean usage;

    private DmsetupFailure(List<String> lines, boolean commandFailed, boolean usage) {
        super(String.join("\n", lines));
        this.lines = List.copyOf(lines);
        this.commandFailed = commandFailed;
        this.usage = usage;
    }

    /** A command that ran and failed: the lines, then "Command failed.". */
    static DmsetupFailure command(String... lines) {
        return new DmsetupFailure(List.of(lines), true, false);
    }

    /** A command line dmsetup refuses before running anything ("Couldn't process command line." etc.). */
    static DmsetupFailure commandLine(String... lines) {
        return new DmsetupFailure(List.of(lines), false, false);
    }

    /** Wrong number of arguments: the message, then the command's usage. */
    static DmsetupFailure arguments() {
        return new DmsetupFailure(List.of("Incorrect number of arguments."), false, true);
    }

    List<String> lines() {
        return lines;
    }

    boolean commandFailed() {
        return commandFailed;
    }

    boolean usage() {
        return usage;
    }
}
