package jdm.md.linear;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.HeldDevice;
import jdm.block.Op;
import jdm.md.ArrayGeometry;
import jdm.md.MdException;
import jdm.md.Mddev;
import jdm.md.Rdev;
import jdm.md.personalities.BuiltinPersonalities;
import jdm.testing.FaultyDisk;
import jdm.testing.MemoryDisk;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LinearTest {
    private static final long OFFSET = 2048;

    private final List<String> log = new CopyOnWriteArrayList<>();

    private Mddev array(int chunkSectors, long[] sizes, BlockDevice... disks) throws MdException {
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < disks.length; i++) {
            Rdev r = new Rdev(HeldDevice.of(disks[i], 7, i, () -> { }), "m" + i, OFFSET, sizes[i], i);
            r.set(Rdev.Flag.IN_SYNC);
            rdevs.add(r);
        }
        return Mddev.run("md0", 0, new ArrayGeometry(ArrayGeometry.LINEAR, 0, chunkSectors, disks.length, 0), rdevs,
                BuiltinPersonalities.registry(), log::add);
    }

    private static MemoryDisk[] disks(long... sizes) {
        MemoryDisk[] d = new MemoryDisk[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            d[i] = new MemoryDisk("m" + i, OFFSET + sizes[i]);
        }
        return d;
    }

    @Test
    void membersFollowEachOtherRoundedDownToTheChunk() throws MdException {
        long[] sizes = {1000, 777, 2048};
        MemoryDisk[] d = disks(sizes);
        try (Mddev md = array(128, sizes, d)) {
            // md-linear rounds each member to whole 64 KiB chunks: 896 + 768 + 2048
            assertThat(md.sizeSectors()).isEqualTo(896 + 768 + 2048);
            assertThat(md.rdevs().get(0).sectors()).isEqualTo(896);
            assertThat(md.personality().status()).isEqualTo("64k rounding");
            byte[] image = new byte[(int) md.sizeSectors() * 512];
            new Random(1).nextBytes(image);
            // writes that straddle member ends
            for (int off = 0; off < image.length; ) {
                int len = Math.min(image.length - off, 512 * 333);
                assertThat(SyncIo.write(md, off / 512, Arrays.copyOfRange(image, off, off + len)))
                        .isEqualTo(BlkStatus.OK);
                off += len;
            }
            assertThat(d[0].bytes(OFFSET, 896)).isEqualTo(Arrays.copyOfRange(image, 0, 896 * 512));
            assertThat(d[1].bytes(OFFSET, 768)).isEqualTo(Arrays.copyOfRange(image, 896 * 512, 1664 * 512));
            assertThat(d[2].bytes(OFFSET, 2048)).isEqualTo(Arrays.copyOfRange(image, 1664 * 512, image.length));
            assertThat(d[0].bytes(OFFSET + 896, 104)).as("past the rounded end").isEqualTo(new byte[104 * 512]);
            assertThat(SyncIo.read(md, 0, (int) md.sizeSectors())).isEqualTo(image);
        }
    }

    @Test
    void withoutRoundingEveryMemberSectorIsUsed() throws MdException {
        long[] sizes = {1000, 777};
        try (Mddev md = array(0, sizes, disks(sizes))) {
            assertThat(md.sizeSectors()).isEqualTo(1777);
            assertThat(md.personality().status()).isEqualTo("0k rounding");
        }
    }

    @Test
    void discardAndWriteZeroesReachTheMembers() throws MdException {
        long[] sizes = {256, 256};
        MemoryDisk[] m = disks(sizes);
        FaultyDisk b = new FaultyDisk(m[1]);
        try (Mddev md = array(0, sizes, m[0], b)) {
            byte[] data = new byte[512 * 512];
            new Random(2).nextBytes(data);
            assertThat(SyncIo.write(md, 0, data)).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.op(md, Op.WRITE_ZEROES, 200, 100)).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.op(md, Op.DISCARD, 300, 212)).isEqualTo(BlkStatus.OK);
            assertThat(b.seen()).contains(new FaultyDisk.Seen(Op.WRITE_ZEROES, 0, OFFSET, 44),
                    new FaultyDisk.Seen(Op.DISCARD, 0, OFFSET + 44, 212));
            assertThat(m[0].bytes(OFFSET + 200, 56)).isEqualTo(new byte[56 * 512]);
            assertThat(m[1].bytes(OFFSET, 256)).isEqualTo(new byte[256 * 512]);
        }
    }

    @Test
    void aMemberErrorFailsTheIoAndNoMember() throws MdException {
        long[] sizes = {256, 256};
        MemoryDisk[] m = disks(sizes);
        FaultyDisk b = new FaultyDisk(m[1]);
        try (Mddev md = array(0, sizes, m[0], b)) {
            b.failWrites(0, Long.MAX_VALUE, BlkStatus.IOERR);
            assertThat(SyncIo.write(md, 250, new byte[10 * 512])).isEqualTo(BlkStatus.IOERR);
            md.error(md.rdevs().get(1));
            assertThat(md.rdevs().get(1).faulty()).isFalse();
            assertThat(log).containsExactly("md/linearmd0: Disk failure on m1 detected, failing array.");
            assertThat(md.personality().degraded()).isZero();
        }
    }

    @Test
    void aMissingMemberRefusesToRun() {
        MemoryDisk d = new MemoryDisk("m0", OFFSET + 256);
        Rdev r = new Rdev(HeldDevice.of(d, 7, 0, () -> { }), "m0", OFFSET, 256, 0);
        assertThatThrownBy(() -> Mddev.run("md0", 0, new ArrayGeometry(ArrayGeometry.LINEAR, 0, 0, 2, 0), List.of(r),
                BuiltinPersonalities.registry(), line -> { }))
                .isInstanceOf(MdException.class).hasMessage("md/linear:md0: not enough drives present. Aborting!");
    }
}
