package jdm.dm.targets;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.dm.MappedDevice;
import jdm.dm.StatusType;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * delay under the target contract (3-, 6- and 9-argument forms), then its classes (reads, writes, flushes each to
 * their device), 6.1's status counts of queued bios, suspend sending the queue down, other devices going on while
 * bios wait, and 10,000 bios waiting on a few threads.
 */
@Timeout(60)
class DelayTargetTest extends TargetContractTest {
    @Override
    protected String type() {
        return "delay";
    }

    @Override
    protected List<Geometry> geometries() {
        // reads and writes on the same area, so data reads back; the 9-argument form sends flushes to 8:2
        return List.of(new Geometry(1024, "8:0 0 0"), new Geometry(512, "8:1 100 1 8:1 100 2"),
                new Geometry(256, "8:3 8 1 8:3 8 0 8:2 0 1"));
    }

    @Override
    protected List<Integer> flushedDisks() {
        // the 3-argument form flushes its one device, the 6-argument form its write device, the 9 its flush device
        return List.of(0, 1, 2);
    }

    @Override
    protected Map<String, String> badParams() {
        // checked on Linux 6.1 (kernel oracle)
        return Map.of(
                "8:0 0", "Requires exactly 3, 6 or 9 arguments",
                "8:0 0 1 8:0", "Requires exactly 3, 6 or 9 arguments",
                "8:0 x 1", "Invalid device sector",
                "8:0 0 x", "Invalid delay",
                "8:0 0 -1", "Invalid delay",
                "8:0 0 +1", "Invalid delay",
                "8:0 0 1 8:1 x 1", "Invalid device sector",
                "8:0 0 1 8:1 0 1 8:9 0 1", "Device lookup failed",
                "8:9 0 1", "Device lookup failed");
    }

    @Override
    protected Data data() {
        return Data.STORES;
    }

    @Test
    void tableAndStatusAs61PrintsThem() throws Exception {
        MappedDevice md = ns.createWithTable("d", null, false, """
                0 100 delay 8:0 0 0
                100 100 delay 8:0 0 100 8:1 8 200
                200 100 delay 8:0 16 0 8:1 0 0 8:0 0 300
                300 100 delay 8:2 0 4294967297
                """, dir);
        assertThat(md.liveTable().statusLines(StatusType.TABLE)).containsExactly(
                "0 100 delay 8:0 0 0", "100 100 delay 8:0 0 100 8:1 8 200",
                "200 100 delay 8:0 16 0 8:1 0 0 8:0 0 300", "300 100 delay 8:2 0 1");
        assertThat(md.liveTable().statusLines(StatusType.INFO)).containsExactly(
                "0 100 delay 0 0 0", "100 100 delay 0 0 0", "200 100 delay 0 0 0", "300 100 delay 0 0 0");
    }

