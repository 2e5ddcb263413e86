package jdm.md.raid456;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.BlkStatus;
import jdm.block.HeldDevice;
import jdm.md.ArrayGeometry;
import jdm.md.Mddev;
import jdm.md.Rdev;
import jdm.md.SyncAction;
import jdm.md.personalities.BuiltinPersonalities;
import jdm.testing.MemoryDisk;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * md's read-error correction: a member that fails to read returns the data rebuilt from the others, the pages are
 * rewritten and read again; when that works they count as corrected errors, when the sector stays unreadable
 * (FaultyDisk) the member is failed and the array goes on degraded.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Raid456ReadErrorTest {
    private static final int CHUNK = 16;
    private static final long MEMBER = 32L * CHUNK;
    private static final long OFF = TestArray.DATA_OFFSET;

    @Test
    void aPendingSectorIsRebuiltRewrittenAndCounted() throws Exception {
        int n = 4;
        MemoryDisk[] disks = new MemoryDisk[n];
        PendingSectorDisk[] pending = new PendingSectorDisk[n];
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            disks[i] = new MemoryDisk("m" + i, OFF + MEMBER);
            pending[i] = new PendingSectorDisk(disks[i]);
            Rdev r = new Rdev(HeldDevice.of(pending[i], 7, i, () -> { }), "m" + i, OFF, MEMBER, i);
            r.set(Rdev.Flag.IN_SYNC);
            rdevs.add(r);
        }
        List<String> log = new CopyOnWriteArrayList<>();
        try (Mddev md = Mddev.run("md0", 0, new ArrayGeometry(5, 2, CHUNK, n, MEMBER), rdevs,
                BuiltinPersonalities.registry(), log::add)) {
            byte[] model = new byte[(int) md.sizeSectors() * 512];
            new Random(1).nextBytes(model);
            assertThat(SyncIo.write(md, 0, model)).isEqualTo(BlkStatus.OK);
            // array sector 40 (chunk 2, data index 2): member and member sector from the kernel's formula
            KernelFormulas.Place pl = KernelFormulas.compute(40, 5, 2, n, CHUNK);
            long bad = OFF + pl.sector() + 1;
            pending[pl.dd()].markBad(bad, 1);
            log.clear();
            assertThat(SyncIo.read(md, 40, 4)).isEqualTo(Arrays.copyOfRange(model, 40 * 512, 44 * 512));
            assertThat(pending[pl.dd()].isBad(bad)).as("rewritten").isFalse();
            Rdev r = md.rdev(pl.dd());
            assertThat(r.correctedErrors()).isEqualTo(8);
            assertThat(r.faulty()).isFalse();
            long page = OFF + pl.sector() / 8 * 8;
            assertThat(log).containsExactly("md/raid:md0: read error corrected (8 sectors at " + page + " on m"
                    + pl.dd() + ")");
            assertThat(disks[pl.dd()].bytes(OFF + pl.sector(), 4))
                    .isEqualTo(Arrays.copyOfRange(model, 40 * 512, 44 * 512));

            // the same during a check: P unreadable in stripe 5 is rebuilt and rewritten, no mismatch
            int p = new jdm.md.layout.StripedParityLayout(5, n, CHUNK, jdm.md.layout.ParityAlgorithm.LEFT_SYMMETRIC,
                    MEMBER).parityMember(5);
            pending[p].markBad(OFF + 5 * CHUNK + 9, 2);
            int before = md.rdev(p).correctedErrors();
            AtomicLong mismatches = new AtomicLong();
            for (long s = 0; s < MEMBER; ) {
                s += md.personality().syncRequest(s, 64, SyncAction.CHECK, mismatches);
            }
            assertThat(mismatches.get()).isZero();
            assertThat(md.rdev(p).correctedErrors() - before).isEqualTo(8);
            assertThat(pending[p].isBad(OFF + 5 * CHUNK + 9)).isFalse();
        }
    }

    @Test
    void aSectorThatStaysUnreadableFailsTheMember() throws Exception {
        try (TestArray a = TestArray.create(6, 2, CHUNK, 5, MEMBER)) {
            byte[] model = new byte[(int) a.md.sizeSectors() * 512];
            new Random(2).nextBytes(model);
            assertThat(SyncIo.write(a.md, 0, model)).isEqualTo(BlkStatus.OK);
            KernelFormulas.Place pl = KernelFormulas.compute(100, 6, 2, 5, CHUNK);
            a.faulty[pl.dd()].failReads(OFF + pl.sector(), 1, BlkStatus.MEDIUM);
            a.log.clear();
            assertThat(SyncIo.read(a.md, 96, 16)).isEqualTo(Arrays.copyOfRange(model, 96 * 512, 112 * 512));
            Rdev r = a.md.rdevs().get(pl.dd());
            assertThat(r.faulty()).isTrue();
            assertThat(r.correctedErrors()).isZero();
            long page = OFF + pl.sector() / 8 * 8;
            assertThat(a.log).containsExactly(
                    "md/raid:md0: read error NOT corrected!! (sector " + page + " on m" + pl.dd() + ").",
                    "md/raid:md0: Disk failure on m" + pl.dd() + ", disabling device.",
                    "md/raid:md0: Operation continuing on 4 devices.");
            assertThat(SyncIo.read(a.md, 0, (int) a.md.sizeSectors())).isEqualTo(model);
        }
    }

    @Test
    void aWriteErrorFailsTheMemberAndTheArrayGoesOn() throws Exception {
        try (TestArray a = TestArray.create(5, 2, CHUNK, 4, MEMBER)) {
            a.faulty[2].failWrites(0, Long.MAX_VALUE, BlkStatus.IOERR);
            byte[] model = new byte[(int) a.md.sizeSectors() * 512];
            new Random(3).nextBytes(model);
            assertThat(SyncIo.write(a.md, 0, model)).isEqualTo(BlkStatus.OK);
            assertThat(a.md.rdevs().get(2).faulty()).isTrue();
            assertThat(a.md.rdevs().get(2).has(Rdev.Flag.WRITE_ERROR_SEEN)).isTrue();
            assertThat(a.log).containsSubsequence("md/raid:md0: Disk failure on m2, disabling device.",
                    "md/raid:md0: Operation continuing on 3 devices.");
            assertThat(SyncIo.read(a.md, 0, (int) a.md.sizeSectors())).isEqualTo(model);
        }
    }
}
