package jdm.dm.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.dm.DmException;
import jdm.dm.MappedDevice;
import jdm.dm.StatusType;
import jdm.logwrites.LogEntry;
import jdm.logwrites.LogFormat;
import jdm.logwrites.LogReader;
import jdm.logwrites.LogReplay;
import jdm.testing.FaultyDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** log-writes under the target contract, plus the log it writes: order, flags, marks, super, status counters. */
@Timeout(60)
class LogWritesTargetTest extends TargetContractTest {
    @Override
    protected String type() {
        return "log-writes";
    }

    @Override
    protected List<Geometry> geometries() {
        return List.of(new Geometry(1024, "8:0 8:1"), new Geometry(2048, "8:2 8:3"));
    }

    @Override
    protected Map<String, String> badParams() {
        return Map.of(
                "", "Invalid argument count",
                "8:0", "Invalid argument count",
                "8:9 8:1", "Device lookup failed",
                "8:0 8:9", "Log device lookup failed");
    }

    @Override
    protected Data data() {
        return Data.STORES;
    }

    /**
     * As the contract's, for the data device only: the kernel's iterate_devices names just the data device, and the
     * log device's writes come from the log thread, not from mapping.
     */
    @Override
    @Test
    void iterateDevicesCoversEveryAreaWritten() throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false, "0 1024 log-writes 8:0 8:1", dir);
        assertThat(write(md, 0, new byte[1024 * 512])).isEqualTo(BlkStatus.OK);
        List<long[]> areas = new ArrayList<>();
        md.liveTable().entry(0).target().iterateDevices((dev, start, len) -> areas.add(new long[] {start, len}));
        assertThat(areas).hasSize(1);
        assertThat(areas.get(0)).containsExactly(0, 1024);
        for (FaultyDisk.Seen w : disks.get(0).seen()) {
            assertThat(w.sector() + w.sectors()).isLessThanOrEqualTo(1024);
        }
    }

    private MappedDevice device() throws DmException, InterruptedException {
        return ns.createWithTable("lw", null, false, "0 4096 log-writes 8:0 8:1", dir);
    }

    private static byte[] filled(int sectors, int value) {
        byte[] b = new byte[sectors * 512];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static BlkStatus fuaWrite(MappedDevice md, long sector, byte[] data) {
        return new Bio(Op.WRITE, Bio.FUA, md, sector, data.length / 512, ByteBuffer.wrap(data), null)
                .submitAndWait();
    }

    private static BlkStatus flush(MappedDevice md) {
        return new Bio(Op.FLUSH, 0, md, 0, 0, null, null).submitAndWait();
    }

    private static String info(MappedDevice md) {
        return md.liveTable().statusLines(StatusType.INFO).get(0);
    }

    /** The status once the log thread has caught up (it runs behind the I/O, as the kernel's does). */
    private static String infoWhenSettled(MappedDevice md, String expected) throws InterruptedException {
        for (int i = 0; i < 500 && !info(md).equals(expected); i++) {
            Thread.sleep(10);
        }
        return info(md);
    }

    /** The log disk's bytes, as a file. */
    private Path logFile(int disk) throws Exception {
        byte[] all = new byte[(int) DISK_SECTORS * 512];
        assertThat(new Bio(Op.READ, 0, disks.get(disk), 0, (int) DISK_SECTORS, ByteBuffer.wrap(all), null)
                .submitAndWait()).isEqualTo(BlkStatus.OK);
        Path p = dir.resolve("log" + disk);
        Files.write(p, all);
        return p;
    }

    private List<LogEntry> entries(Path log) throws Exception {
        List<LogEntry> out = new ArrayList<>();
        try (LogReader r = LogReader.open(log)) {
            r.forEach(out::add);
        }
        return out;
    }

    @Test
    void statusCountsEntriesAndTheHighestAllocatedSector() throws Exception {
        MappedDevice md = device();
        assertThat(md.liveTable().statusLines(StatusType.TABLE)).containsExactly("0 4096 log-writes 8:0 8:1");
        assertThat(info(md)).isEqualTo("0 4096 log-writes 0 0");
        assertThat(fuaWrite(md, 16, filled(8, 1))).isEqualTo(BlkStatus.OK);
        // entry at sector 1, data at 2-9: next_sector 10
        assertThat(infoWhenSettled(md, "0 4096 log-writes 1 9")).isEqualTo("0 4096 log-writes 1 9");
        md.liveTable().entry(0).target().message(new String[] {"mark", "x"});
        assertThat(infoWhenSettled(md, "0 4096 log-writes 2 10")).isEqualTo("0 4096 log-writes 2 10");
    }

    @Test
    void writesAreLoggedWhenAFlushCoversThemAndFuaAtOnce() throws Exception {
        MappedDevice md = device();
        assertThat(write(md, 0, filled(2, 0xa1))).isEqualTo(BlkStatus.OK);       // held until a flush
        assertThat(fuaWrite(md, 8, filled(1, 0xb2))).isEqualTo(BlkStatus.OK);    // logged at once
        assertThat(infoWhenSettled(md, "0 4096 log-writes 1 2")).isEqualTo("0 4096 log-writes 1 2");
        assertThat(flush(md)).isEqualTo(BlkStatus.OK);                           // logs the held write, then itself
        assertThat(new Bio(Op.DISCARD, 0, md, 100, 4, null, null).submitAndWait()).isEqualTo(BlkStatus.OK);
        md.liveTable().entry(0).target().message(new String[] {"MARK", "after-flush"});
        assertThat(write(md, 20, filled(1, 0xc3))).isEqualTo(BlkStatus.OK);      // held until the device goes
        assertThat(infoWhenSettled(md, "0 4096 log-writes 4 7")).isEqualTo("0 4096 log-writes 4 7");
        ns.remove("lw");

        List<LogEntry> log = entries(logFile(1));
        assertThat(log).extracting(e -> e.sector() + "+" + e.nrSectors() + ":" + LogFormat.flagNames(e.flags())
                + (e.mark() ? "=" + e.label() : "")).containsExactly(
                "8+1:FUA", "0+2:", "0+0:FLUSH", "0+0:MARK=after-flush", "100+4:DISCARD", "20+1:",
                "0+0:MARK=dm-log-writes-end");
    }

    @Test
    void anAcknowledgedFlushOrFuaIsAlreadyInTheLogAndItsSuper() throws Exception {
        MappedDevice md = device();
        assertThat(write(md, 0, filled(2, 1))).isEqualTo(BlkStatus.OK);
        assertThat(flush(md)).isEqualTo(BlkStatus.OK);
        assertThat(info(md)).isEqualTo("0 4096 log-writes 2 4"); // no waiting: the flush waited for its log
        assertThat(entries(logFile(1))).extracting(LogEntry::flags).containsExactly(0, LogFormat.FLUSH);
        assertThat(disks.get(1).submits(Op.FLUSH)).isPositive();
        assertThat(fuaWrite(md, 9, filled(1, 2))).isEqualTo(BlkStatus.OK);
        assertThat(entries(logFile(1))).extracting(LogEntry::flags).containsExactly(0, LogFormat.FLUSH,
                LogFormat.FUA);
    }

    @Test
    void theLogReplaysToTheDataDevicesBytes() throws Exception {
        MappedDevice md = device();
        for (int i = 0; i < 20; i++) {
            byte[] data = filled(1 + i % 5, i);
            BlkStatus s = i % 3 == 0 ? fuaWrite(md, i * 7L, data) : write(md, i * 7L, data);
            assertThat(s).isEqualTo(BlkStatus.OK);
            if (i % 4 == 0) {
                assertThat(flush(md)).isEqualTo(BlkStatus.OK);
            }
        }
        ns.remove("lw");
        Path replayed = dir.resolve("replayed");
        Files.write(replayed, new byte[4096 * 512]);
        LogReplay.Result r = LogReplay.replayTo(logFile(1), replayed, LogReplay.Stop.none(), e -> { });
        assertThat(r.stopReached()).isTrue();
        byte[] data = Arrays.copyOf(Files.readAllBytes(logFile(0)), 4096 * 512);
        assertThat(Arrays.equals(Files.readAllBytes(replayed), data)).isTrue();
    }

    @Test
    void writeZeroesIsLoggedAsTheWriteOfZerosItStandsFor() throws Exception {
        MappedDevice md = device();
        assertThat(write(md, 40, filled(4, 9))).isEqualTo(BlkStatus.OK);
        assertThat(new Bio(Op.WRITE_ZEROES, Bio.FUA, md, 41, 2, null, null).submitAndWait()).isEqualTo(BlkStatus.OK);
        ns.remove("lw");
        List<LogEntry> log = entries(logFile(1));
        assertThat(log).extracting(e -> e.sector() + "+" + e.nrSectors() + ":" + LogFormat.flagNames(e.flags()))
                .containsExactly("41+2:FUA", "40+4:", "0+0:MARK");
        Path replayed = dir.resolve("replayed");
        Files.write(replayed, filled(64, 0x11));
        LogReplay.replayTo(logFile(1), replayed, LogReplay.Stop.afterEntries(1), e -> { });
        byte[] b = Files.readAllBytes(replayed);
        assertThat(Arrays.copyOfRange(b, 41 * 512, 43 * 512)).as("the zeros were logged").containsOnly((byte) 0);
        assertThat(b[40 * 512]).isEqualTo((byte) 0x11);
        // the kernel's order: the FUA is logged at once, the plain write (never flushed) only at removal, so on a
        // full replay it lands over the zeros: what a crash test is there to expose
        LogReplay.replayTo(logFile(1), replayed, LogReplay.Stop.none(), e -> { });
        b = Files.readAllBytes(replayed);
        assertThat(Arrays.copyOfRange(b, 40 * 512, 44 * 512)).containsOnly((byte) 9);
    }

    @Test
    void badMessagesFailWithEinvalAndTheKernelsLogLines() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        ns.setKernelLog(log::add);
        var t = device().liveTable().entry(0).target();
        for (String[] argv : List.of(new String[] {"mark"}, new String[] {"mark", "a", "b"},
                new String[] {"foo", "bar"})) {
            assertThatThrownBy(() -> t.message(argv)).isInstanceOf(DmException.class)
                    .satisfies(e -> assertThat(((DmException) e).errno()).isEqualTo(DmException.EINVAL));
        }
        assertThat(log).containsExactly(
                "device-mapper: log-writes: Invalid log-writes message arguments, expect 2 arguments, got 1",
                "device-mapper: log-writes: Invalid log-writes message arguments, expect 2 arguments, got 3",
                "device-mapper: log-writes: Unrecognised log writes target message received: foo");
    }

    @Test
    void aLongMarkIsCutTo479Bytes() throws Exception {
        device().liveTable().entry(0).target().message(new String[] {"mark", "m".repeat(500)});
        ns.remove("lw");
        assertThat(entries(logFile(1)).get(0).label()).isEqualTo("m".repeat(479));
    }

    @Test
    void aFullLogDeviceStopsLoggingButNotTheData() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        ns.setKernelLog(log::add);
        MappedDevice md = device();
        assertThat(fuaWrite(md, 0, filled(4096, 7))).isEqualTo(BlkStatus.OK); // next_sector 1 + 4097
        assertThat(fuaWrite(md, 0, filled(4096, 8))).isEqualTo(BlkStatus.OK); // 4098 + 4097 >= 8192: full
        // the kernel leaves next_sector where the record that did not fit would have ended
        assertThat(infoWhenSettled(md, "0 4096 log-writes 1 8194 logging_disabled"))
                .isEqualTo("0 4096 log-writes 1 8194 logging_disabled");
        assertThat(log).containsExactly("device-mapper: log-writes: Ran out of space on the logdev");
        byte[] back = new byte[512];
        new Bio(Op.READ, 0, md, 4095, 1, ByteBuffer.wrap(back), null).submitAndWait();
        assertThat(back).containsOnly((byte) 8);
    }

    @Test
    void wordsAfterTheLogDeviceAreIgnored() throws Exception {
        MappedDevice md = ns.createWithTable("x", null, false, "0 64 log-writes 8:0 8:1 extra words", dir);
        assertThat(md.liveTable().statusLines(StatusType.TABLE)).containsExactly("0 64 log-writes 8:0 8:1");
    }
}
