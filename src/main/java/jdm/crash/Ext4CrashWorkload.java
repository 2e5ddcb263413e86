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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import jdm.daemon.Daemon;
import jdm.dm.DeviceNamespace;
import jdm.dm.DmException;
import jdm.logwrites.LogEntry;
import jdm.logwrites.LogReplay;

/**
 * Workload (b) of jdm crashtest: ext4 on a jdm volume. The image is made with mkfs.ext4 first (that copy is where
 * every replay starts), then served through {@code log-writes}, attached with nbdfuse + losetup, mounted, and
 * given a file-creating, appending, renaming, deleting and fsync-ing workload; unmounted and detached, the log is
 * replayed to every FLUSH/FUA record, and there a copy of the image has its journal recovered (as a mount would,
 * {@code e2fsck -E journal_only}) and must then pass {@code e2fsck -fn} clean, and every file fsync'd before the
 * last mark the replay passed (a mark is logged after each operation) must read back, with debugfs, exactly as
 * written; the whole log must rebuild the
 * volume byte for byte (the unmount flushed everything). Rounds repeat, each on a fresh file system, until enough
 * crash points were checked.
 */
final class Ext4CrashWorkload {
    static final String NAME = "ext4";
    private static final long IMAGE_BYTES = 32L << 20;
    private static final int OPS = 40; // about 2 crash points each
    private static final String MARK = "crashtest-";

    private final Daemon daemon;
    private final Path dir;
    private final CrashReport report;
    private final long seed;
    private long filesChecked;

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
        for (String tool : List.of("nbdfuse", "losetup", "mkfs.ext4", "e2fsck", "debugfs", "mount", "umount")) {
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
        List<Map<String, byte[]>> durable = new ArrayList<>();
        try (Ext4Mount m = Ext4Mount.attach(dir, dir.resolve("nbd.sock"), "crash-ext4")) {
            if (m.refused() != null) {
                report.line("ext4 workload skipped: the machine does not allow the mount (" + m.refused() + ")");
                return false;
            }
            fsyncs = fileWorkload(m.mountPoint(), new SplittableRandom(seed + round), durable,
                    label -> mark(ns, label));
        } finally {
            BlockCrashWorkload.removeWhenClosed(ns, "crash-ext4");
        }
        long p0 = report.points();
        int v0 = report.violations();
        long files0 = filesChecked;
        Path check = dir.resolve("ext4-check.img");
        Map<String, byte[]> mustHold = Map.of();
        try (LogReplay replay = LogReplay.open(log, base)) {
            for (LogEntry e : replay.reader()) {
                replay.apply(e);
                if (e.mark() && e.label().startsWith(MARK)) {
                    mustHold = settled(durable, Integer.parseInt(e.label().substring(MARK.length())));
                }
                if (e.flush() || e.fua()) {
                    checkPoint(base, check, e, mustHold);
                }
            }
        }
        long differs = Files.mismatch(base, image); // umount flushed everything: the log must rebuild the volume
        if (differs != -1) {
            report.violation(NAME, "the fully replayed log differs from the volume at byte " + differs);
        }
        report.line(String.format("ext4 workload, round %d: %d file operations (%d fsyncs), %d crash points (%d"
                        + " fsync'd files read back), %d violations", round + 1, OPS, fsyncs, report.points() - p0,
                filesChecked - files0, report.violations() - v0));
        return true;
    }

    /**
     * What must hold between mark k and mark k+1: the files of mark k that operation k+1 leaves alone (that one may
     * be anywhere between its before and after, as its writes reach the log).
     */
    private static Map<String, byte[]> settled(List<Map<String, byte[]>> durable, int k) {
        if (k + 1 >= durable.size()) {
            return durable.get(k);
        }
        Map<String, byte[]> next = durable.get(k + 1);
        Map<String, byte[]> out = new LinkedHashMap<>();
        durable.get(k).forEach((name, content) -> {
            if (Arrays.equals(content, next.get(name))) {
                out.put(name, content);
            }
        });
        return out;
    }

    /** Logs a mark on the log-writes device (what "dmsetup message crash-ext4 0 mark LABEL" does). */
    private static void mark(DeviceNamespace ns, String label) {
        try {
            ns.get("crash-ext4").liveTable().entry(0).target().message(new String[] {"mark", label});
        } catch (DmException e) {
            throw new IllegalStateException("mark " + label + ": " + e.getMessage(), e);
        }
    }

