package jdm.dm.targets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import jdm.Main;
import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.block.Op;
import jdm.block.dev.BackingFiles;
import jdm.dm.DeviceNamespace;
import jdm.dm.MappedDevice;
import jdm.dm.StatusType;
import jdm.logwrites.LogEntry;
import jdm.logwrites.LogFormat;
import jdm.logwrites.LogReader;
import jdm.testing.DeviceChecks;
import jdm.testing.TestFiles;
import jdm.testing.KernelOracle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * log-writes against Linux 6.1 (../shared/oracle, one boot): the same writes and marks through the kernel's
 * dm-log-writes and through jdm's. Both ways: the kernel's log replays in jdm ({@code jdm replay-log}) to the bytes
 * the kernel's data device holds, and jdm's log is byte-identical to the kernel's (so it parses with the kernel's
 * format), including the kernel's order: marks at once, writes only when a flush covers them (dd conv=fsync) or at
 * removal. (busybox dd cannot issue a FUA write.) Skipped only when qemu-system-x86_64 is absent.
 */
@Timeout(300)
class LogWritesKernelOracleTest {
    static final long SIZE = 4 << 20;

    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;

    /**
     * The I/O, as dd in the guest: {bs, count, skip (in bs), seek (in bs), 1 to fsync after (a FLUSH)}; marks in
     * between.
     */
    static final Object[] IO = {
        new int[] {4096, 3, 0, 1, 0}, "one", new int[] {65536, 1, 1, 5, 1}, new int[] {4096, 1, 5, 1, 0}, "two",
    };

    @Test
    void kernelAndJdmLogsAgreeAndTheKernelsLogReplaysInJdm() throws Exception {
        KernelOracle.assumeAvailable();
        byte[] pat = new byte[256 * 1024];
        new Random(11).nextBytes(pat);
        Path patFile = Files.write(dir.resolve("pat"), pat);
        Path kdata = TestFiles.sized(dir, "kdata.img", SIZE);
        Path klog = TestFiles.sized(dir, "klog.img", SIZE);
        String out = kernel(patFile, kdata, klog);
        assertThat(out).contains("lw: 0 8192 log-writes 254:0 254:16\n", "lw: 0 8192 log-writes 7 159\n", "done");

        // jdm, the same I/O on the same empty images
        Path jdata = TestFiles.sized(dir, "jdata.img", SIZE);
        Path jlog = TestFiles.sized(dir, "jlog.img", SIZE);
        BackingFiles files = new BackingFiles();
        DeviceNamespace ns = new DeviceNamespace(BuiltinTargets.registry(), files, checks.wrapping(files));
        MappedDevice md = ns.createWithTable("lw", null, false, "0 8192 log-writes " + jdata + " " + jlog, dir);
        for (Object step : IO) {
            if (step instanceof String label) {
                md.liveTable().entry(0).target().message(new String[] {"mark", label});
            } else if (step instanceof int[] dd) {
                for (int i = 0; i < dd[1]; i++) {
                    byte[] block = new byte[dd[0]];
                    System.arraycopy(pat, (dd[2] + i) * dd[0], block, 0, dd[0]);
                    assertThat(TargetContractTest.write(md, (long) (dd[3] + i) * dd[0] / 512, block))
                            .isEqualTo(BlkStatus.OK);
                }
                if (dd[4] == 1) {
                    assertThat(new Bio(Op.FLUSH, 0, md, 0, 0, null, null).submitAndWait()).isEqualTo(BlkStatus.OK);
                }
            }
        }
        for (int i = 0; i < 500 && !info(md).equals("0 8192 log-writes 7 159"); i++) {
            Thread.sleep(10);
        }
        assertThat(info(md)).isEqualTo("0 8192 log-writes 7 159");
        ns.remove("lw");

        List<String> kernelEntries = describe(klog);
        // held writes go to the log when a flush covers them (or at removal); marks at once
        assertThat(kernelEntries).containsExactly("0+0 MARK one", "8+8 ", "16+8 ", "24+8 ", "640+128 ", "0+0 FLUSH",
                "0+0 MARK two", "8+8 ", "0+0 MARK dm-log-writes-end");
        assertThat(Files.mismatch(jdata, kdata)).as("jdm's data device differs from the kernel's at byte")
                .isEqualTo(-1L);
        assertThat(Files.mismatch(jlog, klog)).as("jdm's log differs from the kernel's at byte").isEqualTo(-1L);

        // the kernel's log replays in jdm to the kernel's data device
        Path replayed = TestFiles.sized(dir, "replayed.img", SIZE);
        StringWriter err = new StringWriter();
        int rc = Main.commandLine().setErr(new PrintWriter(err))
                .execute("replay-log", "--log", klog.toString(), "--replay", replayed.toString());
        assertThat(rc).as(err.toString()).isZero();
        assertThat(Files.mismatch(replayed, kdata)).as("replayed kernel log differs from the kernel's data at byte")
                .isEqualTo(-1L);
    }

    private static String info(MappedDevice md) {
        return md.liveTable().statusLines(StatusType.INFO).get(0);
    }

    private static List<String> describe(Path log) throws Exception {
        List<String> out = new ArrayList<>();
        try (LogReader r = LogReader.open(log)) {
            for (LogEntry e : r) {
                out.add(e.sector() + "+" + e.nrSectors() + " " + LogFormat.flagNames(e.flags())
                        + (e.mark() ? " " + e.label() : ""));
            }
        }
        return out;
    }

    private String kernel(Path pat, Path data, Path log) throws Exception {
        StringBuilder s = new StringBuilder("set -e\n");
        s.append("dmsetup create lw --table \"0 $(blockdev --getsz /dev/vda) log-writes /dev/vda /dev/vdb\"\n");
        for (Object step : IO) {
            if (step instanceof String label) {
                s.append("dmsetup message lw 0 mark ").append(label).append('\n');
            } else if (step instanceof int[] dd) {
                s.append("dd if=/in/pat of=/dev/mapper/lw bs=%d count=%d skip=%d seek=%d oflag=direct%s 2>/dev/null\n"
                        .formatted(dd[0], dd[1], dd[2], dd[3], dd[4] == 1 ? " conv=fsync" : ""));
            }
        }
        s.append("sleep 1\ndmsetup table\ndmsetup status\ndmsetup remove lw\nsync\necho done\n");
        Path sh = Files.writeString(dir.resolve("lw.sh"), s.toString());
        return KernelOracle.run(List.of("-k", "6.1", "-r", "2020-01-01T00:00:00", "-t", "240",
                "-i", pat.toString(), sh.toString(), data.toString(), log.toString()));
    }
}
