package jdm.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.Callable;
import jdm.logwrites.LogEntry;
import jdm.logwrites.LogReader;
import jdm.logwrites.LogReplay;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * "jdm replay-log": replays a dm-log-writes log onto a device or file, with the options of xfstests'
 * src/log-writes/replay-log: up to an entry count (--limit), a mark (--end-mark) or the next FLUSH/FUA
 * (--next-flush, --next-fua), from an entry or a mark (--start-entry, --start-mark), running a check command at
 * every FLUSH or FUA point or every N entries (--check with --fsck, or its alias --check-cmd) and stopping at the
 * first failure with its entry number; --find prints where a stop lands (ENTRY@LOGSECTOR), --num-entries the
 * entry count; without --replay it prints the log's header.
 */
@Command(name = "replay-log", sortOptions = false,
        description = {"Replay a dm-log-writes log onto a device or file (xfstests' replay-log)."})
public final class ReplayLogCommand implements Callable<Integer> {
    @Option(names = "--log", required = true, paramLabel = "LOG", description = "The log (device or file).")
    Path log;

    @Option(names = "--replay", paramLabel = "DEV", description = "Replay onto this device or file.")
    Path replay;

    @Option(names = "--limit", paramLabel = "N", description = "Replay (or find) N entries.")
    long limit;

    @Option(names = "--next-flush", description = "Replay to (or find) the next flush.")
    boolean nextFlush;

    @Option(names = "--next-fua", description = "Replay to (or find) the next FUA.")
    boolean nextFua;

    @Option(names = "--start-entry", paramLabel = "N", description = "Start at entry N (the ones before are skipped).")
    long startEntry;

    @Option(names = "--start-mark", paramLabel = "MARK", description = "Start after this mark.")
    String startMark;

    @Option(names = "--end-mark", paramLabel = "MARK", description = "Replay to (or find) this mark.")
    String endMark;

    @Option(names = "--find", description = "Print ENTRY@LOGSECTOR where the stop options land, replay nothing.")
    boolean find;

    @Option(names = "--num-entries", description = "Print the number of entries in the log.")
    boolean numEntries;

    @Option(names = "--no-discard", description = "Skip discard entries (else they write zeros).")
    boolean noDiscard;

    @Option(names = {"--fsck", "--check-cmd"}, paramLabel = "CMD",
            description = "Command (run by /bin/sh) at each check point; needs --check. Its environment has"
                    + " JDM_REPLAY_ENTRY, the entry just replayed.")
    String checkCommand;

    @Option(names = "--check", paramLabel = "flush|fua|N",
            description = "When to run the --fsck command: after each flush, each FUA, or every N entries.")
    String check;

    @Option(names = "-v", description = "Print each entry replayed (-vv: also the ones skipped).")
    boolean[] verbose = new boolean[0];

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Spec
    CommandSpec spec;

    private PrintWriter out;
    private PrintWriter err;

    /** Thrown for a usage or run error; the message goes to stderr and the command exits 1. */
    private static final class Failure extends Exception {
        Failure(String message) {
            super(message);
        }
    }

    @Override
    public Integer call() {
        out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        try {
            return run();
        } catch (Failure | IOException e) {
            err.print("replay-log: " + e.getMessage() + "\n");
            return 1;
        } catch (LogReader.LogException e) {
            err.print("replay-log: " + e.getCause().getMessage() + "\n");
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.print("replay-log: interrupted\n");
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int run() throws Failure, IOException, InterruptedException {
        long checkEvery = parseCheck();
        if ((checkCommand == null) != (check == null)) {
            throw new Failure(check == null ? "--fsck needs --check flush|fua|N" : "--check needs --fsck CMD");
        }
        if (replay == null || find || numEntries) {
            try (LogReader r = LogReader.open(log)) {
                return inspect(r);
            }
        }
        try (LogReplay rp = LogReplay.open(log, replay, !noDiscard)) {
            return replay(rp, checkEvery);
        }
    }

    /** 0 for flush/fua checks or none, else N of "--check N". */
    private long parseCheck() throws Failure {
        if (check == null || check.equals("flush") || check.equals("fua")) {
            return 0;
        }
        try {
            long n = Long.parseLong(check);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new Failure("invalid --check '" + check + "': expected flush, fua or a number of entries > 0");
    }

    /** --num-entries, --find, or the log's header. */
    private int inspect(LogReader r) throws Failure {
        if (find) {
            Iterator<LogEntry> it = skipToStart(r);
            long n = 0;
            while (it.hasNext()) {
                LogEntry e = it.next();
                n++;
                if (limit > 0 && n == limit || stopsAt(e)) {
                    out.print(e.index() + "@" + e.nextOffset() / r.sectorSize() + "\n");
                    return 0;
                }
            }
            err.print("replay-log: Couldn't find entry\n");
            return 1;
        }
        if (numEntries) {
            out.print(r.entries() + "\n");
            return 0;
        }
        out.print("Log version=" + r.superBlock().version() + ", sectorsize=" + r.sectorSize() + ", entries="
                + r.entries() + "\n");
        return 0;
    }

    private int replay(LogReplay rp, long checkEvery) throws Failure, IOException, InterruptedException {
        Iterator<LogEntry> it = skipToStart(rp.reader());
        long n = 0;
        while (it.hasNext()) {
            LogEntry e = it.next();
            if (verbose.length > 0) {
                out.print(e.describe() + "\n");
            }
            rp.apply(e);
            n++;
            if (isCheckPoint(e, n, checkEvery) && !runCheck(rp, e)) {
                err.print("replay-log: Fsck errored out on entry " + e.index() + "\n");
                rp.sync();
                return 1;
            }
            if (limit > 0 && n == limit || stopsAt(e)) {
                break;
            }
        }
        rp.sync();
        return 0;
    }

    /** The iterator past the entries before --start-entry or up to and including --start-mark. */
    private Iterator<LogEntry> skipToStart(LogReader r) throws Failure {
        Iterator<LogEntry> it = r.iterator();
        if (startMark != null) {
            while (it.hasNext()) {
                LogEntry e = it.next();
                skipped(e);
                if (e.mark() && startMark.equals(e.label())) {
                    return it;
                }
            }
            throw new Failure("Couldn't find starting mark '" + startMark + "'");
        }
        for (long i = 0; i < startEntry; i++) {
            if (!it.hasNext()) {
                throw new Failure("--start-entry " + startEntry + " is past the log's " + r.entries() + " entries");
            }
            skipped(it.next());
        }
        return it;
    }

    private void skipped(LogEntry e) {
        if (verbose.length > 1) {
            out.print(e.describe().replaceFirst("^replaying", "skipping") + "\n");
        }
    }

    /** The stop conditions of replay-log's should_stop: the next flush, FUA, or the end mark. */
    private boolean stopsAt(LogEntry e) {
        return nextFlush && e.flush() || nextFua && e.fua()
                || endMark != null && e.mark() && endMark.equals(e.label());
    }

    private boolean isCheckPoint(LogEntry e, long n, long checkEvery) {
        if (checkCommand == null) {
            return false;
        }
        return checkEvery > 0 ? n % checkEvery == 0 : check.equals("flush") ? e.flush() : e.fua();
    }

    /** Makes the replay durable and runs the check command; true when it exits 0. */
    private boolean runCheck(LogReplay rp, LogEntry e) throws IOException, InterruptedException {
        rp.sync();
        out.flush();
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", checkCommand).inheritIO();
        pb.environment().put("JDM_REPLAY_ENTRY", Long.toString(e.index()));
        return pb.start().waitFor() == 0;
    }
}
