package jdm.dm;

import jdm.block.dev.BackingFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.dm.targets.BuiltinTargets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The namespace's own operations: minors, rename, change listeners, backing-file holds, and its locking. */
@Timeout(30)
class DeviceNamespaceTest {
    @TempDir
    Path dir;

    @Test
    void createTakesTheLowestFreeMinorOrTheOneAskedFor() throws Exception {
        DeviceNamespace ns = Fixtures.namespace();
        assertThat(ns.create("a", null, false).devt()).isEqualTo(new DevT(253, 0));
        assertThat(ns.create("b", null, false, 5).devt()).isEqualTo(new DevT(253, 5));
        assertThat(ns.create("c", null, false, -1).devt()).isEqualTo(new DevT(253, 1));
        assertThatThrownBy(() -> ns.create("d", null, false, 5))
                .isInstanceOfSatisfying(DmException.class, e -> assertThat(e.errno()).isEqualTo(DmException.EBUSY));
        assertThat(ns.find("d")).isNull();
        ns.remove("b");
        assertThat(ns.create("e", null, false, 5).devt()).isEqualTo(new DevT(253, 5));
    }

    @Test
    void renameKeepsTheDeviceItsNumberAndItsTablesUsers() throws Exception {
        DeviceNamespace ns = Fixtures.namespace();
        Path a = Fixtures.file(dir, "a.img", 1 << 20);
        MappedDevice low = ns.createWithTable("low", null, false, "0 2048 linear " + a + " 0", dir);
        ns.createWithTable("top", null, false, "0 2048 linear low 0", dir);
        int events = low.eventNr();

        ns.rename("low", "base");

        assertThat(ns.find("low")).isNull();
        assertThat(ns.get("base")).isSameAs(low);
        assertThat(low.name()).isEqualTo("base");
        assertThat(low.devt()).isEqualTo(new DevT(253, 0));
        assertThat(low.eventNr()).isEqualTo(events + 1);
        assertThat(ns.get("top").liveTable().statusLines(StatusType.TABLE)).containsExactly("0 2048 linear 253:0 0");
        assertThat(ns.list()).extracting(MappedDevice::name).containsExactly("base", "top");
    }

    @Test
    void renameRefusesATakenNameBeforeAMissingDeviceAndBadNames() throws Exception {
        DeviceNamespace ns = Fixtures.namespace();
        ns.create("a", null, false);
        ns.create("b", null, false);
        assertThatThrownBy(() -> ns.rename("missing", "b")) // the kernel checks the new name first
                .isInstanceOfSatisfying(DmException.class, e -> assertThat(e.errno()).isEqualTo(DmException.EBUSY));
        assertThatThrownBy(() -> ns.rename("missing", "c"))
                .isInstanceOfSatisfying(DmException.class, e -> assertThat(e.errno()).isEqualTo(DmException.ENXIO));
        assertThatThrownBy(() -> ns.rename("a", "x/y"))
                .isInstanceOfSatisfying(DmException.class, e -> assertThat(e.errno()).isEqualTo(DmException.EINVAL));
        assertThat(ns.list()).extracting(MappedDevice::name).containsExactly("a", "b");
    }

    @Test
    void listenersRunAfterEverySuccessfulChangeAndNotAfterAFailure() throws Exception {
        DeviceNamespace ns = Fixtures.namespace();
        Path a = Fixtures.file(dir, "a.img", 1 << 20);
        AtomicInteger calls = new AtomicInteger();
        ns.addChangeListener(calls::incrementAndGet);

        ns.create("a", null, false);
        ns.load("a", "0 2048 linear " + a + " 0", dir);
        ns.resume("a");
        ns.suspend("a", false);
        ns.resume("a");
        ns.load("a", "0 1024 zero", dir);
        ns.clear("a");
        ns.setUuid("a", "U");
        ns.rename("a", "b");
        ns.remove("b");
        assertThat(calls).hasValue(10);

        assertThatThrownBy(() -> ns.load("missing", "0 8 zero", dir)).isInstanceOf(DmException.class);
        ns.create("x", null, false);
        ns.createWithTable("c", null, false, "0 8 zero", dir); // once for the whole create
        assertThatThrownBy(() -> ns.create("x", null, false)).isInstanceOf(DmException.class);
        assertThatThrownBy(() -> ns.createWithTable("d", null, false, "0 8 nosuch", dir))
                .isInstanceOf(DmException.class);
        assertThat(calls).hasValue(12);
    }

