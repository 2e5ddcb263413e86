package jdm.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import jdm.Main;
import jdm.logwrites.LogFormat;
import jdm.logwrites.LogWriter;
import jdm.testing.TestFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** "jdm replay-log" as xfstests' replay-log: limits, marks, flush/FUA stops, find, checks at each point, errors. */
@Timeout(60)
class ReplayLogCommandTest {
    @TempDir
    Path dir;
    Path log;
    Path dev;
    String out;
    String err;

    /**
     * Entries: 0 write A@0 (1), 1 write B@1 (2), 2 FLUSH, 3 mark "one", 4 FUA write C@2 (3), 5 discard 0+1,
     * 6 FLUSH, 7 mark "two".
     */
    @BeforeEach
    void writeLog() throws IOException {
        log = TestFiles.sized(dir, "log", 1 << 20);
        dev = TestFiles.sized(dir, "dev", 64 * 512);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
            LogWriter w = new LogWriter((off, data) -> {
                while (data.hasRemaining()) {
                    off += ch.write(data, off);
                }
            }, 512, 2048);
            w.append(0, 1, 0, sector(1));
            w.append(1, 1, 0, sector(2));
            w.append(0, 0, LogFormat.FLUSH, null);
            w.mark("one");
            w.append(2, 1, LogFormat.FUA, sector(3));
            w.append(0, 1, LogFormat.DISCARD, null);
            w.append(0, 0, LogFormat.FLUSH, null);
            w.mark("two");
        }
    }

    private static ByteBuffer sector(int value) {
        byte[] b = new byte[512];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    private int run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(o)).setErr(new PrintWriter(e));
        String[] all = new String[args.length + 1];
        all[0] = "replay-log";
        System.arraycopy(args, 0, all, 1, args.length);
        int rc = cl.execute(all);
        out = o.toString();
        err = e.toString();
        return rc;
    }

    /** The first byte of each of the first 3 sectors of the replay device. */
    private String firstSectors() throws IOException {
        byte[] b = Files.readAllBytes(dev);
        return b[0] + "," + b[512] + "," + b[1024];
    }

    @Test
    void withoutAReplayDeviceItPrintsTheLogsHeader() {
        assertThat(run("--log", log.toString())).isZero();
        assertThat(out).isEqualTo("Log version=1, sectorsize=512, entries=8\n");
        assertThat(run("--log", log.toString(), "--num-entries")).isZero();
        assertThat(out).isEqualTo("8\n");
    }

    @Test
    void replaysUpToALimitAMarkOrTheNextFlush() throws IOException {
        assertThat(run("--log", log.toString(), "--replay", dev.toString(), "--limit", "1")).isZero();
        assertThat(firstSectors()).isEqualTo("1,0,0");
        assertThat(run("--log", log.toString(), "--replay", dev.toString(), "--next-fua")).isZero();
        assertThat(firstSectors()).isEqualTo("1,2,3");
        assertThat(run("--log", log.toString(), "--replay", dev.toString(), "--end-mark", "two")).isZero();
        assertThat(firstSectors()).isEqualTo("0,2,3");
    }

    @Test
    void startsAfterAMarkOrAtAnEntry() throws IOException {
        assertThat(run("--log", log.toString(), "--replay", dev.toString(), "--start-mark", "one", "--limit",
                "1")).isZero();
        assertThat(firstSectors()).isEqualTo("0,0,3");
        assertThat(run("--log", log.toString(), "--replay", dev.toString(), "--start-entry", "1", "--next-flush",
                "-v")).isZero();
        assertThat(firstSectors()).isEqualTo("0,2,3");
        assertThat(out).isEqualTo("replaying 1@3: sector 1, size 512, flags 0()\n"
                + "replaying 2@5: sector 0, size 0, flags 1(FLUSH)\n");
    }

    @Test
    void findPrintsTheEntryAndTheLogSectorAfterIt() {
        assertThat(run("--log", log.toString(), "--find", "--end-mark", "one")).isZero();
        assertThat(out).isEqualTo("3@7\n");
        assertThat(run("--log", log.toString(), "--find", "--next-fua")).isZero();
        assertThat(out).isEqualTo("4@9\n");
        assertThat(run("--log", log.toString(), "--find", "--end-mark", "nope")).isEqualTo(1);
        assertThat(err).isEqualTo("replay-log: Couldn't find entry\n");
    }

    @Test
    void runsTheCheckAtEachFlushAndStopsAtTheFirstFailure() throws IOException {
        Path seen = dir.resolve("seen");
        String cmd = "echo $JDM_REPLAY_ENTRY >> " + seen;
        assertThat(run("--log", log.toString(), "--replay", dev.toString(), "--check", "flush", "--fsck", cmd))
                .isZero();
        assertThat(Files.readString(seen)).isEqualTo("2\n6\n");
        Files.delete(seen);
        Files.write(dev, new byte[64 * 512]);
        // fails once sector 2 holds C (from entry 4 on)
        String failing = "echo $JDM_REPLAY_ENTRY >> " + seen + "; test \"$(od -An -tu1 -j1024 -N1 " + dev
                + " | tr -d ' ')\" != 3";
        assertThat(run("--log", log.toString(), "--replay", dev.toString(), "--check", "1", "--check-cmd",
                failing)).isEqualTo(1);
        assertThat(Files.readString(seen)).isEqualTo("0\n1\n2\n3\n4\n");
        assertThat(err).isEqualTo("replay-log: Fsck errored out on entry 4\n");
    }

    @Test
    void aBadSuperIsNamed() throws IOException {
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 7), 8);
        }
        assertThat(run("--log", log.toString(), "--replay", dev.toString())).isEqualTo(1);
        assertThat(err).isEqualTo("replay-log: " + log + ": unsupported dm-log-writes log version 7, expected 1\n");
        Path zero = TestFiles.sized(dir, "zero", 4096);
        assertThat(run("--log", zero.toString())).isEqualTo(1);
        assertThat(err).isEqualTo("replay-log: " + zero
                + ": not a dm-log-writes log: super magic is 0x0, expected 0x6a736677736872\n");
    }

    @Test
    void checkAndFsckGoTogether() {
        assertThat(run("--log", log.toString(), "--replay", dev.toString(), "--check", "flush")).isEqualTo(1);
        assertThat(err).isEqualTo("replay-log: --check needs --fsck CMD\n");
        assertThat(run("--log", log.toString(), "--replay", dev.toString(), "--check", "0", "--fsck", "true"))
                .isEqualTo(1);
        assertThat(err).startsWith("replay-log: invalid --check '0'");
    }
}
