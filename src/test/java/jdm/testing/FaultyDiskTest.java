package jdm.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The faulty disk fails exactly the ranges and ops it is told, delays, counts, and passes the rest through. */
class FaultyDiskTest {
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @Test
    void failsOnlyBiosTouchingAFailedRangeForTheirOp() {
        MemoryDisk disk = new MemoryDisk("m", 256);
        FaultyDisk faulty = new FaultyDisk(disk).failReads(100, 10, BlkStatus.IOERR)
                .failWrites(200, 1, BlkStatus.NOSPC);
        CheckingDevice c = checks.wrap(faulty);
        byte[] one = new byte[512];
        assertThat(SyncIo.readInto(c, 99, new byte[512])).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.readInto(c, 95, new byte[10 * 512])).as("overlaps 100").isEqualTo(BlkStatus.IOERR);
        assertThat(SyncIo.readInto(c, 109, new byte[512])).isEqualTo(BlkStatus.IOERR);
        assertThat(SyncIo.readInto(c, 110, new byte[512])).isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.write(c, 100, one)).as("writes pass the read fault").isEqualTo(BlkStatus.OK);
        assertThat(SyncIo.write(c, 199, new byte[2 * 512])).isEqualTo(BlkStatus.NOSPC);
        assertThat(SyncIo.op(c, Op.DISCARD, 200, 1)).isEqualTo(BlkStatus.NOSPC);
        assertThat(SyncIo.op(c, Op.FLUSH, 0, 0)).isEqualTo(BlkStatus.OK);
        faulty.clearFaults();
        assertThat(SyncIo.readInto(c, 100, new byte[512])).isEqualTo(BlkStatus.OK);
        assertThat(faulty.submits(Op.READ)).isEqualTo(5);
        assertThat(faulty.submits(Op.WRITE)).isEqualTo(2);
        assertThat(faulty.submits(Op.DISCARD)).isEqualTo(1);
        assertThat(faulty.submits(Op.FLUSH)).isEqualTo(1);
        assertThat(faulty.seen().get(5)).isEqualTo(new FaultyDisk.Seen(Op.WRITE, 0, 199, 2));
    }

    @Test
    void aFailedWriteLeavesTheDiskUntouched() {
        MemoryDisk disk = new MemoryDisk("m", 64);
        FaultyDisk faulty = new FaultyDisk(disk).failAll(BlkStatus.IOERR);
        byte[] data = new byte[512];
        data[7] = 7;
        assertThat(SyncIo.write(checks.wrap(faulty), 3, data)).isEqualTo(BlkStatus.IOERR);
        assertThat(SyncIo.op(faulty, Op.FLUSH, 0, 0)).isEqualTo(BlkStatus.IOERR);
        assertThat(disk.bytes(3, 1)).containsOnly(0);
        assertThat(disk.allocatedPages()).isZero();
    }

    @Test
    void delayedCompletionsEndLaterOnAnotherThread() throws Exception {
        MemoryDisk disk = new MemoryDisk("m", 64);
        FaultyDisk faulty = new FaultyDisk(disk).delayCompletions(Duration.ofMillis(100));
        CheckingDevice c = checks.wrap(faulty);
        CountDownLatch done = new CountDownLatch(1);
        Thread[] ender = new Thread[1];
        long t0 = System.nanoTime();
        new Bio(Op.WRITE, 0, c, 0, 1, java.nio.ByteBuffer.wrap(new byte[512]), b -> {
            ender[0] = Thread.currentThread();
            done.countDown();
        }).submit();
        assertThat(c.outstanding()).as("not ended on return from submit").isEqualTo(1);
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(100).toNanos());
        assertThat(ender[0]).isNotEqualTo(Thread.currentThread());
        faulty.failReads(0, 1, BlkStatus.IOERR);
        assertThat(SyncIo.readInto(c, 0, new byte[512])).as("faults are delayed too").isEqualTo(BlkStatus.IOERR);
    }

    @Test
    void slowSubmitsFromSeveralThreadsOverlap() throws Exception {
        FaultyDisk slow = new FaultyDisk(new MemoryDisk("m", 64)).delaySubmits(Duration.ofMillis(100));
        Thread a = Thread.ofVirtual().start(() -> SyncIo.op(slow, Op.FLUSH, 0, 0));
        Thread b = Thread.ofVirtual().start(() -> SyncIo.op(slow, Op.FLUSH, 0, 0));
        a.join();
        b.join();
        assertThat(slow.maxConcurrentSubmits()).isEqualTo(2);
        assertThat(slow.fail(EnumSet.of(Op.FLUSH), 0, 1, BlkStatus.IOERR).submits(Op.FLUSH)).isEqualTo(2);
    }
}
