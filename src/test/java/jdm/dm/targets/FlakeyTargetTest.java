package jdm.dm.targets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.dm.MappedDevice;
import jdm.dm.StatusType;
import jdm.dm.TargetType;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * flakey under the target contract (always up, with each feature), then its up/down cycle on a clock the test moves,
 * each feature's data behaviour byte for byte, and 6.1's table text (which ends in a blank) and error sentences.
 */
@Timeout(60)
class FlakeyTargetTest extends TargetContractTest {
    static final long SECOND = 1_000_000_000L;

    /** The clock every flakey target of the test reads. */
    final AtomicLong nanos = new AtomicLong(1_000 * SECOND);

    @Override
    protected TargetType override(TargetType builtin) {
        return builtin.name().equals("flakey")
                ? new TargetType("flakey", builtin.version(), args -> FlakeyTarget.create(args, nanos::get))
                : builtin;
    }

    @Override
    protected String type() {
        return "flakey";
    }

    @Override
    protected List<Geometry> geometries() {
        // a down interval of 0: always up, whatever the features
        return List.of(new Geometry(1000, "8:0 0 4294967295 0"), new Geometry(600, "8:1 77 1 0 1 drop_writes"),
                new Geometry(300, "8:2 9 5 0 1 error_writes"),
                new Geometry(200, "8:3 0 1 0 5 corrupt_bio_byte 1 w 7 0"));
    }

    @Override
    protected Map<String, String> badParams() {
        Map<String, String> m = new LinkedHashMap<>();
        // every sentence below was checked on Linux 6.1 (kernel oracle)
        m.put("8:0 0 1", "Invalid argument count");
        m.put("8:0 x 1 1", "Invalid device sector");
        m.put("8:0 0 x 1", "Invalid up interval");
        m.put("8:0 0 1 x", "Invalid up interval"); // sic: 6.1 reads the down interval with the up interval's error
        m.put("8:0 0 0 0", "Total (up + down) interval is zero");
        m.put("8:0 0 4294967295 1", "Total (up + down) interval is zero");
        m.put("8:0 0 4294967295 2", "Interval overflow");
        m.put("8:0 0 1 1 7", "Invalid number of feature args");
        m.put("8:0 0 1 1 2 drop_writes", "Invalid number of feature args");
        m.put("8:0 0 1 1 1 random_read_corrupt", "Unrecognised flakey feature requested");
        m.put("8:0 0 1 1 1 random_write_corrupt", "Unrecognised flakey feature requested");
        m.put("8:0 0 1 1 1 error_reads", "Unrecognised flakey feature requested");
        m.put("8:0 0 1 1 2 drop_writes drop_writes", "Feature drop_writes duplicated");
        m.put("8:0 0 1 1 2 error_writes error_writes", "Feature error_writes duplicated");
        m.put("8:0 0 1 1 2 drop_writes error_writes", "Feature error_writes conflicts with feature drop_writes");
        m.put("8:0 0 1 1 2 error_writes drop_writes", "Feature drop_writes conflicts with feature error_writes");
        m.put("8:0 0 1 1 1 corrupt_bio_byte", "Feature corrupt_bio_byte requires parameters");
        m.put("8:0 0 1 1 5 corrupt_bio_byte 0 r 1 0", "Invalid corrupt bio byte");
        m.put("8:0 0 1 1 5 corrupt_bio_byte 1 x 1 0", "Invalid corrupt bio direction (r or w)");
        m.put("8:0 0 1 1 5 corrupt_bio_byte 1 r 256 0", "Invalid corrupt value to write into bio byte (0-255)");
        m.put("8:0 0 1 1 5 corrupt_bio_byte 1 r 1 x", "Invalid corrupt bio flags mask");
        m.put("8:0 0 1 1 2 corrupt_bio_byte 1 r 1 0", "Insufficient feature arguments");
        m.put("8:0 0 1 1 6 drop_writes corrupt_bio_byte 1 w 1 0",
                "drop_writes is incompatible with corrupt_bio_byte with the WRITE flag set");
        m.put("8:0 0 1 1 6 error_writes corrupt_bio_byte 1 w 1 0",
                "error_writes is incompatible with corrupt_bio_byte with the WRITE flag set");
        m.put("8:9 0 1 1", "Device lookup failed");
        return m;
    }