    @Test
    void listenersRunOutsideTheNamespaceLock() throws Exception {
        DeviceNamespace ns = Fixtures.namespace();
        AtomicReference<List<MappedDevice>> seen = new AtomicReference<>();
        ns.addChangeListener(() -> seen.set(CompletableFuture.supplyAsync(ns::list).join()));
        ns.create("a", null, false);
        assertThat(seen.get()).extracting(MappedDevice::name).containsExactly("a");
    }

    @Test
    void aHeldBackingFileKeepsItsMinorAndTablesFindIt() throws Exception {
        DeviceNamespace ns = Fixtures.namespace();
        Path a = Fixtures.file(dir, "a.img", 1 << 20);
        Path b = Fixtures.file(dir, "b.img", 1 << 20);
        try (DeviceNamespace.Hold hold = ns.holdBackingFile(b, 3, false)) {
            assertThat(ns.backingFiles()).containsExactly(new DeviceNamespace.BackingFile(b.toRealPath(), 3));
            ns.createWithTable("v", null, false, "0 2048 linear 7:3 0\n2048 2048 linear " + a + " 0", dir);
            assertThat(ns.get("v").liveTable().statusLines(StatusType.TABLE))
                    .containsExactly("0 2048 linear 7:3 0", "2048 2048 linear 7:0 0");
            assertThatThrownBy(() -> ns.holdBackingFile(a, 3, false)) // 7:3 is b's
                    .isInstanceOfSatisfying(DmException.class, e -> assertThat(e.errno()).isEqualTo(DmException.EBUSY));
            ns.holdBackingFile(b, 3, false).close(); // found again with the same minor
        }
        assertThat(ns.backingFiles()).extracting(DeviceNamespace.BackingFile::minor).containsExactly(0, 3);
        ns.remove("v");
        assertThat(ns.backingFiles()).isEmpty();
    }

    /** A target that keeps every bio until released: a device whose I/O is slow. */
    static final class HoldingTarget implements Target {
        static final List<Bio> HELD = new ArrayList<>();

        @Override
        public MapResult map(Bio bio) {
            synchronized (HELD) {
                HELD.add(bio);
            }
            return MapResult.SUBMITTED;
        }

        @Override
        public void status(StatusType type, StringBuilder out) {
        }

        static void releaseAll() {
            synchronized (HELD) {
                HELD.forEach(b -> b.endio(BlkStatus.OK));
                HELD.clear();
            }
        }
    }

    @Test
    void aSuspendWaitingForOneDevicesIoDoesNotStallTheOthers() throws Exception {
        TargetRegistry registry = BuiltinTargets.registry();
        registry.register(new TargetType("holding", new int[] {1, 0, 0}, args -> new HoldingTarget()));
        DeviceNamespace ns = new DeviceNamespace(registry, new BackingFiles());
        MappedDevice slow = ns.createWithTable("slow", null, false, "0 8 holding", dir);
        ns.createWithTable("other", null, false, "0 8 zero", dir);
        CountDownLatch done = new CountDownLatch(1);
        new Bio(Op.READ, 0, slow, 0, 8, ByteBuffer.allocate(4096), b -> done.countDown()).submit();

        CompletableFuture<Void> suspend = CompletableFuture.runAsync(() -> {
            try {
                ns.suspend("slow", false);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        CompletableFuture<Void> reload = CompletableFuture.runAsync(() -> {
            try {
                ns.load("slow", "0 8 zero", dir);
                ns.resume("slow"); // waits behind the suspend, on the device, not on the namespace
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(100);
        assertThat(suspend).isNotDone();
        assertThat(ns.list()).extracting(MappedDevice::name).containsExactly("other", "slow");
        ns.get("other").resume();
        ns.create("new", null, false);
        ns.suspend("other", false);
        ns.resume("other");

        HoldingTarget.releaseAll();
        suspend.get(5, TimeUnit.SECONDS);
        reload.get(5, TimeUnit.SECONDS);
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(slow.suspended()).isFalse();
        assertThat(slow.liveTable().statusLines(StatusType.TABLE)).containsExactly("0 8 zero ");
    }
}
