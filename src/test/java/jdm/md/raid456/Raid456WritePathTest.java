package jdm.md.raid456;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What each write reads, counted at the members, against handle_stripe_dirtying's choice: read-modify-write reads
 * the written data and the parity, reconstruct-write reads the data not overwritten, rmw only when strictly
 * cheaper, and a full-stripe write reads nothing. Reads of in-sync members go straight to the member.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Raid456WritePathTest {
    private static final int CHUNK = 8;     // one 4 KiB page per chunk: data index = page in the stripe
    private static final long MEMBER = 64L * CHUNK;

    private static int reads(TestArray a) {
        int n = 0;
        for (var f : a.faulty) {
            n += f.submits(Op.READ);
        }
        return n;
    }

    private static int writes(TestArray a) {
        int n = 0;
        for (var f : a.faulty) {
            n += f.submits(Op.WRITE);
        }
        return n;
    }

    @ParameterizedTest(name = "raid{0} on {1} members, {2} of the data pages: {3} member reads, {4} writes")
    @CsvSource({
        "5, 6, 1, 2, 2",      // rmw 2 (D + P) < rcw 4
        "5, 6, 2, 3, 3",      // rmw 3 < rcw 3? no: tie goes to rcw -> 3 reads of the other data
        "5, 6, 3, 2, 4",      // rcw 2 < rmw 4
        "5, 6, 5, 0, 6",      // full stripe: no reads
        "6, 6, 1, 3, 3",      // rmw 3 (D, P, Q) vs rcw 3: tie -> rcw reads the 3 other data
        "6, 8, 1, 3, 3",      // rmw 3 < rcw 5: reads D, P and Q
        "6, 8, 6, 0, 8",      // full stripe
        "4, 5, 1, 2, 2"})
    void readModifyWriteOrReconstructWriteAsTheKernelChooses(int level, int n, int pages, int wantReads,
            int wantWrites) throws Exception {
        try (TestArray a = TestArray.create(level, 2, CHUNK, n, MEMBER)) {
            int dataDisks = n - (level == 6 ? 2 : 1);
            byte[] d = new byte[pages * 4096];
            new Random(pages).nextBytes(d);
            long stripe3 = 3L * dataDisks * CHUNK;
            int r0 = reads(a);
            int w0 = writes(a);
            assertThat(SyncIo.write(a.md, stripe3, d)).isEqualTo(BlkStatus.OK);
            assertThat(reads(a) - r0).as("member reads").isEqualTo(wantReads);
            assertThat(writes(a) - w0).as("member writes").isEqualTo(wantWrites);
            int r1 = reads(a);
            assertThat(SyncIo.read(a.md, stripe3, pages * 8)).isEqualTo(d);
            assertThat(reads(a) - r1).as("direct reads, one per chunk").isEqualTo(pages);
        }
    }

    @org.junit.jupiter.api.Test
    void writesQueuedOnOneStripeJoinIntoAFullStripeWrite() throws Exception {
        try (TestArray a = TestArray.create(5, 2, CHUNK, 6, MEMBER)) {
            long stripe3 = 3L * 5 * CHUNK;
            byte[] first = new byte[5 * 4096];
            new Random(1).nextBytes(first);
            for (var f : a.faulty) {
                f.delayCompletions(java.time.Duration.ofMillis(500));   // keeps the stripe busy a while
            }
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(6);
            new jdm.block.Bio(Op.WRITE, 0, a.md, stripe3, 40, java.nio.ByteBuffer.wrap(first), b -> done.countDown())
                    .submit();
            byte[] second = new byte[5 * 4096];
            new Random(2).nextBytes(second);
            int r0 = reads(a);
            for (int page = 0; page < 5; page++) {      // five partial writes queue behind it, one per data chunk
                new jdm.block.Bio(Op.WRITE, 0, a.md, stripe3 + page * 8L, 8,
                        java.nio.ByteBuffer.wrap(second, page * 4096, 4096), b -> done.countDown()).submit();
            }
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(reads(a) - r0).as("joined into one full-stripe write: no reads").isZero();
            for (var f : a.faulty) {
                f.delayCompletions(java.time.Duration.ZERO);
            }
            assertThat(SyncIo.read(a.md, stripe3, 40)).isEqualTo(second);
            assertThat(Raid456SyncTest.pass(a, jdm.md.SyncAction.CHECK, 64)).isZero();
        }
    }

    @org.junit.jupiter.api.Test
    void writeZeroesWritesZeroPagesAndDiscardIsNotSupported() throws Exception {
        try (TestArray a = TestArray.create(6, 2, CHUNK, 5, MEMBER)) {
            byte[] d = new byte[(int) a.md.sizeSectors() * 512];
            new Random(9).nextBytes(d);
            assertThat(SyncIo.write(a.md, 0, d)).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.op(a.md, Op.WRITE_ZEROES, 13, 50)).isEqualTo(BlkStatus.OK);
            java.util.Arrays.fill(d, 13 * 512, 63 * 512, (byte) 0);
            assertThat(SyncIo.read(a.md, 0, (int) a.md.sizeSectors())).isEqualTo(d);
            assertThat(SyncIo.op(a.md, Op.WRITE_ZEROES, jdm.block.Bio.NOFALLBACK, 0, 8))
                    .isEqualTo(BlkStatus.NOTSUPP);
            assertThat(SyncIo.op(a.md, Op.DISCARD, 0, 8)).isEqualTo(BlkStatus.NOTSUPP);
            assertThat(Raid456SyncTest.pass(a, jdm.md.SyncAction.CHECK, 64)).isZero();
        }
    }
}
