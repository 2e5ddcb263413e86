package jdm.md;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdm.block.BlkStatus;
import jdm.block.dev.BackingFiles;
import jdm.md.personalities.BuiltinPersonalities;
import jdm.testing.KernelOracle;
import jdm.testing.SyncIo;
import jdm.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Arrays cross between Linux 6.1's md and jdm both ways, in one oracle run: the kernel creates a raid5 and writes
 * data that jdm assembles and reads back; jdm creates a raid6 and writes data that the kernel assembles (mdadm
 * --assemble, clean, no resync) and reads back.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MdKernelRoundTripTest {
    private static final int BYTES = 4 << 20;

    @TempDir
    Path dir;

    @Test
    void kernelMembersAssembleInJdmAndJdmMembersAssembleInTheKernel() throws Exception {
        KernelOracle.assumeAvailable();
        byte[] data = new byte[BYTES];
        new Random(12).nextBytes(data);
        Path in = Files.write(dir.resolve("data.bin"), data);
        MdArrays arrays = new MdArrays(BuiltinPersonalities.registry(), line -> { });
        arrays.setMembers(new BackingFiles());

        List<String> kernelSet = new ArrayList<>();
        List<String> jdmSet = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            kernelSet.add(TestFiles.sized(dir, "k" + i, 16 << 20).toString());
        }
        for (int i = 0; i < 4; i++) {
            jdmSet.add(TestFiles.sized(dir, "j" + i, 16 << 20).toString());
        }
        MdArray mine = ArrayCreate.create(arrays, new ArrayCreate.Spec("md1", 6, -1, 128, 4, 0, false, true, true,
                "oracle", "fromjdm", null, -1, jdmSet, Path.of("/"))).array();
        assertThat(SyncIo.write(mine.mddev(), 0, data)).isEqualTo(BlkStatus.OK);
        mine.stop();

        String script = """
                set -e
                mdadm --create /dev/md0 --run --assume-clean --metadata=1.2 --homehost=oracle --name=fromkernel \\
                    --level=5 --raid-devices=3 --chunk=64 --bitmap=none /dev/vda /dev/vdb /dev/vdc >/dev/null 2>&1
                dd if=/in/data.bin of=/dev/md0 bs=1M conv=fsync 2>/dev/null
                mdadm --stop /dev/md0 >/dev/null 2>&1
                mdadm --assemble /dev/md1 /dev/vdd /dev/vde /dev/vdf /dev/vdg 2>&1
                cat /sys/block/md1/md/array_state /sys/block/md1/md/sync_action /sys/block/md1/md/level
                echo "sha $(dd if=/dev/md1 bs=1M count=4 2>/dev/null | sha256sum | cut -d' ' -f1)"
                mdadm --stop /dev/md1 >/dev/null 2>&1
                """;
        Path sh = Files.writeString(dir.resolve("roundtrip.sh"), script);
        List<String> args = new ArrayList<>(List.of("-k", "6.1", "-t", "240", "-i", in.toString(), sh.toString()));
        args.addAll(kernelSet);
        args.addAll(jdmSet);
        String out = KernelOracle.run(args);

        assertThat(out).contains("mdadm: /dev/md1 has been started with 4 drives.");
        assertThat(out).contains("clean\nidle\nraid6\n");
        assertThat(out).contains("sha " + sha256(data));

        var o = ArrayAssemble.assemble(arrays, "md0", kernelSet, Path.of("/"), null, false, false, false);
        try {
            assertThat(o.messages()).containsExactly("mdadm: /dev/md0 has been started with 3 drives.");
            assertThat(MdAttributes.read(o.array(), "array_state")).isEqualTo("clean");
            assertThat(o.array().sync()).isNull();
            assertThat(SyncIo.read(o.array().mddev(), 0, BYTES / 512)).isEqualTo(data);
        } finally {
            o.array().stop();
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