    private void checkPoint(Path replayed, Path check, LogEntry e, Map<String, byte[]> mustHold)
            throws IOException, InterruptedException {
        Files.copy(replayed, check, StandardCopyOption.REPLACE_EXISTING);
        Sys.Result recover = Sys.exec(60, "e2fsck", "-y", "-E", "journal_only", check.toString());
        Sys.Result fsck = recover.status() > 1 ? recover : Sys.exec(60, "e2fsck", "-fn", check.toString());
        if (fsck.status() != 0) {
            report.violation(NAME, "at log entry " + e.index() + " (" + (e.flush() ? "FLUSH" : "FUA") + "): e2fsck "
                    + (fsck == recover ? "-E journal_only" : "-fn") + " exit " + fsck.status() + ": "
                    + firstProblem(fsck.output()));
        } else if (!mustHold.isEmpty()) {
            checkFiles(check, e, mustHold);
        }
        report.point(NAME);
    }

    /** Every file fsync'd before the last mark the replay passed holds what was written, read back with debugfs. */
    private void checkFiles(Path check, LogEntry e, Map<String, byte[]> mustHold)
            throws IOException, InterruptedException {
        Path out = Files.createDirectories(dir.resolve("ext4-files"));
        List<String> names = new ArrayList<>(mustHold.keySet());
        StringBuilder cmds = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            Files.deleteIfExists(out.resolve("f" + i));
            cmds.append("dump ").append(names.get(i)).append(' ').append(out.resolve("f" + i)).append('\n');
        }
        Path cmdFile = Files.writeString(dir.resolve("ext4-debugfs.cmds"), cmds);
        Sys.exec(60, "debugfs", "-f", cmdFile.toString(), check.toString());
        filesChecked += names.size();
        for (int i = 0; i < names.size(); i++) {
            Path got = out.resolve("f" + i);
            String what = !Files.exists(got) ? "is missing"
                    : Arrays.equals(Files.readAllBytes(got), mustHold.get(names.get(i))) ? null
                    : "holds other bytes (" + Files.size(got) + " of " + mustHold.get(names.get(i)).length + ")";
            if (what != null) {
                report.violation(NAME, "at log entry " + e.index() + ": fsync'd file " + names.get(i) + " " + what);
            }
        }
    }

    private static String firstProblem(String out) {
        return out.lines().filter(l -> !l.startsWith("Pass ") && !l.startsWith("e2fsck ") && !l.isBlank())
                .limit(3).reduce((a, b) -> a + " / " + b).orElse(out.strip());
    }

    /**
     * Creates, appends to, renames and deletes files, fsync-ing files and directories; returns the fsyncs made.
     * After each operation it logs a mark and adds to {@code durable} what must then survive: every file whose
     * last change was fsync'd (its data, and its name: ext4's fsync commits the directory entry of a new file with
     * it, and a rename is followed by an fsync of its directory), with its whole content. A deleted file is just
     * left out (whether it is still there depends on the directory's fsync).
     */
    private static int fileWorkload(Path mnt, SplittableRandom rnd, List<Map<String, byte[]>> durable,
                                    Consumer<String> mark) throws IOException {
        Map<Path, byte[]> files = new LinkedHashMap<>();
        Path sub = Files.createDirectories(mnt.resolve("d"));
        fsyncDir(mnt, true);
        int fsyncs = 0;
        for (int i = 0; i < OPS; i++) {
            List<Path> names = new ArrayList<>(files.keySet());
            int op = files.isEmpty() ? 0 : rnd.nextInt(10);
            if (op < 5) { // create and fsync
                Path f = (rnd.nextBoolean() ? mnt : sub).resolve("f" + i);
                files.put(f, write(f, rnd, 1 + rnd.nextInt(48 * 1024), null));
                fsyncs += 1 + fsyncDir(f.getParent(), rnd.nextBoolean());
            } else if (op < 7) { // append and fsync
                Path f = names.get(rnd.nextInt(names.size()));
                files.put(f, write(f, rnd, 1 + rnd.nextInt(16 * 1024), files.get(f)));
                fsyncs++;
            } else if (op < 9) { // rename, fsync the directory
                Path from = names.get(rnd.nextInt(names.size()));
                Path to = from.resolveSibling("r" + i);
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
                files.put(to, files.remove(from));
                fsyncs += fsyncDir(to.getParent(), true);
            } else { // delete
                Path f = names.get(rnd.nextInt(names.size()));
                files.remove(f);
                Files.delete(f);
                fsyncs += fsyncDir(f.getParent(), rnd.nextBoolean());
            }
            Map<String, byte[]> now = new LinkedHashMap<>();
            files.forEach((f, content) -> now.put("/" + mnt.relativize(f), content));
            durable.add(now);
            mark.accept(MARK + (durable.size() - 1));
        }
        return fsyncs;
    }

    /** Writes (appending to {@code before}, or a new file when it is null), fsyncs; returns the whole content. */
    private static byte[] write(Path f, SplittableRandom rnd, int bytes, byte[] before) throws IOException {
        byte[] b = new byte[bytes];
        rnd.nextBytes(b);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                before != null ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        if (before == null) {
            return b;
        }
        byte[] all = Arrays.copyOf(before, before.length + b.length);
        System.arraycopy(b, 0, all, before.length, b.length);
        return all;
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
