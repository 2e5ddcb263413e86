package jdm.logwrites;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdm.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class LogWritesFormatTest {
    @TempDir
    Path dir;

    private static ByteBuffer filled(int bytes, int value) {
        byte[] b = new byte[bytes];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    private LogWriter writerOn(Path log, int sectorSize) throws IOException {
        FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE);
        return new LogWriter((off, data) -> {
            while (data.hasRemaining()) {
                off += ch.write(data, off);
            }
        }, sectorSize, Files.size(log) >> 9);
    }

    /** write 2 sectors of 0xaa at 8, a FUA write of 1 sector 0xbb at 0, a discard of 8..9, a flush, a mark. */
    private Path sampleLog(int sectorSize) throws IOException {
        Path log = TestFiles.sized(dir, "log", 1 << 20);
        LogWriter w = writerOn(log, sectorSize);
        w.append(8, 2, 0, filled(2 * sectorSize, 0xaa));
        w.append(0, 1, LogFormat.FUA, filled(sectorSize, 0xbb));
        w.append(8, 1, LogFormat.DISCARD, null);
        w.append(0, 0, LogFormat.FLUSH, null);
        w.mark("one");
        return log;
    }

    @Test
    void theSuperSitsAtSectorZeroInTheKernelsLayout() throws IOException {
        Path log = sampleLog(512);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(log)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getLong(0)).isEqualTo(0x6a736677736872L);
        assertThat(b.getLong(8)).isEqualTo(1);
        assertThat(b.getLong(16)).isEqualTo(5);
        assertThat(b.getInt(24)).isEqualTo(512);
        // first entry at sector 1: sector 8, 2 sectors, no flags, data_len 0, then its data at sectors 2-3
        assertThat(b.getLong(512)).isEqualTo(8);
        assertThat(b.getLong(520)).isEqualTo(2);
        assertThat(b.getLong(528)).isEqualTo(0);
        assertThat(b.getLong(536)).isEqualTo(0);
        assertThat(b.get(1024)).isEqualTo((byte) 0xaa);
        assertThat(b.get(2047)).isEqualTo((byte) 0xaa);
        // second entry at sector 4 (FUA), data at 5; discard at 6 (no data); flush at 7; mark at 8 with its text
        assertThat(b.getLong(4 * 512 + 16)).isEqualTo(LogFormat.FUA);
        assertThat(b.getLong(6 * 512 + 16)).isEqualTo(LogFormat.DISCARD);
        assertThat(b.getLong(7 * 512 + 16)).isEqualTo(LogFormat.FLUSH);
        assertThat(b.getLong(8 * 512 + 16)).isEqualTo(LogFormat.MARK);
        assertThat(b.getLong(8 * 512 + 24)).isEqualTo(3);
        assertThat(new String(Arrays.copyOfRange(b.array(), 8 * 512 + 32, 8 * 512 + 36))).isEqualTo("one\0");
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void theReaderYieldsTheRecordsInOrder(int sectorSize) throws IOException {
        Path log = sampleLog(sectorSize);
        List<LogEntry> entries = new ArrayList<>();
        try (LogReader r = LogReader.open(log)) {
            assertThat(r.entries()).isEqualTo(5);
            assertThat(r.sectorSize()).isEqualTo(sectorSize);
            r.forEach(entries::add);
            ByteBuffer data = ByteBuffer.allocate(2 * sectorSize);
            r.readData(entries.get(0), data);
            assertThat(data.position()).isEqualTo(2 * sectorSize);
            assertThat(data.array()).containsOnly((byte) 0xaa);
        }
        assertThat(entries).extracting(LogEntry::index).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(entries).extracting(LogEntry::sector).containsExactly(8L, 0L, 8L, 0L, 0L);
        assertThat(entries).extracting(LogEntry::nrSectors).containsExactly(2L, 1L, 1L, 0L, 0L);
        assertThat(entries.get(1).fua()).isTrue();
        assertThat(entries.get(2).discard()).isTrue();
        assertThat(entries.get(3).flush()).isTrue();
        assertThat(entries.get(4).mark()).isTrue();
        assertThat(entries.get(4).label()).isEqualTo("one");
        assertThat(entries.get(0).label()).isNull();
        assertThat(entries.get(0).dataOffset()).isEqualTo(2L * sectorSize);
    }

    @Test
    void theSuperCountsOnlyUpToTheLastFuaOrMark() throws IOException {
        Path log = TestFiles.sized(dir, "log", 1 << 20);
        LogWriter w = writerOn(log, 512);
        w.append(0, 1, LogFormat.FUA, filled(512, 1));
        w.append(1, 1, 0, filled(512, 2));
        w.append(0, 0, LogFormat.FLUSH, null);
        assertThat(w.loggedEntries()).isEqualTo(3);
        try (LogReader r = LogReader.open(log)) {
            assertThat(r.entries()).isEqualTo(1);
        }
    }

    @Test
    void aLongMarkIsCutAsTheKernelCutsIt() throws IOException {
        Path log = TestFiles.sized(dir, "log", 1 << 20);
        writerOn(log, 512).mark("x".repeat(600));
        try (LogReader r = LogReader.open(log)) {
            assertThat(r.iterator().next().label()).hasSize(479);
        }
    }

    @Test
    void loggingStopsWhenTheLogDeviceIsFull() throws IOException {
        Path log = TestFiles.sized(dir, "log", 8 * 512);
        LogWriter w = writerOn(log, 512);
        assertThat(w.append(0, 2, 0, filled(1024, 1))).isTrue(); // sectors 1-3, next 4
        assertThat(w.append(0, 2, 0, filled(1024, 1))).isTrue(); // sectors 4-6, next 7
        assertThat(w.append(0, 1, 0, filled(512, 1))).isFalse(); // would make next 9 >= 8
        assertThat(w.enabled()).isFalse();
        assertThat(w.append(0, 0, LogFormat.FLUSH, null)).isFalse();
        assertThat(w.loggedEntries()).isEqualTo(2);
    }

    @Test
    void aBadMagicIsNamed() throws IOException {
        Path log = TestFiles.sized(dir, "log", 4096);
        assertThatThrownBy(() -> LogReader.open(log)).isInstanceOf(IOException.class)
                .hasMessage(log + ": not a dm-log-writes log: super magic is 0x0, expected 0x6a736677736872");
    }

    @Test
    void aBadVersionIsNamed() throws IOException {
        Path log = sampleLog(512);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 2), 8);
        }
        assertThatThrownBy(() -> LogReader.open(log))
                .hasMessage(log + ": unsupported dm-log-writes log version 2, expected 1");
    }

    @Test
    void aTruncatedLogIsAnError() throws IOException {
        Path log = sampleLog(512);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.truncate(3 * 512);
        }
        Path target = TestFiles.sized(dir, "t", 8192);
        assertThatThrownBy(() -> LogReplay.replayTo(log, target, LogReplay.Stop.none(), e -> { }))
                .isInstanceOf(IOException.class).hasMessageContaining("log ends at byte 1536");
    }

    @Test
    void replayAppliesWritesAndDiscardsUpToALimit() throws IOException {
        Path log = sampleLog(512);
        Path target = TestFiles.sized(dir, "t", 8192);
        Files.write(target, filled(8192, 0x11).array());
        LogReplay.Result r = LogReplay.replayTo(log, target, LogReplay.Stop.afterEntries(2), e -> { });
        assertThat(r.replayed()).isEqualTo(2);
        assertThat(r.stopReached()).isTrue();
        byte[] b = Files.readAllBytes(target);
        assertThat(Arrays.copyOfRange(b, 0, 512)).containsOnly((byte) 0xbb);
        assertThat(Arrays.copyOfRange(b, 512, 4096)).containsOnly((byte) 0x11);
        assertThat(Arrays.copyOfRange(b, 4096, 5120)).containsOnly((byte) 0xaa);

        LogReplay.replayTo(log, target, LogReplay.Stop.atMark("one"), e -> { });
        b = Files.readAllBytes(target);
        assertThat(Arrays.copyOfRange(b, 4096, 4608)).containsOnly((byte) 0); // discarded
        assertThat(Arrays.copyOfRange(b, 4608, 5120)).containsOnly((byte) 0xaa);
    }

    @Test
    void anUnknownMarkReplaysEverythingAndSaysItWasNotFound() throws IOException {
        Path log = sampleLog(512);
        Path target = TestFiles.sized(dir, "t", 8192);
        List<Long> seen = new ArrayList<>();
        LogReplay.Result r = LogReplay.replayTo(log, target, LogReplay.Stop.atMark("two"), e -> seen.add(e.index()));
        assertThat(r.stopReached()).isFalse();
        assertThat(r.replayed()).isEqualTo(5);
        assertThat(seen).containsExactly(0L, 1L, 2L, 3L, 4L);
    }

    @Test
    void steppingStopsAtEachCrashPointWithTheTargetUpToIt() throws IOException, InterruptedException {
        Path log = sampleLog(512);
        Path target = TestFiles.sized(dir, "t", 8192);
        List<String> seen = new ArrayList<>();
        long fua = LogReplay.stepThrough(log, target, LogReplay.Point.FUA, e -> {
            byte[] b = Files.readAllBytes(target);
            seen.add(e.index() + ":" + b[0] + "," + b[4096]);
            return true;
        });
        assertThat(fua).isEqualTo(1);
        assertThat(seen).containsExactly("1:-69,-86");
        long flush = LogReplay.stepThrough(log, target, LogReplay.Point.FLUSH, e -> false);
        assertThat(flush).isEqualTo(1);
        List<Long> either = new ArrayList<>();
        assertThat(LogReplay.stepThrough(log, target, LogReplay.Point.FLUSH_OR_FUA, e -> either.add(e.index())))
                .isEqualTo(2);
        assertThat(either).containsExactly(1L, 3L);
    }
}
