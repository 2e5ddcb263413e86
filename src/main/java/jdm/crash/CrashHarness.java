package jdm.crash;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import jdm.daemon.Daemon;

/**
 * Runs the crash workloads against a jdm daemon started in this JVM, serving NBD on a Unix socket in a private
 * directory. In-process because the harness needs the namespace itself (to build and tear down the log-writes
 * stacks between rounds) and no process to babysit; the workloads still reach the volumes only through NBD, as any
 * client does (the block workload with its own pipelined client, the ext4 workload through nbdfuse and a loop
 * device), so the whole data path from the socket down is under test.
 */
public final class CrashHarness {
    public enum Workload { block, ext4, all }

    private final CrashReport report;
    private final long seed;
    private final Path dirOrNull;

    public CrashHarness(CrashReport report, long seed, Path dirOrNull) {
        this.report = report;
        this.seed = seed;
        this.dirOrNull = dirOrNull;
    }

    public void run(Workload workload, long points) throws Exception {
        Path dir = dirOrNull != null ? Files.createDirectories(dirOrNull) : Files.createTempDirectory("jdm-crashtest");
        report.line("jdm crashtest: seed " + seed + ", at least " + points + " crash points, workload " + workload
                + ", in " + dir);
        try (Daemon daemon = Daemon.start(new Daemon.Listen(dir.resolve("nbd.sock"), null, 0, null))) {
            long ext4Goal = workload == Workload.block ? 0 : workload == Workload.ext4 ? points : (points + 1) / 2;
            if (ext4Goal > 0) {
                String why = Ext4CrashWorkload.whyNotHere();
                if (why != null) {
                    report.line("ext4 workload skipped: " + why + (workload == Workload.all
                            ? "; the block workload runs alone" : ""));
                    ext4Goal = 0;
                    if (workload == Workload.ext4) {
                        return;
                    }
                } else {
                    long before = report.points();
                    new Ext4CrashWorkload(daemon, dir, report, seed).run(ext4Goal);
                    ext4Goal = report.points() - before;
                }
            }
            long blockGoal = workload == Workload.all ? Math.max(points - ext4Goal, Math.min(points, 50))
                    : points - ext4Goal;
            if (workload != Workload.ext4 && blockGoal > 0) {
                new BlockCrashWorkload(daemon, dir, report, seed).run(blockGoal);
            }
        } finally {
            if (dirOrNull == null) {
                deleteTree(dir);
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
