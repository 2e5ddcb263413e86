package jdm.dm.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import jdm.block.BlkStatus;
import jdm.dm.DmException;
import jdm.dm.MappedDevice;
import jdm.dm.StatusType;
import jdm.dm.Target;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * dust under the target contract, then its messages with their exact replies and kernel-log lines (dm-dust.c of
 * 6.12), failing reads of bad blocks once enabled, writes that fail while a block's write fail count lasts and then
 * clear it, and block numbers that count blocks of the underlying device.
 */
@Timeout(60)
class DustTargetTest extends TargetContractTest {
    final List<String> log = new CopyOnWriteArrayList<>();

    @BeforeEach
    void captureKernelLog() {
        ns.setKernelLog(log::add);
    }

    @Override
    protected String type() {
        return "dust";
    }

    @Override
    protected List<Geometry> geometries() {
        return List.of(new Geometry(1024, "8:0 0 512"), new Geometry(2048, "8:1 64 4096"),
                new Geometry(512, "8:2 3 1024"));
    }

    @Override
    protected Map<String, String> badParams() {
        return Map.of(
                "8:0 0", "Invalid argument count",
                "8:0 0 512 1", "Invalid argument count",
                "8:0 0 x", "Invalid block size parameter",
                "8:0 0 0", "Invalid block size parameter",
                "8:0 0 256", "Block size must be at least 512",
                "8:0 0 1000", "Block size must be a power of 2",
                "8:0 0 1048576", "Block size is too large", // 2048 sectors > the 1024-sector target
                "8:0 x 512", "Invalid device offset sector",
                "8:9 0 512", "Device lookup failed");
    }

    @Override
    protected Data data() {
        return Data.STORES;
    }

    MappedDevice create(String params) throws Exception {
        return ns.createWithTable("u", null, false, "0 4096 dust " + params, dir);
    }

    String msg(String... argv) throws DmException {
        return target().message(argv);
    }

    Target target() throws DmException {
        return ns.get("u").liveTable().entry(0).target();
    }

    /** Sends a message that must fail with EINVAL, returning what it logged. */
    List<String> fails(String... argv) {
        log.clear();
        assertThatThrownBy(() -> msg(argv)).isInstanceOf(DmException.class)
                .satisfies(e -> assertThat(((DmException) e).errno()).isEqualTo(DmException.EINVAL));
        return List.copyOf(log);
    }

    /** Sends a message that must succeed, returning its reply and then what it logged. */
    List<String> ok(String... argv) throws DmException {
        log.clear();
        String reply = msg(argv);
        List<String> out = new java.util.ArrayList<>();
        out.add(reply);
        out.addAll(log);
        return out;
    }

    @Test
    void statusAndTableTextAsTheKernelPrintsThem() throws Exception {
        MappedDevice md = create("8:0 16 4096");
        assertThat(md.liveTable().statusLines(StatusType.TABLE)).containsExactly("0 4096 dust 8:0 16 4096");
        assertThat(md.liveTable().statusLines(StatusType.INFO)).containsExactly("0 4096 dust 8:0 bypass verbose");
        msg("enable");
        msg("quiet");
        assertThat(md.liveTable().statusLines(StatusType.INFO))
                .containsExactly("0 4096 dust 8:0 fail_read_on_bad_block quiet");
        assertThat(target().maxIoLenSectors()).isEqualTo(8);
    }

