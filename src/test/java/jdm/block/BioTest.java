package jdm.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BioTest {
    @Test
    void aChainedBioEndsOnceAfterEveryPieceWithTheFirstError() {
        AtomicInteger ended = new AtomicInteger();
        Bio parent = new Bio(Op.FLUSH, 0, null, 0, 0, null, b -> ended.incrementAndGet());
        parent.chain();
        parent.chain();
        parent.endio(BlkStatus.OK);
        parent.endio(BlkStatus.NOSPC);
        assertThat(ended).hasValue(0);
        parent.endio(BlkStatus.IOERR);
        assertThat(ended).hasValue(1);
        assertThat(parent.status()).isEqualTo(BlkStatus.NOSPC);
        assertThatThrownBy(() -> parent.endio(BlkStatus.OK)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aCloneSharesItsSliceOfTheParentsBuffer() {
        ByteBuffer buf = ByteBuffer.allocate(4 * 512);
        Bio bio = new Bio(Op.WRITE, Bio.FUA, null, 100, 4, buf, null);
        Bio c = bio.clone(1, 2, null);
        assertThat(c.sector()).isEqualTo(101);
        assertThat(c.sectors()).isEqualTo(2);
        assertThat(c.fua()).isTrue();
        c.data().put(0, (byte) 5);
        assertThat(buf.get(512)).isEqualTo((byte) 5);
        assertThatThrownBy(() -> bio.clone(3, 2, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBufferThatDoesNotMatchTheLengthIsRefused() {
        assertThatThrownBy(() -> new Bio(Op.READ, 0, null, 0, 2, ByteBuffer.allocate(512), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Bio(Op.FLUSH, 0, null, 0, 0, ByteBuffer.allocate(512), null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
