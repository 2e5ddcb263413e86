package jdm.dm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.testing.DeviceChecks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Byte-exact I/O through linear, striped, zero and error targets over files: random requests, many straddling
 * target and chunk boundaries, checked against a model that places each sector by the kernel's formulas, both
 * through the device and in the backing files.
 */
class MappedIoTest {
    /** Backing files reach tables through checking wrappers: bios in range, each ended exactly once. */
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;

    private final Map<BlockDevice, BlockDevice> checked = new IdentityHashMap<>();

    /** The test's I/O to a mapped device goes through a checking wrapper too: each bio ends exactly once. */
    private BlockDevice checked(BlockDevice md) {
        return checked.computeIfAbsent(md, checks::wrap);
    }

    /** Where one device sector lives: file index and sector in it, or -1 for zero, -2 for error. */
    record Place(int file, long sector) {
    }

    /** The kernel's stripe_map_sector for a target-relative sector. */
    static Place striped(long rel, int[] files, long[] starts, long chunk) {
        long c = rel / chunk;
        int s = (int) (c % files.length);
        return new Place(files[s], starts[s] + (c / files.length) * chunk + rel % chunk);
    }

    @ParameterizedTest(name = "chunk {0} sectors")
    @ValueSource(longs = {8, 24, 128})
    void randomRequestsLandWhereTheKernelFormulasPutThem(long chunk) throws Exception {
        DeviceNamespace ns = Fixtures.namespace(checks);
        Path[] files = {Fixtures.file(dir, "a.img", 4 << 20), Fixtures.file(dir, "b.img", 4 << 20),
                Fixtures.file(dir, "c.img", 4 << 20)};
        long stripedLen = 3 * chunk * 20;
        // linear | 3-way striped (uneven leg offsets) | zero | linear, with odd boundaries
        String table = String.join("\n",
                "0 1001 linear " + files[0] + " 3000",
                "1001 " + stripedLen + " striped 3 " + chunk + " " + files[1] + " 7 " + files[2] + " 0 "
                        + files[0] + " 100",
                (1001 + stripedLen) + " 77 zero",
                (1078 + stripedLen) + " 333 linear " + files[2] + " 5000");
        MappedDevice md = ns.createWithTable("vol", null, false, table, dir);
        long size = 1411 + stripedLen;
        assertThat(md.sizeSectors()).isEqualTo(size);

        Place[] map = new Place[(int) size];
        for (long s = 0; s < size; s++) {
            if (s < 1001) {
                map[(int) s] = new Place(0, 3000 + s);
            } else if (s < 1001 + stripedLen) {
                map[(int) s] = striped(s - 1001, new int[] {1, 2, 0}, new long[] {7, 0, 100}, chunk);
            } else if (s < 1078 + stripedLen) {
                map[(int) s] = new Place(-1, 0);
            } else {
                map[(int) s] = new Place(2, 5000 + s - 1078 - stripedLen);
            }
        }

        byte[] model = new byte[(int) size * 512];
        Random rnd = new Random(chunk);
        for (int i = 0; i < 300; i++) {
            int len = 1 + rnd.nextInt(i % 10 == 0 ? 700 : 40);
            long at = rnd.nextLong(size - len);
            byte[] data = new byte[len * 512];
            rnd.nextBytes(data);
            assertThat(Fixtures.write(checked(md), at, data)).isEqualTo(BlkStatus.OK);
            for (int k = 0; k < len; k++) {
                if (map[(int) (at + k)].file() >= 0) {
                    System.arraycopy(data, k * 512, model, (int) (at + k) * 512, 512);
                }
            }
        }
        // read back through the device, in one piece and in odd pieces
        assertThat(Fixtures.read(checked(md), 0, (int) size)).isEqualTo(model);
        for (long at = 0; at < size; ) {
            int len = (int) Math.min(size - at, 1 + rnd.nextInt(300));
            byte[] got = Fixtures.read(checked(md), at, len);
            for (int k = 0; k < len; k++) {
                assertThat(ByteBuffer.wrap(got, k * 512, 512))
                        .as("sector %d", at + k).isEqualTo(ByteBuffer.wrap(model, (int) (at + k) * 512, 512));
            }
            at += len;
        }
        assertThat(checks.devices()).as("three files and the mapped device, each checked")
                .hasSize(4).allSatisfy(c -> assertThat(c.submitted()).isPositive());
        ns.remove("vol");
        // and in the backing files, sector by sector
        byte[][] raw = {Files.readAllBytes(files[0]), Files.readAllBytes(files[1]), Files.readAllBytes(files[2])};
        for (int s = 0; s < size; s++) {
            Place p = map[s];
            if (p.file() >= 0) {
                assertThat(ByteBuffer.wrap(raw[p.file()], (int) p.sector() * 512, 512)).as("sector %d", s)
                        .isEqualTo(ByteBuffer.wrap(model, s * 512, 512));
            }
        }
    }