    @Test
    void messagesReplyAndLogWithTheKernelsTexts() throws Exception {
        create("8:0 0 512");
        assertThat(ok("listbadblocks")).containsExactly("No blocks in badblocklist");
        assertThat(ok("countbadblocks")).containsExactly("countbadblocks: 0 badblock(s) found");
        assertThat(ok("clearbadblocks")).containsExactly("dust_clear_badblocks: no badblocks found");
        assertThat(ok("addbadblock", "60")).containsExactly("",
                "device-mapper: dust: dust_add_block: badblock added at block 60 with write fail count 0");
        assertThat(ok("ADDBADBLOCK", "7", "2")).containsExactly("",
                "device-mapper: dust: dust_add_block: badblock added at block 7 with write fail count 2");
        assertThat(fails("addbadblock", "60"))
                .containsExactly("device-mapper: dust: dust_add_block: block 60 already in badblocklist");
        // the device has 8192 sectors: block 8192 is let through (the kernel checks block > size), 8193 is not
        assertThat(ok("addbadblock", "8192")).hasSize(2);
        assertThat(fails("addbadblock", "8193")).containsExactly("device-mapper: dust: selected block value out of range");
        assertThat(fails("addbadblock", "9", "256"))
                .containsExactly("device-mapper: dust: selected write fail count out of range");
        assertThat(fails("addbadblock", "x")).isEmpty();
        assertThat(fails("addbadblock"))
                .containsExactly("device-mapper: dust: addbadblock requires an additional argument");
        assertThat(ok("queryblock", "60")).containsExactly("dust_query_block: block 60 found in badblocklist");
        assertThat(ok("queryblock", "61")).containsExactly("dust_query_block: block 61 not found in badblocklist");
        assertThat(fails("removebadblock", "61"))
                .containsExactly("device-mapper: dust: dust_remove_block: block 61 not found in badblocklist");
        assertThat(ok("removebadblock", "8192")).containsExactly("",
                "device-mapper: dust: dust_remove_block: badblock removed at block 8192");
        assertThat(fails("removebadblock", "5", "1"))
                .containsExactly("device-mapper: dust: unrecognized message 'removebadblock' received");
        assertThat(fails("foo", "5")).containsExactly("device-mapper: dust: unrecognized message 'foo' received");
        assertThat(fails("foo")).containsExactly("device-mapper: dust: unrecognized message 'foo' received");
        assertThat(fails("a", "b", "c", "d")).containsExactly("device-mapper: dust: invalid number of arguments '4'");
        assertThat(ok("countbadblocks")).containsExactly("countbadblocks: 2 badblock(s) found");
        assertThat(ok("listbadblocks")).containsExactly("7\n60\n");
        assertThat(ok("enable")).containsExactly("", "device-mapper: dust: enabling read failures on bad sectors");
        assertThat(ok("disable")).containsExactly("", "device-mapper: dust: disabling read failures on bad sectors");
        // quiet silences the block messages, not enable/disable
        assertThat(ok("quiet")).containsExactly("");
        assertThat(ok("addbadblock", "100")).containsExactly("");
        assertThat(fails("addbadblock", "100")).isEmpty();
        assertThat(ok("clearbadblocks")).containsExactly("dust_clear_badblocks: badblocks cleared");
        assertThat(ok("countbadblocks")).containsExactly("countbadblocks: 0 badblock(s) found");
    }

    @Test
    void enabledReadsOfBadBlocksFailAndAWriteClearsTheBlockAfterItsWriteFailCount() throws Exception {
        MappedDevice md = create("8:0 0 512");
        byte[] data = FlakeyTargetTest.pattern(1, 1);
        msg("addbadblock", "60");
        msg("addbadblock", "8", "2");
        // disabled (the default): bad blocks read and write normally and stay on the list
        assertThat(SyncIo.readInto(md, 60, new byte[512])).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.write(md, 60, new byte[512])).isEqualTo(BlkStatus.OK);
        assertThat(msg("countbadblocks")).isEqualTo("countbadblocks: 2 badblock(s) found");
        msg("enable");
        assertThat(SyncIo.readInto(md, 60, new byte[512])).isEqualTo(BlkStatus.IOERR);
        assertThat(SyncIo.readInto(md, 56, new byte[4096])).as("split per block, a read covering one fails")
                .isEqualTo(BlkStatus.IOERR);
        assertThat(SyncIo.readInto(md, 59, new byte[512])).isEqualTo(BlkStatus.OK);
        log.clear();
        assertThat(SyncIo.write(md, 8, data)).isEqualTo(BlkStatus.IOERR);
        assertThat(SyncIo.write(md, 8, data)).isEqualTo(BlkStatus.IOERR);
        assertThat(SyncIo.read(disks.get(0), 8, 1)).isEqualTo(new byte[512]);
        assertThat(SyncIo.write(md, 8, data)).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.read(disks.get(0), 8, 1)).isEqualTo(data);
        assertThat(SyncIo.write(md, 60, data)).isEqualTo(BlkStatus.OK);
        assertThat(log).containsExactly("device-mapper: dust: block 8 removed from badblocklist by write",
                "device-mapper: dust: block 60 removed from badblocklist by write");
        assertThat(SyncIo.read(md, 60, 1)).isEqualTo(data);
        assertThat(msg("listbadblocks")).isEqualTo("No blocks in badblocklist");
    }

    @Test
    void blocksCountBlocksOfTheUnderlyingDeviceOffsetIncluded() throws Exception {
        // 4 KiB blocks from sector 4096 of 8:0: the target's first block is block 512 of the device
        MappedDevice md = create("8:0 4096 4096");
        msg("enable");
        msg("addbadblock", "513");
        assertThat(SyncIo.readInto(md, 0, new byte[4096])).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.readInto(md, 8, new byte[4096])).isEqualTo(BlkStatus.IOERR);
        log.clear();
        assertThat(SyncIo.write(md, 8, new byte[4096])).isEqualTo(BlkStatus.OK);
        // the kernel divides by sectors per block a second time in this line: 513 / 8 = 64
        assertThat(log).containsExactly("device-mapper: dust: block 64 removed from badblocklist by write");
        assertThat(SyncIo.readInto(md, 8, new byte[4096])).isEqualTo(BlkStatus.OK);
    }
}
