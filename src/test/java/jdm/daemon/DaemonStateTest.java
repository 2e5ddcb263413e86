package jdm.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.control.ControlClient;
import jdm.daemon.state.StateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** "jdm daemon --state DIR" end to end: devices made through the control socket come back after a restart. */
class DaemonStateTest {
    @TempDir
    Path dir;
    final List<Daemon> daemons = new ArrayList<>();

    @AfterEach
    void stop() {
        daemons.forEach(Daemon::close);
    }

    Daemon start(Path state) throws Exception {
        Files.deleteIfExists(dir.resolve("nbd.sock"));
        Files.deleteIfExists(dir.resolve("ctl.sock"));
        Daemon d = Daemon.start(new Daemon.Listen(dir.resolve("nbd.sock"), null, 0, dir.resolve("ctl.sock")), state);
        daemons.add(d);
        return d;
    }

    Path sized(String name) throws Exception {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(32 << 20);
        }
        return p;
    }

    @Test
    void threeStackedDevicesComeBackWithTheSameInfoTablesAndData() throws Exception {
        sized("a.img");
        sized("b.img");
        sized("c.img");
        Path state = dir.resolve("state");
        Daemon d = start(state);
        ControlClient ctl = new ControlClient(dir.resolve("ctl.sock"));
        ctl.create("base", null, false, "0 131072 striped 2 64 a.img 0 b.img 0", dir);
        ctl.create("top", "JDM-top-0001", false, "0 32768 linear base 8192\n32768 32768 linear base 65536", dir);
        ctl.create("rodisk", null, true, "0 16384 linear c.img 0", dir);
        ctl.suspend("rodisk", false);
        byte[] data = new byte[65536 * 512];
        new Random(3).nextBytes(data);
        assertThat(io(d, "top", Op.WRITE, data)).isEqualTo(BlkStatus.OK);
        var info = ctl.info(null);
        var tables = ctl.table(null, null);
        String saved = Files.readString(state.resolve(StateStore.FILE));
        d.close(); // a clean stop leaves the state as a crash would: the devices are to come back
        assertThat(Files.readString(state.resolve(StateStore.FILE))).isEqualTo(saved);

        Daemon again = start(state);
        assertThat(ctl.info(null)).isEqualTo(info);
        assertThat(ctl.table(null, null)).isEqualTo(tables);
        assertThat(tables.get(0).targets().get(0).params()).isEqualTo("2 64 7:0 0 7:1 0");
        byte[] back = new byte[data.length];
        assertThat(io(again, "top", Op.READ, back)).isEqualTo(BlkStatus.OK);
        assertThat(back).isEqualTo(data);
    }

    @Test
    void aCreateIsOnDiskWhenItsReplyArrivesWhileOthersCreateSuspendAndResume() throws Exception {
        Path state = dir.resolve("state");
        start(state);
        ControlClient ctl = new ControlClient(dir.resolve("ctl.sock"));
        ctl.create("busy", null, false, "0 8 zero", dir);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        ctl.suspend("busy", false);
                        ctl.resume("busy");
                    }
                    return null;
                }));
            }
            for (int i = 0; i < 16; i++) {
                String name = "d" + i;
                done.add(pool.submit(() -> {
                    ctl.create(name, null, false, "0 8 zero", dir);
                    assertThat(Files.readString(state.resolve(StateStore.FILE))).contains("device " + name + "\n");
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS); // saves never wait on a lock a waiting save holds
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void withoutStateNothingIsWritten() throws Exception {
        start(null);
        new ControlClient(dir.resolve("ctl.sock")).create("z", null, false, "0 8 zero", dir);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("nbd.sock", "ctl.sock");
        }
    }

    static BlkStatus io(Daemon d, String name, Op op, byte[] buf) throws Exception {
        return new Bio(op, 0, d.namespace().get(name), 0, buf.length / 512, ByteBuffer.wrap(buf), null)
                .submitAndWait();
    }
}
