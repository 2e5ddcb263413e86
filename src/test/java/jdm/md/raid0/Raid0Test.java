package jdm.md.raid0;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import jdm.block.BlkStatus;
import jdm.block.HeldDevice;
import jdm.md.ArrayGeometry;
import jdm.md.Mddev;
import jdm.md.MdException;
import jdm.md.Rdev;
import jdm.md.personalities.BuiltinPersonalities;
import jdm.testing.MemoryDisk;
import jdm.testing.SyncIo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class Raid0Test {
    private static final long DATA_OFFSET = 2048;

    private static Mddev array(MemoryDisk[] disks, int chunkSectors, long memberSectors) throws MdException {
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < disks.length; i++) {
            Rdev r = new Rdev(HeldDevice.of(disks[i], 7, i, () -> { }), disks[i].name(), DATA_OFFSET, memberSectors,
                    i);
            r.set(Rdev.Flag.IN_SYNC);
            rdevs.add(r);
        }
        return Mddev.run("md0", 0, new ArrayGeometry(0, 0, chunkSectors, disks.length, memberSectors), rdevs,
                BuiltinPersonalities.registry(), line -> { });
    }

    @ParameterizedTest(name = "{0} members, {1}-sector chunks")
    @CsvSource({"2, 8", "3, 128", "4, 1024"})
    void everyChunkLandsWhereRaid0sFormulaPutsIt(int n, int chunk) throws MdException {
        long member = 64L * chunk;
        MemoryDisk[] disks = new MemoryDisk[n];
        for (int i = 0; i < n; i++) {
            disks[i] = new MemoryDisk("m" + i, DATA_OFFSET + member);
        }
        try (Mddev md = array(disks, chunk, member)) {
            assertThat(md.sizeSectors()).isEqualTo(member * n);
            byte[] data = new byte[(int) (md.sizeSectors() * 512)];
            new Random(n * 31L + chunk).nextBytes(data);
            // odd-sized writes that straddle chunk boundaries
            for (int off = 0; off < data.length; ) {
                int len = Math.min(data.length - off, 512 * (chunk * 3 / 2 + 1));
                byte[] piece = java.util.Arrays.copyOfRange(data, off, off + len);
                assertThat(SyncIo.write(md, off / 512, piece)).isEqualTo(BlkStatus.OK);
                off += len;
            }
            // independent reference: chunk c of the array is chunk c / n of member c % n (one zone)
            for (long c = 0; c < md.sizeSectors() / chunk; c++) {
                byte[] want = java.util.Arrays.copyOfRange(data, (int) (c * chunk * 512), (int) ((c + 1) * chunk * 512));
                byte[] got = disks[(int) (c % n)].bytes(DATA_OFFSET + c / n * chunk, chunk);
                assertThat(got).as("chunk %d", c).isEqualTo(want);
            }
            assertThat(SyncIo.read(md, 0, (int) md.sizeSectors())).isEqualTo(data);
        }
    }

    @Test
    void aMissingMemberRefusesToRun() {
        MemoryDisk d = new MemoryDisk("m0", DATA_OFFSET + 1024);
        Rdev r = new Rdev(HeldDevice.of(d, 7, 0, () -> { }), "m0", DATA_OFFSET, 1024, 0);
        assertThatThrownBy(() -> Mddev.run("md0", 0, new ArrayGeometry(0, 0, 128, 2, 1024), List.of(r),
                BuiltinPersonalities.registry(), line -> { }))
                .isInstanceOf(MdException.class).hasMessageContaining("too few disks");
    }
}