    @Test
    void readsWritesAndFlushesGoToTheirOwnDevicesAndOffsets() throws Exception {
        MappedDevice md = ns.createWithTable("d", null, false, "0 1024 delay 8:0 10 0 8:1 20 0 8:2 30 0", dir);
        byte[] a = FlakeyTargetTest.pattern(2, 0);
        assertThat(SyncIo.write(md, 5, a)).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.read(disks.get(1), 25, 2)).isEqualTo(a);
        SyncIo.write(disks.get(0), 15, FlakeyTargetTest.pattern(2, 9));
        assertThat(SyncIo.read(md, 5, 2)).isEqualTo(FlakeyTargetTest.pattern(2, 9));
        assertThat(SyncIo.op(md, Op.DISCARD, 0, 8)).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.op(md, Op.FLUSH, 0, 0)).isEqualTo(BlkStatus.OK);
        assertThat(disks.get(1).seen()).anyMatch(s -> s.op() == Op.DISCARD && s.sector() == 20);
        assertThat(disks.get(2).submits(Op.FLUSH)).isEqualTo(1);
        assertThat(disks.get(0).submits(Op.FLUSH) + disks.get(1).submits(Op.FLUSH)).isZero();
    }

    @Test
    void delayedBiosWaitAtLeastTheirDelayAndStatusCountsThemWhileQueued() throws Exception {
        MappedDevice md = ns.createWithTable("d", null, false, "0 1024 delay 8:0 0 0 8:0 0 300", dir);
        long t0 = System.nanoTime();
        assertThat(SyncIo.write(md, 0, new byte[512])).isEqualTo(BlkStatus.OK);
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
        // reads have delay 0 and are not counted
        SyncIo.read(md, 0, 1);
        CountDownLatch done = new CountDownLatch(2);
        new Bio(Op.WRITE, 0, md, 0, 1, ByteBuffer.allocate(512), b -> done.countDown()).submit();
        new Bio(Op.FLUSH, 0, md, 0, 0, null, b -> done.countDown()).submit();
        assertThat(md.liveTable().statusLines(StatusType.INFO)).containsExactly("0 1024 delay 0 1 1");
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(md.liveTable().statusLines(StatusType.INFO)).containsExactly("0 1024 delay 0 0 0");
    }

    /** Every live thread, virtual ones included: counted in a JSON thread dump (HotSpotDiagnosticMXBean). */
    long liveThreadsIncludingVirtual() throws Exception {
        Path dump = dir.resolve("threads-" + System.nanoTime() + ".json");
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .dumpThreads(dump.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
        return Pattern.compile("\"tid\"").matcher(Files.readString(dump)).results().count();
    }

    @Test
    void tenThousandDelayedBiosWaitOnAFewThreadsAnotherDeviceGoesOnAndSuspendSendsThemDown() throws Exception {
        MappedDevice slow = ns.createWithTable("slow", null, false, "0 4096 delay 8:0 0 0 8:0 0 60000", dir);
        MappedDevice fast = ns.createWithTable("fast", null, false, "0 4096 delay 8:1 0 0", dir);
        int threadsBefore = Thread.getAllStackTraces().size();
        int n = 10_000;
        AtomicInteger ok = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            byte[] data = new byte[512];
            data[0] = (byte) (i + 1);
            new Bio(Op.WRITE, 0, slow, i % 4096, 1, ByteBuffer.wrap(data), b -> {
                if (b.status().ok()) {
                    ok.incrementAndGet();
                }
                done.countDown();
            }).submit();
        }
        assertThat(slow.liveTable().statusLines(StatusType.INFO)).containsExactly("0 4096 delay 0 10000 0");
        // at most the shared timer thread is new (virtual threads start only to send an expired batch down)
        assertThat(Thread.getAllStackTraces().size()).as("live platform threads with 10,000 bios waiting")
                .isLessThanOrEqualTo(threadsBefore + 3);
        assertThat(liveThreadsIncludingVirtual()).as("live threads, virtual ones included, with 10,000 bios waiting")
                .isLessThan(threadsBefore + 50);
        // the other device is not held up by the queue
        byte[] a = FlakeyTargetTest.pattern(8, 1);
        assertThat(SyncIo.write(fast, 0, a)).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.read(fast, 0, 8)).isEqualTo(a);
        assertThat(done.getCount()).isEqualTo(n);
        // suspend: presuspend stops delaying and sends the queue down at once
        ns.suspend("slow", false);
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(ok.get()).isEqualTo(n);
        assertThat(slow.liveTable().statusLines(StatusType.INFO)).containsExactly("0 4096 delay 0 0 0");
        // sent down in the order they came: the last of the three writes to sector 1807 is the one that stays
        assertThat(SyncIo.read(disks.get(0), 1807, 1)[0]).isEqualTo((byte) 10_000);
        ns.resume("slow");
        // delaying again after resume
        new Bio(Op.WRITE, 0, slow, 0, 1, ByteBuffer.allocate(512), b -> { }).submit();
        assertThat(slow.liveTable().statusLines(StatusType.INFO)).containsExactly("0 4096 delay 0 1 0");
        ns.suspend("slow", false);
    }
}
