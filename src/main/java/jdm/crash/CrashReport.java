package jdm.crash;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts the crash points checked and the violations found, prints each violation as it is found (the first
 * {@link #SHOWN} of them), and on a terminal keeps a progress bar on the last line, redrawn in place.
 */
public final class CrashReport {
    static final int SHOWN = 20;
    private static final int BAR = 30;

    private final PrintStream out;
    private final boolean terminal;
    private final long goal;
    private final List<String> violations = new ArrayList<>();
    private long points;
    private boolean barShown;

    public CrashReport(PrintStream out, boolean terminal, long goal) {
        this.out = out;
        this.terminal = terminal;
        this.goal = Math.max(1, goal);
    }

    public synchronized void point(String workload) {
        points++;
        if (terminal && (points % 4 == 0 || points == goal)) {
            long filled = Math.min(BAR, points * BAR / goal);
            out.print("\r[" + "#".repeat((int) filled) + " ".repeat((int) (BAR - filled)) + "] " + points + "/"
                    + goal + " crash points (" + workload + ")   ");
            out.flush();
            barShown = true;
        }
    }

    public synchronized void violation(String workload, String text) {
        violations.add(workload + ": " + text);
        if (violations.size() <= SHOWN) {
            line("violation: " + workload + ": " + text);
        } else if (violations.size() == SHOWN + 1) {
            line("(further violations are counted, not shown)");
        }
    }

    /** Prints a line, first clearing the progress bar if one is showing. */
    public synchronized void line(String text) {
        if (barShown) {
            out.print("\r" + " ".repeat(BAR + 60) + "\r");
            barShown = false;
        }
        out.println(text);
        out.flush();
    }

    public synchronized long points() {
        return points;
    }

    public synchronized int violations() {
        return violations.size();
    }

    public synchronized List<String> violationTexts() {
        return List.copyOf(violations);
    }

    /** The last line of a run. */
    public synchronized String summary() {
        return points + " crash points checked, " + violations.size() + " violations";
    }
}
