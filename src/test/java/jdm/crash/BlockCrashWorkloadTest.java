package jdm.crash;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import jdm.daemon.Daemon;
import jdm.dm.targets.BuiltinTargets;
import jdm.logwrites.LogEntry;
import jdm.logwrites.LogReader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The block workload's checker against logs with a known defect: a harness that passes everything proves nothing.
 * A real run is recorded, then its log is damaged the way a broken device or target would damage it, and the
 * check must report it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BlockCrashWorkloadTest {
    @TempDir
    Path dir;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CrashReport report;

    @BeforeEach
    void needsLogWrites() {
        Assumptions.assumeTrue(BuiltinTargets.registry().find("log-writes") != null, "no log-writes target yet");
        report = new CrashReport(new PrintStream(out, true, StandardCharsets.UTF_8), false, 1);
    }

    BlockCrashWorkload.Recorded recordAndCheck(BlockCrashWorkload w) throws Exception {
        BlockCrashWorkload.Recorded r = w.record(0, 400, new AtomicLong());
        w.check(r);
        assertThat(report.violations()).as(out.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(report.points()).isGreaterThan(50);
        return r;
    }

    @Test
    void aWriteLostBeforeAFlushIsReportedAtThatFlushAndAfter() throws Exception {
        try (Daemon d = Daemon.start(new Daemon.Listen(dir.resolve("nbd.sock"), null, 0, null))) {
            BlockCrashWorkload w = new BlockCrashWorkload(d, dir, report, 5);
            BlockCrashWorkload.Recorded r = recordAndCheck(w);
            // Zero the data of the last ordinary write logged before the first FLUSH record (the first FLUSH covers
            // at least one write: the workload sent it after a dozen writes on its connection).
            LogEntry victim = null;
            try (LogReader log = LogReader.open(r.log())) {
                for (LogEntry e : log) {
                    if (e.flush()) {
                        break;
                    }
                    if (e.hasData() && !e.fua()) {
                        victim = e;
                    }
                }
            }
            assertThat(victim).isNotNull();
            try (FileChannel ch = FileChannel.open(r.log(), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate((int) victim.byteLength()), victim.dataOffset());
            }
            long pointsBefore = report.points();
            w.check(r);
            assertThat(report.points() - pointsBefore).isGreaterThan(50);
            assertThat(report.violationTexts()).isNotEmpty()
                    .anyMatch(v -> v.matches("block: at log entry \\d+ \\(FLUSH\\): block \\d+ lost acknowledged"
                            + " write \\d+ \\(reads (zeroes|older write \\d+)\\)"));
        }
    }

    @Test
    void aBlockWrittenToTheWrongPlaceIsReportedAsBytesNoWritePutThere() throws Exception {
        try (Daemon d = Daemon.start(new Daemon.Listen(dir.resolve("nbd.sock"), null, 0, null))) {
            BlockCrashWorkload w = new BlockCrashWorkload(d, dir, report, 6);
            BlockCrashWorkload.Recorded r = recordAndCheck(w);
            // Move the first write record one block further on the volume, as a mapping bug would.
            LogEntry first = null;
            try (LogReader log = LogReader.open(r.log())) {
                for (LogEntry e : log) {
                    if (e.hasData()) {
                        first = e;
                        break;
                    }
                }
            }
            assertThat(first).isNotNull();
            long entryOffset = first.dataOffset() - 512; // the record's sector holds the entry, then its data
            try (FileChannel ch = FileChannel.open(r.log(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer sector = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                ch.read(sector, entryOffset);
                long moved = sector.getLong(0) + BlockPattern.BLOCK_BYTES / 512;
                ch.write(ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, moved),
                        entryOffset);
            }
            w.check(r);
            assertThat(report.violationTexts()).anyMatch(v -> v.contains("holds bytes no write put there"));
        }
    }
}
