package jdm.md;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import jdm.block.BlkStatus;
import jdm.testing.MemoryDisk;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class SyncThreadTest {
    /** Records what the sync thread tells its host; limits settable. */
    static class RecordingHost implements SyncThread.Host {
        volatile long min = 1000;
        volatile long max = 200000;
        final List<Long> checkpoints = new CopyOnWriteArrayList<>();
        final CompletableFuture<long[]> finished = new CompletableFuture<>();

        @Override
        public long speedMinKibs() {
            return min;
        }

        @Override
        public long speedMaxKibs() {
            return max;
        }

        @Override
        public void checkpoint(SyncAction action, long position) {
            checkpoints.add(position);
        }

        @Override
        public void finished(SyncAction action, long position, boolean completed) {
            finished.complete(new long[] {position, completed ? 1 : 0});
        }
    }

    private static MemoryDisk[] disks(int n, long memberSectors) {
        MemoryDisk[] d = new MemoryDisk[n];
        for (int i = 0; i < n; i++) {
            d[i] = new MemoryDisk("m" + i, TestMirror.DATA_OFFSET + memberSectors);
        }
        return d;
    }

    private static byte[] random(int bytes, long seed) {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void aResyncWalksTheRangeInWindowsMakesTheMirrorsEqualAndCheckpoints() throws Exception {
        long member = 16 * 2048; // 16 MiB
        MemoryDisk[] d = disks(2, member);
        d[0].put(TestMirror.DATA_OFFSET, random((int) member * 512, 1));
        try (Mddev md = TestMirror.array(d, member)) {
            RecordingHost host = new RecordingHost();
            SyncThread t = SyncThread.start(md, SyncAction.RESYNC, 0, host);
            t.await();
            assertThat(host.finished.get(0, TimeUnit.SECONDS)).containsExactly(member, 1);
            // windows of 1 MiB, back to back, from 0 to the end
            List<TestMirror.Call> calls = TestMirror.of(md).calls;
            assertThat(calls).hasSize(16);
            for (int i = 0; i < calls.size(); i++) {
                assertThat(calls.get(i).sector()).isEqualTo(i * SyncThread.WINDOW_SECTORS);
                assertThat(calls.get(i).maxSectors()).isEqualTo(SyncThread.WINDOW_SECTORS);
            }
            assertThat(d[1].bytes(TestMirror.DATA_OFFSET, (int) member))
                    .isEqualTo(d[0].bytes(TestMirror.DATA_OFFSET, (int) member));
            assertThat(t.mismatches()).isEqualTo(member); // every window differed (member 1 was zeros)
            // a checkpoint each time the pass moved more than 1/16 of the range: every other window
            assertThat(host.checkpoints).containsExactly(4096L, 8192L, 12288L, 16384L, 20480L, 24576L, 28672L,
                    32768L);
            assertThat(t.position()).isEqualTo(member);
            assertThat(t.total()).isEqualTo(member);
            assertThat(t.done()).isTrue();
        }
    }

    @Test
    void checkCountsMismatchedSectorsAndChangesNothing() throws Exception {
        long member = 4 * 2048;
        MemoryDisk[] d = disks(2, member);
        byte[] data = random((int) member * 512, 2);
        d[0].put(TestMirror.DATA_OFFSET, data);
        d[1].put(TestMirror.DATA_OFFSET, data);
        d[1].put(TestMirror.DATA_OFFSET + 3000, new byte[512]); // one bad sector in window 1
        try (Mddev md = TestMirror.array(d, member)) {
            RecordingHost host = new RecordingHost();
            SyncThread t = SyncThread.start(md, SyncAction.CHECK, 0, host);
            t.await();
            assertThat(t.mismatches()).isEqualTo(SyncThread.WINDOW_SECTORS); // md counts whole windows it compared
            assertThat(d[1].bytes(TestMirror.DATA_OFFSET + 3000, 1)).isEqualTo(new byte[512]);
            SyncThread r = SyncThread.start(md, SyncAction.REPAIR, 0, new RecordingHost());
            r.await();
            assertThat(r.mismatches()).isEqualTo(SyncThread.WINDOW_SECTORS);
            assertThat(d[1].bytes(TestMirror.DATA_OFFSET, (int) member)).isEqualTo(data);
        }
    }

    @Test
    void aPassResumesFromItsCheckpoint() throws Exception {
        long member = 8 * 2048;
        MemoryDisk[] d = disks(2, member);
        try (Mddev md = TestMirror.array(d, member)) {
            RecordingHost host = new RecordingHost();
            SyncThread t = SyncThread.start(md, SyncAction.RECOVER, 5 * 2048 + 100, host);
            t.await();
            List<TestMirror.Call> calls = TestMirror.of(md).calls;
            assertThat(calls.get(0).sector()).isEqualTo(5 * 2048 + 100);
            assertThat(calls.stream().mapToLong(TestMirror.Call::maxSectors).sum()).isEqualTo(member - 5 * 2048 - 100);
            assertThat(host.finished.get()).containsExactly(member, 1);
            assertThat(t.syncedSectors()).isEqualTo(member - 5 * 2048 - 100);
        }
    }

    @Test
    void interruptStopsAtAWindowBoundaryAndCheckpointsThere() throws Exception {
        long member = 64 * 2048;
        MemoryDisk[] d = disks(2, member);
        try (Mddev md = TestMirror.array(d, member)) {
            TestMirror.of(md).delayMillis = 20;
            RecordingHost host = new RecordingHost();
            SyncThread t = SyncThread.start(md, SyncAction.RESYNC, 0, host);
            while (TestMirror.of(md).calls.size() < 3) {
                Thread.sleep(5);
            }
            t.interrupt();
            t.await();
            long[] f = host.finished.get(0, TimeUnit.SECONDS);
            assertThat(f[1]).isZero();
            assertThat(f[0]).isLessThan(member).isPositive();
            assertThat(f[0] % SyncThread.WINDOW_SECTORS).isZero();
            assertThat(f[0]).isEqualTo(TestMirror.of(md).calls.size() * SyncThread.WINDOW_SECTORS);
            assertThat(host.checkpoints).last().isEqualTo(f[0]);
            assertThat(t.position()).isEqualTo(f[0]);
        }
    }

    /** speed_max = S KiB/s over N KiB: the pass takes about N/S seconds (loose lower bound, no upper bound). */
    @Test
    void speedMaxHoldsThePassBack() throws Exception {
        long member = 8 * 2048; // 8 MiB
        MemoryDisk[] d = disks(2, member);
        try (Mddev md = TestMirror.array(d, member)) {
            RecordingHost host = new RecordingHost();
            host.min = 100;
            host.max = 2048; // 2 MiB/s: 4 s for 8 MiB
            long t0 = System.nanoTime();
            SyncThread t = SyncThread.start(md, SyncAction.RESYNC, 0, host);
            t.await();
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(seconds).isGreaterThanOrEqualTo(0.7 * 4);
            assertThat(host.finished.get()).containsExactly(member, 1);
        }
    }

    /** Normal I/O flowing: the pass drops to speed_min; idle, it runs at full speed (speed_max far away). */
    @Test
    void normalIoHoldsThePassToSpeedMin() throws Exception {
        long member = 8 * 2048;
        MemoryDisk[] d = disks(2, member);
        try (Mddev md = TestMirror.array(d, member)) {
            RecordingHost idleHost = new RecordingHost();
            idleHost.min = 2048;
            long t0 = System.nanoTime();
            SyncThread idle = SyncThread.start(md, SyncAction.RESYNC, 0, idleHost);
            idle.await();
            double idleSeconds = (System.nanoTime() - t0) / 1e9;

            AtomicBoolean stop = new AtomicBoolean();
            java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();
            Thread writer = Thread.ofPlatform().start(() -> {
                byte[] block = random(65536, 3);
                long s = 0;
                while (!stop.get()) {
                    assertThat(SyncIo.write(md, s, block)).isEqualTo(BlkStatus.OK);
                    s = (s + 128) % member;
                    writes.incrementAndGet();
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            try {
                while (writes.get() < 10) {
                    Thread.sleep(1);
                }
                TestMirror.of(md).delayMillis = 1; // windows at disk-like pace, so the writes land between them
                RecordingHost busyHost = new RecordingHost();
                busyHost.min = 2048; // 2 MiB/s: 4 s for 8 MiB while busy
                t0 = System.nanoTime();
                // md's raid1 resyncs in 64 KiB requests; small windows keep the test's slips past is_mddev_idle small
                SyncThread busy = SyncThread.start(md, SyncAction.RESYNC, 0, busyHost, null, 128);
                busy.await();
                double busySeconds = (System.nanoTime() - t0) / 1e9;
                assertThat(busySeconds).isGreaterThanOrEqualTo(0.7 * 4);
                assertThat(idleSeconds).isLessThan(busySeconds);
                System.out.printf("resync of 8 MiB: idle %.2f s, busy (speed_min 2048 KiB/s) %.2f s%n", idleSeconds,
                        busySeconds);
            } finally {
                stop.set(true);
                writer.join();
            }
        }
    }

    @Test
    void finishEstimateFollowsMdsFormula() {
        SyncMarks m = new SyncMarks(0);
        m.add(2_000_000_000L, 20480); // 10 MiB in 2 s
        // db = 20480 sectors since the mark at 0, dt = 2 s: rt = remaining / (db/32 + 1) * dt >> 5
        long remaining = 204800;
        assertThat(m.finishSeconds(2_000_000_000L, remaining)).isEqualTo(remaining / (20480 / 32 + 1) * 2 >> 5);
        assertThat(m.speedKibs(2_000_000_000L)).isEqualTo(5120);
        assertThat(m.throttleKibs(2_000_000_000L)).isEqualTo(20480 / 2 / 3 + 1);
        assertThat(SyncMarks.finishText(754)).isEqualTo("12.5min");
    }
}
