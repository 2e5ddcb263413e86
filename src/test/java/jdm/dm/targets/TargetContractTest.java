package jdm.dm.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.block.QueueLimits;
import jdm.block.dev.BackingFiles;
import jdm.dm.DeviceNamespace;
import jdm.dm.DmDev;
import jdm.dm.DeviceVisitor;
import jdm.dm.DmException;
import jdm.dm.EndIoResult;
import jdm.dm.MapResult;
import jdm.dm.MappedDevice;
import jdm.dm.StatusType;
import jdm.dm.Table;
import jdm.dm.Target;
import jdm.dm.TargetRegistry;
import jdm.dm.TargetType;
import jdm.testing.CheckingDevice;
import jdm.testing.DeviceChecks;
import jdm.testing.FaultyDisk;
import jdm.testing.MemoryDisk;
import jdm.testing.TestDisks;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every target owes the core, tested the same way for each (a target's test extends this and says what its
 * tables look like): the kernel's error sentences for bad tables, TABLE output that loads back into the same
 * target, read-after-write across target and max-io boundaries, a flush that reaches every device the target
 * names, no clone crossing the target's end or its max io length, and iterateDevices covering every device area
 * written.
 *
 * <p>Tables name the test disks as {@code 8:0}..{@code 8:3} (the sd major), each {@value #DISK_SECTORS} sectors of
 * memory behind a {@link FaultyDisk} that records the bios it gets and a {@link CheckingDevice} that fails the test
 * on a bio out of range, ended twice or never. Every target type is registered through a checking wrapper of the same
 * name that records clones crossing a boundary.
 */
abstract class TargetContractTest {
    static final int DISKS = 4;
    static final long DISK_SECTORS = 8192;

    /** One table line's target: its length and its parameters (the words after the type). */
    protected record Geometry(long lengthSectors, String params) {
    }

    /** What the target does with data. */
    protected enum Data {
        /** Reads return what was written. */
        STORES,
        /** Writes succeed, reads return zeros. */
        READS_ZEROS,
        /** Reads and writes fail with an I/O error. */
        FAILS
    }

    /** The type name under test. */
    protected abstract String type();

    /** Targets of this type that make a good table together, over disks 8:0..8:3, in table order. */
    protected abstract List<Geometry> geometries();

    /** Parameters of a bad 1024-sector target and the ti->error the kernel gives for it (the message's start). */
    protected abstract Map<String, String> badParams();

    protected abstract Data data();

    /**
     * The disks (N of 8:N) a flush of the whole device reaches, when that is not every disk the table names: delay
     * sends a flush to its flush device only. Null (the default): every named disk.
     */
    protected List<Integer> flushedDisks() {
        return null;
    }

    /** The type the namespace registers in place of a built-in one (a test may give flakey a clock it moves). */
    protected TargetType override(TargetType builtin) {
        return builtin;
    }

    @TempDir
    Path dir;

    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    final List<FaultyDisk> disks = new ArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();
    DeviceNamespace ns;

    @BeforeEach
    void setUpNamespace() {
        TestDisks sd = new TestDisks();
        for (int i = 0; i < DISKS; i++) {
            disks.add(sd.add("8:" + i, new FaultyDisk(new MemoryDisk("disk" + i, DISK_SECTORS))));
        }
        TargetRegistry registry = new TargetRegistry();
        for (TargetType builtin : BuiltinTargets.registry().all()) {
            TargetType t = override(builtin);
            registry.register(new TargetType(t.name(), t.version(), t.features(),
                    args -> new Checked(t.constructor().create(args), args.lengthSectors(), t.name())));
        }
        ns = new DeviceNamespace(registry, new BackingFiles(), checks.wrapping(sd));
    }

    String table() {
        StringBuilder sb = new StringBuilder();
        long start = 0;
        for (Geometry g : geometries()) {
            sb.append(start).append(' ').append(g.lengthSectors()).append(' ').append(type()).append(' ')
                    .append(g.params()).append('\n');
            start += g.lengthSectors();
        }
        return sb.toString();
    }

    @Test
    void badTablesFailWithTheKernelsSentenceAndChangeNothing() throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false, table(), dir);
        List<String> before = md.liveTable().statusLines(StatusType.TABLE);
        for (var bad : badParams().entrySet()) {
            try {
                ns.load("v", "0 1024 " + type() + " " + bad.getKey(), dir);
                fail("loaded bad parameters: " + bad.getKey());
            } catch (DmException e) {
                assertThat(e.getMessage()).as(bad.getKey()).startsWith("line 1: " + type() + ": " + bad.getValue());
            }
            assertThat(md.inactiveTable()).isNull();
        }
        assertThat(md.liveTable().statusLines(StatusType.TABLE)).isEqualTo(before);
    }

    @Test
    void tableOutputLoadsBackIntoTheSameTarget() throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false, table(), dir);
        List<String> table = md.liveTable().statusLines(StatusType.TABLE);
        List<String> info = md.liveTable().statusLines(StatusType.INFO);
        ns.load("v", String.join("\n", table), dir);
        ns.resume("v");
        assertThat(md.liveTable().statusLines(StatusType.TABLE)).isEqualTo(table);
        assertThat(md.liveTable().statusLines(StatusType.INFO)).isEqualTo(info);
    }

    @Test
    void dataReadsBackAcrossTargetAndMaxIoBoundariesAndClonesStayInside() throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false, table(), dir);
        int size = (int) md.sizeSectors();
        byte[] model = new byte[size * 512];
        Random rnd = new Random(size);
        List<Long> boundaries = boundaries(md.liveTable());
        for (int n = 0; n < 60; n++) {
            // half the writes straddle a target or max-io boundary
            long around = boundaries.get(rnd.nextInt(boundaries.size()));
            int len = 1 + rnd.nextInt(Math.min(300, size));
            long start = n % 2 == 0 ? Math.max(0, Math.min(around - 1 - rnd.nextInt(len), size - len))
                    : rnd.nextInt(size - len + 1);
            byte[] data = new byte[len * 512];
            rnd.nextBytes(data);
            BlkStatus s = write(md, start, data);
            if (data() == Data.FAILS) {
                assertThat(s).isEqualTo(BlkStatus.IOERR);
                continue;
            }
            assertThat(s).isEqualTo(BlkStatus.OK);
            if (data() == Data.STORES) {
                System.arraycopy(data, 0, model, (int) start * 512, data.length);
            }
        }
        byte[] back = new byte[size * 512];
        BlkStatus s = new Bio(Op.READ, 0, md, 0, size, ByteBuffer.wrap(back), null).submitAndWait();
        if (data() == Data.FAILS) {
            assertThat(s).isEqualTo(BlkStatus.IOERR);
        } else {
            assertThat(s).isEqualTo(BlkStatus.OK);
            assertThat(Arrays.equals(back, model)).as("device content equals what was written").isTrue();
        }
        assertThat(violations).isEmpty(); // bios beyond a disk's end fail the test in the checking wrapper
    }

    @Test
    void aFlushReachesEveryDeviceTheTargetNames() throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false, table(), dir);
        assertThat(new Bio(Op.FLUSH, 0, md, 0, 0, null, null).submitAndWait()).isEqualTo(BlkStatus.OK);
        List<FaultyDisk> named = named(md.liveTable());
        List<FaultyDisk> flushed = flushedDisks() == null ? named : flushedDisks().stream().map(disks::get).toList();
        for (FaultyDisk d : named) {
            if (flushed.contains(d)) {
                assertThat(d.submits(Op.FLUSH)).as("flushes reaching " + d.name()).isPositive();
            } else {
                assertThat(d.submits(Op.FLUSH)).as("flushes reaching " + d.name()).isZero();
            }
        }
    }

    @Test
    void iterateDevicesCoversEveryAreaWritten() throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false, table(), dir);
        int size = (int) md.sizeSectors();
        assertThat(write(md, 0, new byte[size * 512])).isIn(BlkStatus.OK, BlkStatus.IOERR);
        List<long[]> areas = new ArrayList<>(); // disk index, start, length
        visit(md.liveTable(), (dev, start, len) -> areas.add(new long[] {disks.indexOf(disk(dev)), start, len}));
        for (FaultyDisk d : disks) {
            for (FaultyDisk.Seen w : d.seen()) {
                if (w.op() == Op.FLUSH || w.op() == Op.READ) {
                    continue;
                }
                boolean covered = areas.stream().anyMatch(a -> a[0] == disks.indexOf(d) && a[1] <= w.sector()
                        && w.sector() + w.sectors() <= a[1] + a[2]);
                assertThat(covered).as(d.name() + " write " + w + " inside a visited area").isTrue();
            }
        }
    }

    // ---- helpers ----

    private List<Long> boundaries(Table t) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            Table.Entry e = t.entry(i);
            out.add(e.beginSector());
            long maxIo = e.target().maxIoLenSectors();
            for (long s = maxIo; maxIo > 0 && s < e.lengthSectors() && out.size() < 1000; s += maxIo) {
                out.add(e.beginSector() + s);
            }
        }
        out.add(t.sizeSectors());
        return out;
    }

    private List<FaultyDisk> named(Table t) throws DmException {
        List<FaultyDisk> out = new ArrayList<>();
        visit(t, (dev, start, len) -> {
            FaultyDisk d = disk(dev);
            if (d != null && !out.contains(d)) {
                out.add(d);
            }
        });
        return out;
    }

    /** The test disk behind a device a table holds (through its checking wrapper), or null. */
    private static FaultyDisk disk(DmDev dev) {
        return dev.device() instanceof CheckingDevice c && c.inner() instanceof FaultyDisk d ? d : null;
    }

    private static void visit(Table t, DeviceVisitor v) throws DmException {
        for (int i = 0; i < t.size(); i++) {
            t.entry(i).target().iterateDevices(v);
        }
    }

    static BlkStatus write(BlockDevice dev, long sector, byte[] data) {
        return new Bio(Op.WRITE, 0, dev, sector, data.length / 512, ByteBuffer.wrap(data), null).submitAndWait();
    }

    /** Passes everything to the target under test, recording a clone that crosses its end or its max io length. */
    final class Checked implements Target {
        final Target inner;
        final long length;
        final String type;

        Checked(Target inner, long length, String type) {
            this.inner = inner;
            this.length = length;
            this.type = type;
        }

        @Override
        public MapResult map(Bio bio) {
            long maxIo = inner.maxIoLenSectors();
            if (bio.endSector() > length) {
                violations.add(type + " got " + bio + " past its length " + length);
            }
            if ((bio.op() == Op.READ || bio.op() == Op.WRITE) && maxIo > 0
                    && bio.sector() % maxIo + bio.sectors() > maxIo) {
                violations.add(type + " got " + bio + " crossing its max io length " + maxIo);
            }
            return inner.map(bio);
        }

        @Override
        public EndIoResult endIo(Bio clone, BlkStatus status) {
            return inner.endIo(clone, status);
        }

        @Override
        public void status(StatusType t, StringBuilder out) {
            inner.status(t, out);
        }

        @Override
        public void iterateDevices(DeviceVisitor visitor) throws DmException {
            inner.iterateDevices(visitor);
        }

        @Override
        public void ioHints(QueueLimits.Builder limits) {
            inner.ioHints(limits);
        }

        @Override
        public String message(String[] argv) throws DmException {
            return inner.message(argv);
        }

        @Override
        public long maxIoLenSectors() {
            return inner.maxIoLenSectors();
        }

        @Override
        public boolean splitDiscards() {
            return inner.splitDiscards();
        }

        @Override
        public int numFlushBios() {
            return inner.numFlushBios();
        }

        @Override
        public int numDiscardBios() {
            return inner.numDiscardBios();
        }

        @Override
        public int numWriteZeroesBios() {
            return inner.numWriteZeroesBios();
        }

        @Override
        public void presuspend() {
            inner.presuspend();
        }

        @Override
        public void postsuspend() {
            inner.postsuspend();
        }

        @Override
        public void preresume() throws DmException {
            inner.preresume();
        }

        @Override
        public void resume() {
            inner.resume();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