    @Test
    void zeroReadsZerosAndErrorFailsWithEio() throws Exception {
        DeviceNamespace ns = Fixtures.namespace(checks);
        Path a = Fixtures.file(dir, "a.img", 1 << 20);
        byte[] ones = new byte[64 * 512];
        java.util.Arrays.fill(ones, (byte) 1);
        Files.write(a, ones);
        MappedDevice md = ns.createWithTable("vol", null, false,
                "0 16 linear " + a + " 0\n16 16 zero\n32 16 error\n48 16 linear " + a + " 48", dir);
        assertThat(Fixtures.read(checked(md), 16, 16)).containsOnly(0);
        assertThat(Fixtures.write(checked(md), 16, new byte[16 * 512])).isEqualTo(BlkStatus.OK); // dropped
        assertThat(Fixtures.write(checked(md), 16, java.util.Arrays.copyOf(ones, 16 * 512))).isEqualTo(BlkStatus.OK);
        assertThat(Fixtures.read(checked(md), 16, 16)).containsOnly(0);
        assertThat(Fixtures.write(checked(md), 30, new byte[4 * 512])).as("a write straddling into error")
                .isEqualTo(BlkStatus.IOERR);
        assertThat(new Bio(Op.READ, 0, checked(md), 40, 1, ByteBuffer.allocate(512), null).submitAndWait())
                .isEqualTo(BlkStatus.IOERR);
        assertThat(Fixtures.op(checked(md), Op.FLUSH, 0, 0)).isEqualTo(BlkStatus.OK);
        assertThat(Fixtures.read(checked(md), 48, 16)).containsOnly(1);
        // straight to md, not through a checker: out of range on purpose
        assertThat(new Bio(Op.READ, 0, md, 60, 8, ByteBuffer.allocate(4096), null).submitAndWait())
                .as("beyond the end").isEqualTo(BlkStatus.IOERR);
    }

    @Test
    void discardAndWriteZeroesOnAStripeReachEveryLegOnlyWhereTheRangeLies() throws Exception {
        DeviceNamespace ns = Fixtures.namespace(checks);
        Path a = Fixtures.file(dir, "a.img", 1 << 20);
        Path b = Fixtures.file(dir, "b.img", 1 << 20);
        byte[] fill = new byte[1 << 20];
        java.util.Arrays.fill(fill, (byte) 7);
        Files.write(a, fill);
        Files.write(b, fill);
        MappedDevice md = ns.createWithTable("vol", null, false,
                "0 2048 striped 2 16 " + a + " 0 " + b + " 0", dir);
        // device sectors 20..69: chunk 1 (b 0..15) from 4, chunk 2 (a 16..31), chunk 3 (b 16..31), chunk 4 to 5
        assertThat(Fixtures.op(checked(md), Op.WRITE_ZEROES, 20, 50)).isEqualTo(BlkStatus.OK);
        byte[] dev = Fixtures.read(checked(md), 0, 2048);
        for (int s = 0; s < 2048; s++) {
            byte want = (s >= 20 && s < 70) ? 0 : (byte) 7;
            assertThat(dev[s * 512]).as("sector %d", s).isEqualTo(want);
            assertThat(dev[s * 512 + 511]).as("sector %d end", s).isEqualTo(want);
        }
        byte[] rawA = Files.readAllBytes(a);
        byte[] rawB = Files.readAllBytes(b);
        assertThat(rawB[4 * 512]).isEqualTo((byte) 0);
        assertThat(rawB[3 * 512]).isEqualTo((byte) 7);
        assertThat(rawA[16 * 512]).isEqualTo((byte) 0);
        assertThat(rawA[38 * 512]).isEqualTo((byte) 7); // chunk 4 on a covers device 64..69 = a 32..37
        assertThat(rawA[37 * 512]).isEqualTo((byte) 0);
    }

