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
        assertThat(l.check(2, bytes(1, 7), 0))
                .isEqualTo("block 2 holds bytes no write put there (sectors 0-7 no write)");
        assertThat(l.check(1, bytes(1, 8), 0)).isEqualTo("block 1 holds write 8, which was never sent to it");
    }

    @Test
    void aTornBlockIsDescribedSectorBySector() {
        WriteLedger l = new WriteLedger(1);
        l.sent(0, 7);
        l.sent(0, 9);
        byte[] torn = bytes(0, 7);
        System.arraycopy(bytes(0, 9), 2048, torn, 2048, 2048); // torn at a sector boundary, as a disk may
        assertThat(l.check(0, torn, 0))
                .isEqualTo("block 0 holds bytes no write put there (sectors 0-3 write 7, sectors 4-7 write 9)");
        torn = new byte[4096];
        System.arraycopy(bytes(0, 9), 0, torn, 0, 1000); // torn inside sector 1, as a copy stopped midway
        assertThat(l.check(0, torn, 0)).isEqualTo("block 0 holds bytes no write put there (sector 0 write 9, "
                + "sector 1 write 9 to byte 488, then none, sectors 2-7 zeroes)");
        byte[] flipped = bytes(0, 7);
        flipped[3000] ^= 1; // one bit no write put there
        assertThat(l.check(0, flipped, 0)).isEqualTo("block 0 holds bytes no write put there (sectors 0-4 write 7, "
                + "sector 5 write 7 to byte 440, then none, sectors 6-7 write 7)");
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
