package jdm.md;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import jdm.block.BlockDevice;
import jdm.block.HeldDevice;
import jdm.block.dev.FileDevice;
import jdm.block.dev.MemoryDevice;
import jdm.md.personalities.BuiltinPersonalities;

/**
 * Not a test: resync speed of the sync thread over an array, uncapped and then held by sync_speed_max, printed as
 * a Markdown table (bench/md-resync-bench.sh runs it). The array uses the built-in personality of the level when one
 * is registered (raid1, raid10, raid4/5/6 as they land), else, for level 1, the tests' raid1-like TestMirror.
 *
 * <p>Arguments: {@code LEVEL MEMBERS MEMBER_MIB DIR|mem CAP_KIBS SECONDS}. CAP_KIBS 0 = a quarter of the uncapped
 * speed. The capped pass runs SECONDS (then is interrupted) and its speed (sectors synced over the elapsed time)
 * is compared with the cap: md's throttle holds the recent speed at the cap, overshooting by about 1/t early on.
 */
public final class ResyncBenchmark {
    private ResyncBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int level = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int members = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        long memberMib = args.length > 2 ? Long.parseLong(args[2]) : 256;
        String where = args.length > 3 ? args[3] : "mem";
        long cap = args.length > 4 ? Long.parseLong(args[4]) : 0;
        int seconds = args.length > 5 ? Integer.parseInt(args[5]) : 30;

        long memberSectors = memberMib << 11;
        List<BlockDevice> devs = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            devs.add(device(where, i, TestMirror.DATA_OFFSET + memberSectors));
        }
        PersonalityRegistry registry = BuiltinPersonalities.registry();
        String personality = "builtin";
        if (registry.find(level) == null) {
            if (level != 1) {
                throw new IllegalArgumentException("no personality for level " + level + " is registered yet");
            }
            registry = TestMirror.registry();
            personality = "TestMirror";
        }
        List<Rdev> rdevs = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            BlockDevice d = devs.get(i);
            Rdev r = new Rdev(HeldDevice.of(d, 7, i, () -> { }), d.name(), TestMirror.DATA_OFFSET, memberSectors, i);
            r.set(Rdev.Flag.IN_SYNC);
            r.setRecoveryOffset(Rdev.MAX_SECTOR);
            rdevs.add(r);
        }
        int chunk = level == 1 ? 0 : 1024;
        int layout = level == 10 ? 0x102 : level >= 5 ? 2 : 0;
        try (Mddev md = Mddev.run("md0", 0, new ArrayGeometry(level, layout, chunk, members, memberSectors), rdevs,
                registry, System.err::println)) {
            Result free = pass(md, Long.MAX_VALUE, 0);
            long capKibs = cap > 0 ? cap : Math.max(1000, free.kibs() / 4);
            Result held = pass(md, capKibs, seconds);
            double off = 100.0 * (held.kibs() - capKibs) / capKibs;
            System.out.println("| level | personality | members | member MiB | on | resync MiB/s (uncapped) "
                    + "| sync_speed_max KiB/s | measured KiB/s | sync_speed KiB/s | off by |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|");
            System.out.printf("| raid%d | %s | %d | %d | %s | %.1f | %d | %d | %d | %+.1f%% (%s ±10%%) |%n", level,
                    personality, members, memberMib, where.equals("mem") ? "memory" : "files", free.kibs() / 1024.0,
                    capKibs, held.kibs(), held.syncSpeed(), off, Math.abs(off) <= 10 ? "within" : "OUTSIDE");
        } finally {
            for (int i = 0; i < members; i++) {
                if (!where.equals("mem")) {
                    Files.deleteIfExists(Path.of(where, "resync-bench-" + i + ".img"));
                }
            }
        }
    }

    private record Result(long kibs, long syncSpeed) {
    }

    /** One RESYNC pass with speed_max = cap (min 1000), stopped after seconds when > 0; its KiB/s. */
    private static Result pass(Mddev md, long cap, int seconds) throws InterruptedException {
        SyncThread.Host host = new SyncThread.Host() {
            @Override
            public long speedMinKibs() {
                return Math.min(1000, cap);
            }

            @Override
            public long speedMaxKibs() {
                return cap;
            }

            @Override
            public void checkpoint(SyncAction action, long position) {
            }

            @Override
            public void finished(SyncAction action, long position, boolean completed) {
            }
        };
        long t0 = System.nanoTime();
        SyncThread t = SyncThread.start(md, SyncAction.RESYNC, 0, host);
        long syncSpeed = 0;
        if (seconds > 0) {
            long end = t0 + seconds * 1_000_000_000L;
            while (!t.done() && System.nanoTime() < end) {
                Thread.sleep(100);
            }
            syncSpeed = t.speedKibs();
            t.interrupt();
        }
        t.await();
        double elapsed = (System.nanoTime() - t0) / 1e9;
        return new Result((long) (t.syncedSectors() / 2 / elapsed), syncSpeed);
    }

    private static BlockDevice device(String where, int i, long sectors) throws IOException {
        if (where.equals("mem")) {
            return new MemoryDevice("m" + i, sectors);
        }
        Path p = Path.of(where, "resync-bench-" + i + ".img");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.allocate(1), sectors * 512 - 1);
        }
        return FileDevice.open(p, false);
    }
}
