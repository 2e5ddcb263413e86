package jdm.dm;

import jdm.block.dev.BackingFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.block.QueueLimits;
import jdm.dm.targets.BuiltinTargets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The hooks the core offers targets (include/linux/device-mapper.h): end_io verdicts, preresume, type features,
 * io_hints and stacked limits, accept-partial, discard splitting, and the argument cursor.
 */
@Timeout(30)
class TargetHooksTest {
    @TempDir
    Path dir;
    Path a;
    Path b;
    Path c;
    TargetRegistry registry;
    DeviceNamespace ns;

    /** What the test targets do; set by each test before it loads a table. */
    static final AtomicReference<java.util.function.Function<Bio, MapResult>> MAP = new AtomicReference<>();
    static final AtomicReference<java.util.function.BiFunction<Bio, BlkStatus, EndIoResult>> END = new AtomicReference<>();
    static final AtomicReference<DmException> PRERESUME = new AtomicReference<>();
    static final List<Bio> SEEN = new CopyOnWriteArrayList<>();

    /** A target over one device that behaves as the statics above say. */
    static final class Hooked implements Target {
        final DmDev dev;
        final boolean splitDiscards;

        Hooked(DmDev dev, boolean splitDiscards) {
            this.dev = dev;
            this.splitDiscards = splitDiscards;
        }

        @Override
        public MapResult map(Bio bio) {
            SEEN.add(bio);
            if (bio.op() != Op.FLUSH) {
                bio.remap(dev.device(), bio.sector());
            } else {
                bio.remap(dev.device(), 0);
            }
            var m = MAP.get();
            return m == null ? MapResult.REMAPPED : m.apply(bio);
        }

        @Override
        public EndIoResult endIo(Bio clone, BlkStatus status) {
            var e = END.get();
            return e == null ? EndIoResult.DONE : e.apply(clone, status);
        }

        @Override
        public void preresume() throws DmException {
            DmException e = PRERESUME.get();
            if (e != null) {
                throw e;
            }
        }

        @Override
        public void status(StatusType type, StringBuilder out) {
            out.append(dev.name());
        }

        @Override
        public void iterateDevices(DeviceVisitor visitor) throws DmException {
            visitor.visit(dev, 0, 2048);
        }

        @Override
        public void ioHints(QueueLimits.Builder limits) {
            if (splitDiscards) {
                limits.maxDiscardSectors(8);
            }
        }

        @Override
        public boolean splitDiscards() {
            return splitDiscards;
        }
    }

    static TargetType hookedType(String name, boolean split, TargetType.Feature... features) {
        return new TargetType(name, new int[] {1, 0, 0}, Set.of(features),
                args -> new Hooked(args.cursor().device("Device lookup failed"), split));
    }

    @BeforeEach
    void setUp() throws Exception {
        a = Fixtures.file(dir, "a.img", 1 << 20);
        b = Fixtures.file(dir, "b.img", 1 << 20);
        c = Fixtures.file(dir, "c.img", 1 << 20);
        registry = BuiltinTargets.registry();
        registry.register(hookedType("hooked", false));
        registry.register(hookedType("splitting", true));
        registry.register(hookedType("single", false, TargetType.Feature.SINGLETON));
        registry.register(hookedType("writer", false, TargetType.Feature.ALWAYS_WRITEABLE));
        registry.register(hookedType("fixed", false, TargetType.Feature.IMMUTABLE));
        ns = new DeviceNamespace(registry, new BackingFiles());
        MAP.set(null);
        END.set(null);
        PRERESUME.set(null);
        SEEN.clear();
    }