    @Test
    void aDeepStackOfDevicesIsResolvedWithoutRecursion() throws Exception {
        DeviceNamespace ns = Fixtures.namespace(checks);
        Path a = Fixtures.file(dir, "a.img", 1 << 20);
        ns.createWithTable("d0", null, false, "0 2048 linear " + a + " 0", dir);
        for (int i = 1; i <= 3000; i++) {
            ns.createWithTable("d" + i, null, false, "0 2048 linear d" + (i - 1) + " 0", dir);
        }
        MappedDevice top = ns.get("d3000");
        byte[] data = new byte[8 * 512];
        new Random(1).nextBytes(data);
        assertThat(Fixtures.write(checked(top), 100, data)).isEqualTo(BlkStatus.OK);
        assertThat(Fixtures.read(checked(ns.get("d0")), 100, 8)).isEqualTo(data);
        assertThat(Fixtures.read(checked(top), 100, 8)).isEqualTo(data);
    }

    @Test
    void aLiveTableSwapUnderConcurrentWritesLosesNoAcknowledgedWrite() throws Exception {
        DeviceNamespace ns = Fixtures.namespace(checks);
        Path a = Fixtures.file(dir, "a.img", 8 << 20);
        String one = "0 16384 linear " + a + " 0";
        String two = "0 5000 linear " + a + " 0\n5000 11384 linear " + a + " 5000";
        MappedDevice md = ns.createWithTable("vol", null, false, one, dir);
        byte[] expect = new byte[16384 * 512];
        new Random(5).nextBytes(expect);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        BlockDevice io = checked(md);
        for (int w = 0; w < 4; w++) {
            int first = w;
            writers.add(Thread.ofVirtual().start(() -> {
                for (int blk = first; blk < 2048; blk += 4) { // 4 KiB blocks, each written once
                    CountDownLatch done = new CountDownLatch(1);
                    Bio bio = new Bio(Op.WRITE, 0, io, blk * 8L, 8, ByteBuffer.wrap(expect, blk * 4096, 4096),
                            b -> done.countDown());
                    bio.submit();
                    try {
                        done.await();
                    } catch (InterruptedException e) {
                        failure.set(e);
                    }
                    if (bio.status() != BlkStatus.OK) {
                        failure.set(new AssertionError("write " + blk + " failed " + bio.status()));
                    }
                }
            }));
        }
        for (int i = 0; i < 40; i++) {
            ns.load("vol", i % 2 == 0 ? two : one, dir);
            ns.suspend("vol", false);
            ns.resume("vol");
        }
        for (Thread t : writers) {
            t.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(Fixtures.read(checked(md), 0, 16384)).isEqualTo(expect);
        assertThat(Files.readAllBytes(a)).isEqualTo(expect);
    }

    @Test
    void ioSubmittedWhileSuspendedWaitsForResume() throws Exception {
        DeviceNamespace ns = Fixtures.namespace(checks);
        Path a = Fixtures.file(dir, "a.img", 1 << 20);
        MappedDevice md = ns.createWithTable("vol", null, false, "0 2048 linear " + a + " 0", dir);
        ns.suspend("vol", false);
        CountDownLatch done = new CountDownLatch(1);
        byte[] data = new byte[512];
        data[0] = 42;
        new Bio(Op.WRITE, 0, checked(md), 3, 1, ByteBuffer.wrap(data), b -> done.countDown()).submit();
        assertThat(done.getCount()).as("queued while suspended").isEqualTo(1);
        assertThat(Files.readAllBytes(a)[3 * 512]).isEqualTo((byte) 0);
        ns.resume("vol");
        done.await();
        assertThat(Files.readAllBytes(a)[3 * 512]).isEqualTo((byte) 42);
    }
}
