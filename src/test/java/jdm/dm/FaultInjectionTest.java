package jdm.dm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.testing.CheckingDevice;
import jdm.testing.DeviceChecks;
import jdm.testing.FaultyDisk;
import jdm.testing.MemoryDisk;
import jdm.testing.SyncIo;
import jdm.testing.TestDisks;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mapped devices over disks that fail, answer late, and count what they get: errors surface with the lower
 * device's status exactly where the mapping puts them, suspend waits for late bios, and every bio is ended once.
 */
class FaultInjectionTest {
    /** Every disk and the mapped devices the test talks to are checked: bios in range, each ended exactly once. */
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;

    private final TestDisks disks = new TestDisks();
    private DeviceNamespace ns;
    private MemoryDisk[] mem;
    private FaultyDisk[] leg;

    @BeforeEach
    void disks() {
        ns = Fixtures.namespace(checks, disks);
        mem = new MemoryDisk[3];
        leg = new FaultyDisk[3];
        for (int i = 0; i < 3; i++) {
            mem[i] = new MemoryDisk("sd" + (char) ('a' + i), 1024);
            leg[i] = disks.add("8:" + 16 * i, new FaultyDisk(mem[i]));
        }
    }

    @Test
    void aMediaErrorOnOneStripeLegFailsExactlyTheReadsThatTouchIt() throws Exception {
        BlockDevice md = checks.wrap(ns.createWithTable("v", null, false, "0 2048 striped 2 8 8:0 0 8:16 0", dir));
        // leg 1's sectors 16..23 hold chunk 5: device sectors 40..47
        leg[1].failReads(16, 8, BlkStatus.MEDIUM);
        assertThat(SyncIo.readInto(md, 40, new byte[8 * 512])).isEqualTo(BlkStatus.MEDIUM);
        assertThat(SyncIo.readInto(md, 47, new byte[512])).isEqualTo(BlkStatus.MEDIUM);
        assertThat(SyncIo.readInto(md, 36, new byte[8 * 512])).as("straddles into chunk 5")
                .isEqualTo(BlkStatus.MEDIUM);
        assertThat(SyncIo.readInto(md, 32, new byte[8 * 512])).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.readInto(md, 48, new byte[8 * 512])).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.readInto(md, 0, new byte[2048 * 512])).isEqualTo(BlkStatus.MEDIUM);
        assertThat(SyncIo.write(md, 40, new byte[8 * 512])).as("only reads fail").isEqualTo(BlkStatus.OK);
        assertThat(leg[0].seen()).allSatisfy(s -> assertThat(s.sector() + s.sectors()).isLessThanOrEqualTo(1024));
    }

    @Test
    void aWriteErrorDeepInAStackSurfacesAtTheTopAndWritesNothingElseThere() throws Exception {
        ns.createWithTable("s", null, false, "0 2048 striped 2 8 8:0 0 8:16 0", dir);
        BlockDevice top = checks.wrap(ns.createWithTable("t", null, false, "0 1024 linear s 1000", dir));
        leg[0].failWrites(500, 4, BlkStatus.NOSPC); // s 996..999 (chunk 124): below top's start, never hit
        leg[1].failWrites(504, 4, BlkStatus.NOSPC); // s 1016..1019 (chunk 127 starts on leg 1 at 504): top 16..19
        byte[] ones = new byte[8 * 512];
        Arrays.fill(ones, (byte) 1);
        assertThat(SyncIo.write(top, 8, ones)).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.write(top, 16, ones)).isEqualTo(BlkStatus.NOSPC);
        assertThat(SyncIo.write(top, 12, ones)).as("reaches into 16..19").isEqualTo(BlkStatus.NOSPC);
        assertThat(SyncIo.write(top, 20, ones)).as("the chunk's other half").isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.write(top, 24, ones)).isEqualTo(BlkStatus.OK);
        assertThat(mem[1].bytes(504, 4)).as("the failed sectors were not written").containsOnly(0);
        assertThat(mem[1].bytes(508, 4)).as("the rest of that chunk was").containsOnly(1);
        assertThat(mem[0].bytes(500, 4)).as("s 996..999, never reached").containsOnly(0);
    }

    @Test
    void aFlushReachesEveryLegOnceAndFailsWhenOneLegFailsIt() throws Exception {
        BlockDevice md = checks.wrap(ns.createWithTable("v", null, false,
                "0 3072 striped 3 16 8:0 0 8:16 0 8:32 0", dir));
        assertThat(SyncIo.op(md, Op.FLUSH, 0, 0)).isEqualTo(BlkStatus.OK);
        for (FaultyDisk d : leg) {
            assertThat(d.submits(Op.FLUSH)).isEqualTo(1);
        }
        leg[2].failAll(BlkStatus.IOERR);
        assertThat(SyncIo.op(md, Op.FLUSH, 0, 0)).isEqualTo(BlkStatus.IOERR);
        assertThat(leg[0].submits(Op.FLUSH)).isEqualTo(2);
    }

    @Test
    void lateCompletionsOnAnotherThreadEndABigSplitRequestOnce() throws Exception {
        for (FaultyDisk d : leg) {
            d.delayCompletions(Duration.ofMillis(2));
        }
        BlockDevice md = checks.wrap(ns.createWithTable("v", null, false,
                "0 3072 striped 3 8 8:0 0 8:16 0 8:32 0", dir));
        byte[] data = new byte[600 * 512];
        new Random(9).nextBytes(data);
        assertThat(SyncIo.write(md, 13, data)).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.read(md, 13, 600)).isEqualTo(data);
        assertThat(leg[0].submits(Op.WRITE) + leg[1].submits(Op.WRITE) + leg[2].submits(Op.WRITE))
                .as("one clone per chunk touched").isEqualTo(76);
    }

    @Test
    void suspendReturnsOnlyAfterTheDiskHasEndedALateBio() throws Exception {
        leg[0].delayCompletions(Duration.ofMillis(300));
        BlockDevice md = checks.wrap(ns.createWithTable("v", null, false, "0 1024 linear 8:0 0", dir));
        CheckingDevice disk = checks.devices().stream().filter(c -> c.inner() == leg[0]).findFirst().orElseThrow();
        CountDownLatch done = new CountDownLatch(1);
        byte[] one = new byte[512];
        one[0] = 7;
        long t0 = System.nanoTime();
        new Bio(Op.WRITE, 0, md, 10, 1, ByteBuffer.wrap(one), b -> done.countDown()).submit();
        assertThat(disk.outstanding()).as("still in the disk").isEqualTo(1);
        ns.suspend("v", false);
        // As the kernel's dm_io_complete, the device stops counting the bio before its submitter hears of it:
        // what suspend promises is that the lower device has ended it.
        assertThat(disk.outstanding()).as("suspend waited for the disk").isZero();
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(mem[0].bytes(10, 1)).isEqualTo(one);
        ns.resume("v");
    }

    @Test
    void liveTableSwapsWhileTheDisksAnswerLateLoseNothingAndEndEveryBioOnce() throws Exception {
        for (FaultyDisk d : leg) {
            d.delayCompletions(Duration.ofMillis(1));
        }
        String one = "0 1024 linear 8:0 0\n1024 1024 linear 8:16 0";
        String two = "0 500 linear 8:0 0\n500 524 linear 8:0 500\n1024 1024 linear 8:16 0"; // same mapping, split
        MappedDevice md = ns.createWithTable("v", null, false, one, dir);
        BlockDevice io = checks.wrap(md);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int first = w;
            writers.add(Thread.ofVirtual().start(() -> {
                for (int blk = first; blk < 256; blk += 4) {
                    byte[] b = new byte[8 * 512];
                    Arrays.fill(b, (byte) blk);
                    BlkStatus s = SyncIo.write(io, blk * 8L, b);
                    if (s != BlkStatus.OK) {
                        failure.compareAndSet(null, new AssertionError("write " + blk + ": " + s));
                    }
                }
            }));
        }
        int swaps = 0;
        while (writers.stream().anyMatch(Thread::isAlive)) { // swap for as long as writes are coming
            ns.load("v", swaps++ % 2 == 0 ? two : one, dir);
            ns.resume("v");
        }
        for (Thread t : writers) {
            t.join();
        }
        assertThat(swaps).isGreaterThan(2);
        assertThat(failure.get()).isNull();
        ns.load("v", one, dir);
        ns.resume("v");
        for (int blk = 0; blk < 256; blk++) {
            assertThat(SyncIo.read(io, blk * 8L, 8)).as("block %d", blk).containsOnly((byte) blk);
        }
    }
}
