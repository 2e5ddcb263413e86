package jdm.crash;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The checker itself: it must catch lost, torn, misplaced and invented blocks, or the crash tests prove nothing. */
class WriteLedgerTest {
    static byte[] bytes(long block, long seq) {
        return BlockPattern.encode(block, seq).array();
    }

    @Test
    void aBlockReadsAsZeroesOrOneOfItsWritesAndNothingElse() {
        WriteLedger l = new WriteLedger(4);
        l.sent(1, 7);
        assertThat(l.check(1, new byte[4096], 0)).isNull();
        assertThat(l.check(1, bytes(1, 7), 0)).isNull();
        assertThat(l.check(2, bytes(1, 7), 0)).isEqualTo("block 2 holds bytes no write put there");
        assertThat(l.check(1, bytes(1, 8), 0)).isEqualTo("block 1 holds write 8, which was never sent to it");
        byte[] torn = bytes(1, 7);
        torn[3000] ^= 1;
        assertThat(l.check(1, torn, 0)).isEqualTo("block 1 holds bytes no write put there");
    }

    @Test
    void aDurableWriteMustBeThereOrALaterOne() {
        WriteLedger l = new WriteLedger(2);
        l.sent(0, 3);
        l.sent(0, 5);
        l.sent(0, 9);
        l.durable(0, 5);
        assertThat(l.check(0, new byte[4096], 0)).isEqualTo("block 0 lost acknowledged write 5 (reads zeroes)");
        assertThat(l.check(0, bytes(0, 3), 0)).isEqualTo("block 0 lost acknowledged write 5 (reads older write 3)");
        assertThat(l.check(0, bytes(0, 5), 0)).isNull();
        assertThat(l.check(0, bytes(0, 9), 0)).isNull();
        l.settle(0, 9);
        assertThat(l.check(0, bytes(0, 5), 0)).isEqualTo("block 0 holds write 5, which was never sent to it");
    }

    @Test
    void afterAProcessCrashEvenAWriteAcknowledgedWithoutFuaMustBeThere() {
        WriteLedger l = new WriteLedger(1);
        l.sent(0, 4);
        l.sent(0, 6);
        l.acknowledged(0, 4);
        assertThat(l.checkAcknowledged(0, new byte[4096], 0))
                .isEqualTo("block 0 lost acknowledged write 4 (reads zeroes)");
        assertThat(l.check(0, new byte[4096], 0)).as("a power cut may lose it").isNull();
        assertThat(l.checkAcknowledged(0, bytes(0, 4), 0)).isNull();
        assertThat(l.checkAcknowledged(0, bytes(0, 6), 0)).isNull();
    }
}