    @Override
    protected Data data() {
        return Data.STORES;
    }

    MappedDevice create(String params) throws Exception {
        return ns.createWithTable("f", null, false, "0 1024 flakey " + params, dir);
    }

    static byte[] pattern(int sectors, int seed) {
        byte[] b = new byte[sectors * 512];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) ('a' + (i + seed) % 26);
        }
        return b;
    }

    @Test
    void tableTextEndsInABlankAndStatusIsEmptyAs61PrintsThem() throws Exception {
        MappedDevice md = ns.createWithTable("f", null, false, """
                0 100 flakey 8:0 0 3600 0
                100 100 flakey 8:0 0 0 5 1 DROP_WRITES
                200 100 flakey 8:1 2048 0 5 5 corrupt_bio_byte 3 R 66 0
                300 100 flakey 8:2 0 1 1 0 extra
                400 100 flakey 8:0 0 1 1 6 error_writes corrupt_bio_byte 1 r 1 131072
                """, dir);
        assertThat(md.liveTable().statusLines(StatusType.TABLE)).containsExactly(
                "0 100 flakey 8:0 0 3600 0 0 ",
                "100 100 flakey 8:0 0 0 5 1 drop_writes ",
                "200 100 flakey 8:1 2048 0 5 5 corrupt_bio_byte 3 r 66 0 ",
                "300 100 flakey 8:2 0 1 1 0 ",
                "400 100 flakey 8:0 0 1 1 6 error_writes corrupt_bio_byte 1 r 1 131072 ");
        assertThat(md.liveTable().statusLines(StatusType.INFO)).containsExactly(
                "0 100 flakey ", "100 100 flakey ", "200 100 flakey ", "300 100 flakey ", "400 100 flakey ");
    }

    @Test
    void upForUpIntervalSecondsThenEveryBioFailsForDownIntervalSecondsCountedFromCreation() throws Exception {
        MappedDevice md = create("8:0 100 2 3");
        byte[] a = pattern(8, 0);
        assertThat(SyncIo.write(md, 0, a)).isEqualTo(BlkStatus.OK);
        nanos.addAndGet(2 * SECOND - 1); // 1.999... s: still up
        assertThat(SyncIo.read(md, 0, 8)).isEqualTo(a);
        nanos.addAndGet(1); // 2 s: down
        assertThat(SyncIo.write(md, 8, pattern(8, 1))).isEqualTo(BlkStatus.IOERR);
        assertThat(SyncIo.readInto(md, 0, new byte[4096])).isEqualTo(BlkStatus.IOERR);
        assertThat(SyncIo.op(md, Op.FLUSH, 0, 0)).isEqualTo(BlkStatus.IOERR);
        assertThat(SyncIo.op(md, Op.DISCARD, 0, 8)).isEqualTo(BlkStatus.IOERR);
        nanos.addAndGet(3 * SECOND); // 5 s: up again
        assertThat(SyncIo.read(md, 0, 8)).isEqualTo(a);
        assertThat(SyncIo.read(disks.get(0), 100, 16)).isEqualTo(concat(a, new byte[4096]));
    }

    @Test
    void dropWritesWhileDownCompletesWritesFlushesAndDiscardsWithoutTouchingTheDeviceAndReadsPass() throws Exception {
        byte[] old = pattern(8, 3);
        SyncIo.write(disks.get(0), 0, old);
        MappedDevice md = create("8:0 0 0 1 1 drop_writes");
        int flushesBefore = disks.get(0).submits(Op.FLUSH);
        assertThat(SyncIo.write(md, 0, pattern(8, 4))).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.op(md, Op.DISCARD, 0, 8)).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.op(md, Op.FLUSH, 0, 0)).isEqualTo(BlkStatus.OK);
        assertThat(disks.get(0).submits(Op.FLUSH)).isEqualTo(flushesBefore);
        assertThat(SyncIo.read(md, 0, 8)).isEqualTo(old);
        assertThat(SyncIo.read(disks.get(0), 0, 8)).isEqualTo(old);
    }

    @Test
    void errorWritesWhileDownFailsWritesLeavesTheDeviceAndReadsPass() throws Exception {
        byte[] old = pattern(8, 5);
        SyncIo.write(disks.get(0), 16, old);
        MappedDevice md = create("8:0 16 0 1 1 error_writes");
        assertThat(SyncIo.write(md, 0, pattern(8, 6))).isEqualTo(BlkStatus.IOERR);
        assertThat(SyncIo.read(md, 0, 8)).isEqualTo(old);
        assertThat(SyncIo.read(disks.get(0), 16, 8)).isEqualTo(old);
    }

    @Test
    void corruptBioByteWReplacesTheNthByteOfMatchingWritesBeforeTheyGoDown() throws Exception {
        MappedDevice md = create("8:0 0 0 1 5 corrupt_bio_byte 100 w 65 0");
        byte[] data = pattern(8, 0);
        byte[] expected = data.clone();
        expected[99] = 65;
        ByteBuffer buf = ByteBuffer.wrap(data);
        assertThat(new Bio(Op.WRITE, 0, md, 8, 8, buf, null).submitAndWait()).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.read(disks.get(0), 8, 8)).isEqualTo(expected);
        assertThat(data).as("6.1 corrupts the caller's own buffer, in place").isEqualTo(expected);
        // a read while down passes unchanged
        assertThat(SyncIo.read(md, 8, 8)).isEqualTo(expected);
        // a write shorter than N bytes is left alone
        MappedDevice md2 = ns.createWithTable("g", null, false, "0 1024 flakey 8:1 0 0 1 5 corrupt_bio_byte 600 w 65 0",
                dir);
        assertThat(SyncIo.write(md2, 0, pattern(1, 2))).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.read(disks.get(1), 0, 1)).isEqualTo(pattern(1, 2));
    }

    @Test
    void corruptBioByteFlagsSelectWhichWritesByTheKernelsBiOpfBits() throws Exception {
        // 131072 = REQ_FUA: only FUA writes are corrupted
        MappedDevice md = create("8:0 0 0 1 5 corrupt_bio_byte 1 w 0 131072");
        byte[] plain = pattern(1, 0);
        assertThat(SyncIo.write(md, 0, plain.clone())).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.read(disks.get(0), 0, 1)).isEqualTo(plain);
        byte[] fua = pattern(1, 0);
        assertThat(new Bio(Op.WRITE, Bio.FUA, md, 1, 1, ByteBuffer.wrap(fua), null).submitAndWait())
                .isEqualTo(BlkStatus.OK);
        byte[] expected = pattern(1, 0);
        expected[0] = 0;
        assertThat(SyncIo.read(disks.get(0), 1, 1)).isEqualTo(expected);
        assertThat(FlakeyTarget.opf(new Bio(Op.FLUSH, 0, md, 0, 0, null, null))).isEqualTo(1 | 1 << 11 | 1 << 18);
        assertThat(FlakeyTarget.opf(new Bio(Op.DISCARD, 0, md, 0, 1, null, null))).isEqualTo(3);
    }

    @Test
    void corruptBioByteRLeavesReadsAndWritesUnchangedIn61() throws Exception {
        byte[] old = pattern(8, 7);
        SyncIo.write(disks.get(0), 0, old);
        MappedDevice md = create("8:0 0 0 1 5 corrupt_bio_byte 3 r 66 0");
        // 6.1's end_io walks the completed bio's exhausted iterator: no read byte changes (as the oracle shows)
        assertThat(SyncIo.read(md, 0, 8)).isEqualTo(old);
        byte[] next = pattern(8, 8);
        assertThat(SyncIo.write(md, 8, next)).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.read(disks.get(0), 8, 8)).isEqualTo(next);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
