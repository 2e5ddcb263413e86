package jdm.dm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jdm.block.BlkStatus;
import jdm.testing.DeviceChecks;
import jdm.testing.KernelOracle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live differential test against the real kernel (../shared/oracle boots Linux 6.1 under qemu): the same tables
 * and the same writes, once through the kernel's dm and once through jdm, must leave byte-identical images. The
 * geometry is chosen to hit what is easy to get wrong: a 5-way stripe with a chunk that is not a power of two,
 * uneven leg offsets, and a linear device on top whose segments start at odd sectors. Skipped only when
 * qemu-system-x86_64 is absent; any other oracle failure fails the test.
 */
class KernelOracleDifferentialTest {
    static final String STRIPE = "0 30720 striped 5 24 %s 0 %s 100 %s 7 %s 2000 %s 24";
    static final String TOP = "0 10000 linear %s 20000\n10000 10720 linear %s 3";

    /** Backing files reach tables through checking wrappers: bios in range, each ended exactly once. */
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;

    /** 2590 blocks of 4 KiB; each sector is 32 copies of "b%07d s%d jdm\n" naming block and sector. */
    static byte[] pattern() {
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < 2590; b++) {
            for (int s = 0; s < 8; s++) {
                sb.append(String.format("b%07d s%d jdm\n", b, s).repeat(32));
            }
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static List<Path> images(Path d) throws Exception {
        List<Path> out = new ArrayList<>();
        for (String n : new String[] {"a", "b", "c", "d", "e"}) {
            out.add(Fixtures.file(d, n + ".img", 4 << 20));
        }
        return out;
    }

    @Test
    void stripedWithAnOddChunkUnderLinearWritesTheSameBytesAsTheKernel() throws Exception {
        KernelOracle.assumeAvailable();
        byte[] pat = pattern();
        assertThat(pat).hasSize(2590 * 4096);
        Path kdir = Files.createDirectories(dir.resolve("kernel"));
        Path jdir = Files.createDirectories(dir.resolve("jdm"));
        List<Path> kimg = images(kdir);
        List<Path> jimg = images(jdir);
        Files.write(kdir.resolve("pat"), pat);

        String script = String.join("\n",
                "set -e",
                "dmsetup create s --table \"" + STRIPE.formatted("/dev/vda", "/dev/vdb", "/dev/vdc", "/dev/vdd",
                        "/dev/vde") + "\"",
                "printf '%s\\n' \"" + TOP.formatted("/dev/mapper/s", "/dev/mapper/s").replace("\n", "\" \"")
                        + "\" | dmsetup create t",
                "dd if=/in/pat of=/dev/mapper/t bs=4096 conv=notrunc,fsync 2>/dev/null",
                "dmsetup table",
                "dmsetup status",
                "dmsetup remove t",
                "dmsetup remove s",
                "sync",
                "echo done", "");
        Path sh = Files.writeString(kdir.resolve("diff.sh"), script);
        List<String> cmd = new ArrayList<>(List.of("-k", "6.1", "-t", "300",
                "-i", kdir.resolve("pat").toString(), sh.toString()));
        kimg.forEach(p -> cmd.add(p.toString()));
        String out = KernelOracle.run(cmd);
        assertThat(out).contains("s: 0 30720 striped 5 24 254:0 0 254:16 100 254:32 7 254:48 2000 254:64 24",
                "t: 0 10000 linear 253:0 20000", "t: 10000 10720 linear 253:0 3",
                "s: 0 30720 striped 5 254:0 254:16 254:32 254:48 254:64 1 AAAAA", "done");

        DeviceNamespace ns = Fixtures.namespace(checks);
        ns.createWithTable("s", null, false, STRIPE.formatted(jimg.toArray()), dir);
        MappedDevice t = ns.createWithTable("t", null, false, TOP.formatted("/dev/mapper/s", "/dev/mapper/s"), dir);
        for (int blk = 0; blk < 2590; blk++) {
            byte[] one = new byte[4096];
            System.arraycopy(pat, blk * 4096, one, 0, 4096);
            assertThat(Fixtures.write(t, blk * 8L, one)).isEqualTo(BlkStatus.OK);
        }
        assertThat(ns.get("s").liveTable().statusLines(StatusType.INFO))
                .containsExactly("0 30720 striped 5 7:0 7:1 7:2 7:3 7:4 1 AAAAA");
        ns.remove("t");
        ns.remove("s");
        for (int i = 0; i < 5; i++) {
            assertThat(Files.mismatch(kimg.get(i), jimg.get(i))).as("image %d differs from the kernel's at byte", i)
                    .isEqualTo(-1L);
        }
    }
}
