package jdm.logwrites;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * Replays a dm-log-writes log onto a file or block device, the job of xfstests' src/log-writes/replay-log: each
 * write record's data goes to its sector, a discard becomes zeros (what replay-log writes where BLKDISCARD is not
 * available, and what jdm's devices read back), flushes and marks change nothing.
 *
 * <p>Two ways in: the static {@link #replayTo} (up to an entry count or a mark) and {@link #stepThrough} (stop at
 * every FLUSH or FUA record and let the caller check the target there, the crash harness's loop); or an instance
 * ({@link #open}) to drive record by record with {@link #apply}.
 */
public final class LogReplay implements Closeable {
    /** Where a replay stops. */
    public sealed interface Stop {
        /** Replay every record. */
        static Stop none() {
            return new All();
        }

        /** Replay the first {@code n} records (replay-log's --limit). */
        static Stop afterEntries(long n) {
            return new AfterEntries(n);
        }

        /** Replay up to and including the first mark with this text (replay-log's --end-mark). */
        static Stop atMark(String label) {
            return new AtMark(label);
        }
    }

    public record All() implements Stop {
    }

    public record AfterEntries(long count) implements Stop {
    }

    public record AtMark(String label) implements Stop {
    }

    /** Which records are crash points: after each FLUSH, each FUA, or each of either. */
    public enum Point {
        FLUSH, FUA, FLUSH_OR_FUA;

        public boolean matches(LogEntry e) {
            return switch (this) {
                case FLUSH -> e.flush();
                case FUA -> e.fua();
                case FLUSH_OR_FUA -> e.flush() || e.fua();
            };
        }
    }

    /** Checks the target after the replay reached a crash point; returns false to stop stepping. */
    @FunctionalInterface
    public interface PointCheck {
        boolean at(LogEntry e) throws IOException, InterruptedException;
    }

    /** How a replay ended: records applied, the last one applied (null if none), and whether the stop was met. */
    public record Result(long replayed, LogEntry last, boolean stopReached) {
    }

    private static final int ZERO_CHUNK = 1 << 20;

    private final LogReader reader;
    private final FileChannel target;
    private final boolean discards;
    private ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);

    private LogReplay(LogReader reader, FileChannel target, boolean discards) {
        this.reader = reader;
        this.target = target;
        this.discards = discards;
    }

    /** Opens the log (checking its super) and the target for writing; discards are replayed as zeros. */
    public static LogReplay open(Path log, Path target) throws IOException {
        return open(log, target, true);
    }

    /** @param discards false to skip discard records (replay-log's --no-discard) */
    public static LogReplay open(Path log, Path target, boolean discards) throws IOException {
        LogReader r = LogReader.open(log);
        try {
            return new LogReplay(r, FileChannel.open(target, StandardOpenOption.WRITE), discards);
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
    }

    public LogReader reader() {
        return reader;
    }

    /** Applies one record to the target. */
    public void apply(LogEntry e) throws IOException {
        if (e.hasData()) {
            int len = Math.toIntExact(e.byteLength());
            if (buffer.capacity() < len) {
                buffer = ByteBuffer.allocateDirect(len);
            }
            buffer.clear().limit(len);
            reader.readData(e, buffer);
            writeFully(buffer.flip(), e.byteOffset());
        } else if (e.discard() && discards) {
            zero(e.byteOffset(), e.byteLength());
        }
    }

    /** Makes what was replayed durable on the target. */
    public void sync() throws IOException {
        target.force(false);
    }

    private void zero(long offset, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(length, ZERO_CHUNK));
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(length - done, zeros.capacity());
            writeFully(zeros.clear().limit(n), offset + done);
            done += n;
        }
    }

    private void writeFully(ByteBuffer b, long offset) throws IOException {
        long pos = offset;
        while (b.hasRemaining()) {
            pos += target.write(b, pos);
        }
    }

    /** Replays from the first record until {@code stop}, calling {@code atEach} after each record applied. */
    public static Result replayTo(Path log, Path target, Stop stop, Consumer<LogEntry> atEach) throws IOException {
        try (LogReplay r = open(log, target)) {
            long n = 0;
            LogEntry last = null;
            boolean reached = stop instanceof All;
            if (stop instanceof AfterEntries(long count) && count <= 0) {
                return new Result(0, null, true);
            }
            try {
                for (LogEntry e : r.reader) {
                    r.apply(e);
                    n++;
                    last = e;
                    atEach.accept(e);
                    if (stop instanceof AfterEntries(long count) && n >= count
                            || stop instanceof AtMark(String label) && e.mark() && label.equals(e.label())) {
                        reached = true;
                        break;
                    }
                }
            } catch (LogReader.LogException ex) {
                throw ex.getCause();
            }
            r.sync();
            return new Result(n, last, reached);
        }
    }

    /**
     * Replays record by record and calls {@code check} after each record that is a crash point of the given kind,
     * until the log ends or the check returns false.
     *
     * @return the number of crash points checked
     */
    public static long stepThrough(Path log, Path target, Point point, PointCheck check)
            throws IOException, InterruptedException {
        try (LogReplay r = open(log, target)) {
            long points = 0;
            try {
                for (LogEntry e : r.reader) {
                    r.apply(e);
                    if (point.matches(e)) {
                        points++;
                        if (!check.at(e)) {
                            break;
                        }
                    }
                }
            } catch (LogReader.LogException ex) {
                throw ex.getCause();
            }
            return points;
        }
    }

    @Override
    public void close() throws IOException {
        try (reader; target) {
            // both closed, the first failure reported
        }
    }
}