    @ParameterizedTest(name = "{0} -> {1} sectors of read-ahead")
    @CsvSource(delimiter = '|', value = {
        "0 2048 linear A 0|256",
        "0 768 striped 3 128 A 0 B 0 C 0|768",
        "0 1024 striped 2 256 A 0 B 0|1024",
        "0 1024 striped 2 8 A 0 B 0|256",
        "0 1536 striped 3 64 A 0 B 0 C 0|384"})
    void readAheadFollowsTheStripeAsTheKernelComputesIt(String table, int readAhead) throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false,
                table.replace("A", a.toString()).replace("B", b.toString()).replace("C", c.toString()), dir);
        assertThat(md.readAheadSectors()).isEqualTo(readAhead);
    }

    @Test
    void limitsStackThroughLinearOverStripedAndWithoutATableAreTheDefaults() throws Exception {
        MappedDevice empty = ns.create("empty", null, false);
        assertThat(empty.readAheadSectors()).isEqualTo(256);
        assertThat(empty.limits()).isEqualTo(QueueLimits.STACKING);

        ns.createWithTable("s", null, false, "0 768 striped 3 128 " + a + " 0 " + b + " 0 " + c + " 0", dir);
        MappedDevice top = ns.createWithTable("top", null, false, "0 768 linear s 0", dir);
        QueueLimits l = top.limits();
        assertThat(l.ioMinBytes()).isEqualTo(128 * 512);
        assertThat(l.ioOptBytes()).isEqualTo(3 * 128 * 512);
        assertThat(l.logicalBlockBytes()).isEqualTo(512);
        assertThat(l.physicalBlockBytes()).isEqualTo(QueueLimits.DEFAULT.physicalBlockBytes());
        assertThat(l.maxSectors()).isEqualTo(QueueLimits.DEFAULT.maxSectors());
        assertThat(top.readAheadSectors()).isEqualTo(768);
    }

    @Test
    void stackingTakesTheLargerBlocksTheSmallerRequestsAndTheLcmOfIoOpt() {
        QueueLimits top = new QueueLimits(512, 512, 512, 3 * 4096, 1024, 4096, 0);
        QueueLimits bottom = new QueueLimits(4096, 4096, 4096, 2 * 4096, 256, 0, 64);
        assertThat(top.stack(bottom)).isEqualTo(new QueueLimits(4096, 4096, 4096, 6 * 4096, 256, 4096, 64));
    }

    @Test
    void featuresAreCheckedByTheTableWithTheKernelsSentences() throws Exception {
        ns.create("v", null, false);
        assertThat(loadFails("0 8 zero\n8 8 single " + a)).isEqualTo(
                "line 2: single: singleton target type must appear alone in table");
        assertThat(loadFails("0 8 single " + a + "\n8 8 zero")).isEqualTo(
                "line 2: target type single must appear alone in table");
        assertThat(loadFails("0 8 fixed " + a + "\n8 8 zero")).isEqualTo(
                "line 2: zero: immutable target type cannot be mixed with other target types");
        assertThat(loadFails("0 8 zero\n8 8 fixed " + a)).isEqualTo(
                "line 2: fixed: immutable target type cannot be mixed with other target types");
        assertThatThrownBy(() -> ns.load("v", "0 8 writer " + a, dir, true))
                .hasMessage("line 1: writer: target type may not be included in a read-only table");
        ns.load("v", "0 8 writer " + a, dir, false);
        ns.load("v", "0 8 fixed " + a + "\n8 8 fixed " + b, dir);
        ns.resume("v");
        assertThat(loadFails("0 16 zero")).isEqualTo("can't replace immutable target type fixed");
        ns.load("v", "0 16 error", dir); // a wildcard may replace it
        ns.load("v", "0 16 fixed " + c, dir);
        assertThat(ns.backingFiles()).hasSize(3);
    }

    private String loadFails(String table) {
        try {
            ns.load("v", table, dir);
        } catch (DmException e) {
            assertThat(e.errno()).isEqualTo(DmException.EINVAL);
            return e.getMessage();
        }
        throw new AssertionError("loaded: " + table);
    }

    @Test
    void aRefusingPreresumeLeavesTheDeviceSuspendedWithTheNewTableLive() throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false, "0 8 zero", dir);
        ns.load("v", "0 16 hooked " + a, dir);
        PRERESUME.set(DmException.invalid("metadata commit failed"));
        assertThatThrownBy(() -> ns.resume("v")).hasMessage("metadata commit failed");
        assertThat(md.suspended()).isTrue();
        assertThat(md.sizeSectors()).isEqualTo(16);
        PRERESUME.set(null);
        ns.resume("v");
        assertThat(md.suspended()).isFalse();
        assertThat(Fixtures.read(md, 0, 16)).hasSize(16 * 512);
    }

    @Test
    void endIoRequeueIsHeldAcrossANoflushSuspendAndFailsOtherwise() throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false, "0 2048 hooked " + a, dir);
        END.set((clone, s) -> EndIoResult.REQUEUE);
        assertThat(Fixtures.op(md, Op.DISCARD, 0, 8)).isEqualTo(BlkStatus.IOERR);

        AtomicReference<BlkStatus> ended = new AtomicReference<>();
        AtomicInteger requeues = new AtomicInteger();
        END.set((clone, s) -> requeues.getAndIncrement() == 0 ? EndIoResult.REQUEUE : EndIoResult.DONE);
        // hold the clone until the suspend has started, so its requeue meets a noflush suspend
        List<Bio> held = new ArrayList<>();
        MAP.set(bio -> {
            held.add(bio);
            return MapResult.SUBMITTED;
        });
        new Bio(Op.DISCARD, 0, md, 0, 8, null, x -> ended.set(x.status())).submit();
        Thread suspender = Thread.ofVirtual().start(() -> {
            try {
                ns.suspend("v", true);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        while (!md.suspended()) {
            Thread.onSpinWait();
        }
        MAP.set(null);
        held.getFirst().submit(); // the target sends it down now; it ends, end_io says requeue
        suspender.join();
        assertThat(ended.get()).isNull(); // held, not failed
        ns.resume("v");
        assertThat(ended.get()).isEqualTo(BlkStatus.OK);
        assertThat(requeues).hasValue(2);
    }

    @RepeatedTest(20)
    void endIoIncompleteLetsTheTargetRetryTheClone() throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false, "0 2048 hooked " + a, dir);
        AtomicInteger tries = new AtomicInteger();
        END.set((clone, s) -> {
            if (tries.incrementAndGet() < 3) {
                Thread.ofVirtual().start(clone::submit); // resubmit later, as a target's worker would
                return EndIoResult.INCOMPLETE;
            }
            return EndIoResult.DONE;
        });
        byte[] data = new byte[4096];
        data[0] = 42;
        assertThat(Fixtures.write(md, 0, data)).isEqualTo(BlkStatus.OK);
        assertThat(tries).hasValue(3);
        END.set(null);
        assertThat(Fixtures.read(md, 0, 8)[0]).isEqualTo((byte) 42);
    }

    @Test
    void mapKillFailsTheBioWithoutCallingEndIo() throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false, "0 2048 hooked " + a, dir);
        AtomicInteger endIos = new AtomicInteger();
        END.set((clone, s) -> {
            endIos.incrementAndGet();
            return EndIoResult.DONE;
        });
        MAP.set(bio -> MapResult.KILL);
        assertThat(Fixtures.op(md, Op.DISCARD, 0, 8)).isEqualTo(BlkStatus.IOERR);
        assertThat(endIos).hasValue(0);
    }

    @Test
    void acceptPartialBioSendsTheRestAsFurtherClones() throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false, "0 2048 hooked " + a, dir);
        MAP.set(bio -> {
            if (bio.sectors() > 3) {
                MappedDevice.acceptPartialBio(bio, 3);
            }
            return MapResult.REMAPPED;
        });
        byte[] data = new byte[10 * 512];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i / 512 + 1);
        }
        assertThat(Fixtures.write(md, 100, data)).isEqualTo(BlkStatus.OK);
        assertThat(SEEN).extracting(Bio::sector).containsExactly(100L, 103L, 106L, 109L);
        assertThat(SEEN).extracting(Bio::sectors).containsExactly(3, 3, 3, 1);
        MAP.set(null);
        assertThat(Fixtures.read(md, 100, 10)).isEqualTo(data);
        assertThatThrownBy(() -> MappedDevice.acceptPartialBio(new Bio(Op.DISCARD, 0, md, 0, 8, null, null), 3))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void discardsSplitOnTheTargetsBlocksOnlyWhenItAsks() throws Exception {
        MappedDevice md = ns.createWithTable("v", null, false, "0 5 zero\n5 2043 splitting " + a, dir);
        assertThat(Fixtures.op(md, Op.DISCARD, 7, 20)).isEqualTo(BlkStatus.OK);
        // target-relative 2..22 cut at multiples of 8 from the target start
        assertThat(SEEN).extracting(Bio::sectors).containsExactly(6, 8, 6);
        SEEN.clear();
        assertThat(Fixtures.op(md, Op.WRITE_ZEROES, 7, 20)).isEqualTo(BlkStatus.OK);
        assertThat(SEEN).extracting(Bio::sectors).containsExactly(20);
    }

    @Test
    void argCursorReadsWithBoundsAndTheCallersSentence() throws Exception {
        List<String> got = new ArrayList<>();
        registry.register(new TargetType("args", new int[] {1, 0, 0}, args -> {
            ArgCursor as = args.cursor();
            long n = as.readUnsigned(1, 10, "Invalid count");
            int features = as.readGroup(0, 2, "Invalid number of feature args");
            for (int i = 0; i < features; i++) {
                got.add(as.shift());
            }
            as.consume(as.remaining() > 0 ? 1 : 0);
            got.add(n + " left " + as.remaining() + " next " + as.shift());
            return new Target() {
                @Override
                public MapResult map(Bio bio) {
                    return MapResult.KILL;
                }

                @Override
                public void status(StatusType type, StringBuilder out) {
                }
            };
        }));
        ns.create("v", null, false);
        ns.load("v", "0 8 args 3 2 x y skipped", dir);
        assertThat(got).containsExactly("x", "y", "3 left 0 next null");
        assertThat(loadFails("0 8 args 11 0")).endsWith("args: Invalid count");
        assertThat(loadFails("0 8 args 0 0")).endsWith("args: Invalid count");
        assertThat(loadFails("0 8 args x 0")).endsWith("args: Invalid count");
        assertThat(loadFails("0 8 args")).endsWith("args: Invalid count");
        assertThat(loadFails("0 8 args 1 2 x")).endsWith("args: Invalid number of feature args");
        assertThat(loadFails("0 8 args 1 3 x y z")).endsWith("args: Invalid number of feature args");
    }

    @Test
    void perBioTargetDataIsReadBackWithItsType() {
        Bio bio = new Bio(Op.FLUSH, 0, null, 0, 0, null, null);
        bio.setTargetData(Long.valueOf(7));
        assertThat(bio.targetData(Long.class)).isEqualTo(7L);
        assertThatThrownBy(() -> bio.targetData(String.class)).isInstanceOf(ClassCastException.class);
    }
}
