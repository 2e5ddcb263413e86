package jdm.crash;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdm.daemon.Daemon;
import jdm.dm.DeviceNamespace;
import jdm.logwrites.LogEntry;
import jdm.logwrites.LogReplay;

/**
 * Workload (b) of jdm crashtest: ext4 on a jdm volume. The image is made with mkfs.ext4 first (that copy is where
 * every replay starts), then served through {@code log-writes}, attached with nbdfuse + losetup, mounted, and
 * given a file-creating, appending, renaming, deleting and fsync-ing workload; unmounted and detached, the log is
 * replayed to every FLUSH/FUA record, and there a copy of the image has its journal recovered (as a mount would,
 * {@code e2fsck -E journal_only}) and must then pass {@code e2fsck -fn} clean; the whole log must rebuild the
 * volume byte for byte (the unmount flushed everything). Rounds repeat, each on a fresh file system, until enough
 * crash points were checked.
 */
final class Ext4CrashWorkload {
    static final String NAME = "ext4";
    private static final long IMAGE_BYTES = 32L << 20;
    private static final int OPS = 40; // about 2 crash points each

    private final Daemon daemon;
    private final Path dir;
    private final CrashReport report;
    private final long seed;

    Ext4CrashWorkload(Daemon daemon, Path dir, CrashReport report, long seed) {
        this.daemon = daemon;
        this.dir = dir;
        this.report = report;
        this.seed = seed;
    }

    /** Null when the ext4 workload can run here, else why not (not root, a tool missing). */
    static String whyNotHere() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "it needs root (losetup, mount)";
        }
        for (String tool : List.of("nbdfuse", "losetup", "mkfs.ext4", "e2fsck", "mount", "umount")) {
            if (Sys.which(tool) == null) {
                return tool + " is not installed";
            }
        }
        return null;
    }

    void run(long goal) throws Exception {
        long before = report.points();
        for (int round = 0; report.points() - before < goal; round++) {
            if (!round(round)) {
                return;
            }
        }
    }

    /** One file system, workload and replay; false if the machine refused the mount (ext4 skipped). */
    private boolean round(int round) throws Exception {
        Path image = dir.resolve("ext4.img");
        Path base = dir.resolve("ext4-base.img");
        Path log = dir.resolve("ext4-log.img");
        fresh(image, IMAGE_BYTES);
        fresh(log, 1L << 30);
        Sys.run(60, "mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", image.toString());
        Files.copy(image, base, StandardCopyOption.REPLACE_EXISTING);
        DeviceNamespace ns = daemon.namespace();
        ns.createWithTable("crash-ext4", null, false,
                "0 " + IMAGE_BYTES / 512 + " log-writes " + image + " " + log, dir);
        int fsyncs;
        try (Ext4Mount m = Ext4Mount.attach(dir, dir.resolve("nbd.sock"), "crash-ext4")) {
            if (m.refused() != null) {
                report.line("ext4 workload skipped: the machine does not allow the mount (" + m.refused() + ")");
                return false;
            }
            fsyncs = fileWorkload(m.mountPoint(), new SplittableRandom(seed + round));
        } finally {
            BlockCrashWorkload.removeWhenClosed(ns, "crash-ext4");
        }
        long p0 = report.points();
        int v0 = report.violations();
        Path check = dir.resolve("ext4-check.img");
        try (LogReplay replay = LogReplay.open(log, base)) {
            for (LogEntry e : replay.reader()) {
                replay.apply(e);
                if (e.flush() || e.fua()) {
                    checkPoint(base, check, e);
                }
            }
        }
        long differs = Files.mismatch(base, image); // umount flushed everything: the log must rebuild the volume
        if (differs != -1) {
            report.violation(NAME, "the fully replayed log differs from the volume at byte " + differs);
        }
        report.line(String.format("ext4 workload, round %d: %d file operations (%d fsyncs), %d crash points,"
                + " %d violations", round + 1, OPS, fsyncs, report.points() - p0, report.violations() - v0));
        return true;
    }

    private void checkPoint(Path replayed, Path check, LogEntry e) throws IOException, InterruptedException {
        Files.copy(replayed, check, StandardCopyOption.REPLACE_EXISTING);
        Sys.Result recover = Sys.exec(60, "e2fsck", "-y", "-E", "journal_only", check.toString());
        Sys.Result fsck = recover.status() > 1 ? recover : Sys.exec(60, "e2fsck", "-fn", check.toString());
        if (fsck.status() != 0) {
            report.violation(NAME, "at log entry " + e.index() + " (" + (e.flush() ? "FLUSH" : "FUA") + "): e2fsck "
                    + (fsck == recover ? "-E journal_only" : "-fn") + " exit " + fsck.status() + ": "
                    + firstProblem(fsck.output()));
        }
        report.point(NAME);
    }

    private static String firstProblem(String out) {
        return out.lines().filter(l -> !l.startsWith("Pass ") && !l.startsWith("e2fsck ") && !l.isBlank())
                .limit(3).reduce((a, b) -> a + " / " + b).orElse(out.strip());
    }

    /** Creates, appends to, renames and deletes files, fsync-ing files and directories; returns the fsyncs made. */
    private static int fileWorkload(Path mnt, SplittableRandom rnd) throws IOException {
        List<Path> files = new ArrayList<>();
        Path sub = Files.createDirectories(mnt.resolve("d"));
        int fsyncs = 0;
        for (int i = 0; i < OPS; i++) {
            int op = files.isEmpty() ? 0 : rnd.nextInt(10);
            if (op < 5) { // create and fsync
                Path f = (rnd.nextBoolean() ? mnt : sub).resolve("f" + i);
                write(f, rnd, 1 + rnd.nextInt(48 * 1024), false);
                files.add(f);
                fsyncs += 1 + fsyncDir(f.getParent(), rnd.nextBoolean());
            } else if (op < 7) { // append and fsync
                write(files.get(rnd.nextInt(files.size())), rnd, 1 + rnd.nextInt(16 * 1024), true);
                fsyncs++;
            } else if (op < 9) { // rename, fsync the directory
                int k = rnd.nextInt(files.size());
                Path to = files.get(k).resolveSibling("r" + i);
                Files.move(files.get(k), to, StandardCopyOption.ATOMIC_MOVE);
                files.set(k, to);
                fsyncs += fsyncDir(to.getParent(), true);
            } else { // delete
                Path f = files.remove(rnd.nextInt(files.size()));
                Files.delete(f);
                fsyncs += fsyncDir(f.getParent(), rnd.nextBoolean());
            }
        }
        return fsyncs;
    }

    private static void write(Path f, SplittableRandom rnd, int bytes, boolean append) throws IOException {
        byte[] b = new byte[bytes];
        rnd.nextBytes(b);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
    }

    private static int fsyncDir(Path d, boolean really) throws IOException {
        if (!really) {
            return 0;
        }
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        }
        return 1;
    }

    private static void fresh(Path p, long bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(0);
            f.setLength(bytes);
        }
    }
}
