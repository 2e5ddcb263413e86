package jdm.crash;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** "jdm crashtest": runs workloads through log-writes and checks a replay at every flush/FUA point. */
@Command(name = "crashtest", mixinStandardHelpOptions = true,
        description = {"Crash-consistency test of jdm itself: run a workload through a log-writes device, replay the"
                + " log to every flush/FUA point and check the volume there. The block workload checks that every"
                + " write acknowledged before the last flush/FUA is present and nothing never written appears; the"
                + " ext4 workload (needs root, nbdfuse, losetup, mount) checks that e2fsck finds the file system"
                + " clean. The last line reads 'N crash points checked, V violations'; the exit status is 0 only"
                + " without violations."})
public final class CrashTestCommand implements Callable<Integer> {
    @Option(names = "--points", paramLabel = "N", description = "Check at least N crash points (default ${DEFAULT-VALUE}).")
    long points = 100;

    @Option(names = "--workload", paramLabel = "block|ext4|all", description = "Which workloads (default"
            + " ${DEFAULT-VALUE}); with all, ext4 is skipped, saying so, where the machine does not allow mounts.")
    CrashHarness.Workload workload = CrashHarness.Workload.all;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the workloads (default: random, printed).")
    Long seed;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to put the images and logs (default: a new"
            + " temporary directory, deleted afterwards).")
    Path dir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (points < 1) {
            throw new ParameterException(spec.commandLine(), "--points must be at least 1, not " + points);
        }
        long s = seed != null ? seed : System.nanoTime();
        var console = System.console();
        CrashReport report = new CrashReport(System.out, console != null && console.isTerminal(), points);
        new CrashHarness(report, s, dir).run(workload, points);
        report.line(report.summary());
        return report.violations() == 0 ? 0 : 1;
    }
}
