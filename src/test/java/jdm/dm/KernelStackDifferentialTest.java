package jdm.dm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import jdm.testing.DeviceChecks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel oracle's stack-linear-striped example replayed in jdm: a 3-way stripe with uneven leg offsets, and a
 * two-segment linear device over it (one segment at an odd sector), written with a pattern that names every sector.
 * The backing images must end up byte-identical to what Linux 6.1 wrote (sha256 recorded in
 * shared/oracle/examples/stack-linear-striped.out), and the landmark sectors must hold what the kernel put there.
 */
class KernelStackDifferentialTest {
    /** Backing files reach tables through checking wrappers: bios in range, each ended exactly once. */
    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;

    static final String PATTERN_SHA = "5ea78f766f881bf46914b3d6494abff5eb068842f75c87c979ac8f904db632dd";
    static final String STRIPE_SHA = "be9115d5574cb65ad48e120f8ef5f891c2f662536ef3c6fc6ccfc6dac8e72866";
    static final String[] DISK_SHA = {
        "47699f58ad9d15ec3272c1419256e052bbd5bf39a5971dc7b64b0c44050fd659",
        "862dc3b228b87f925e6a57a7af8e79653364441005180e222c0470405a9c2b99",
        "83df048ae25cf15d50c8a618d3f6867689185205e05fb92cf708afb204147a80",
    };

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** 2048 blocks of 4 KiB; each 512-byte sector is 32 copies of "blk%07d sec%d\n". */
    static byte[] pattern() {
        StringBuilder sb = new StringBuilder(8 << 20);
        for (int b = 0; b < 2048; b++) {
            for (int s = 0; s < 8; s++) {
                String r = String.format("blk%07d sec%d\n", b, s);
                sb.append(r.repeat(32));
            }
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void stackedLinearOverStripedWritesTheSameBytesAsTheKernel() throws Exception {
        Path vda = Fixtures.file(dir, "a.img", 8 << 20);
        Path vdb = Fixtures.file(dir, "b.img", 8 << 20);
        Path vdc = Fixtures.file(dir, "c.img", 8 << 20);
        DeviceNamespace ns = Fixtures.namespace(checks);
        MappedDevice stripe = ns.createWithTable("stripe", null, false,
                "0 36864 striped 3 128 " + vda + " 2048 " + vdb + " 0 " + vdc + " 1024", dir);
        MappedDevice top = ns.createWithTable("top", null, false,
                "0 8192 linear /dev/mapper/stripe 20480\n8192 8192 linear /dev/mapper/stripe 1003", dir);
        byte[] pat = pattern();
        assertThat(sha256(pat)).isEqualTo(PATTERN_SHA);
        for (int blk = 0; blk < 2048; blk++) { // dd bs=4096, as the script does
            byte[] one = new byte[4096];
            System.arraycopy(pat, blk * 4096, one, 0, 4096);
            assertThat(Fixtures.write(top, blk * 8L, one)).isEqualTo(jdm.block.BlkStatus.OK);
        }
        assertThat(Fixtures.op(top, jdm.block.Op.FLUSH, 0, 0)).isEqualTo(jdm.block.BlkStatus.OK);

        assertThat(stripe.liveTable().statusLines(StatusType.TABLE))
                .containsExactly("0 36864 striped 3 128 7:0 2048 7:1 0 7:2 1024");
        assertThat(stripe.liveTable().statusLines(StatusType.INFO))
                .containsExactly("0 36864 striped 3 7:0 7:1 7:2 1 AAA");
        assertThat(top.liveTable().statusLines(StatusType.TABLE))
                .containsExactly("0 8192 linear 253:0 20480", "8192 8192 linear 253:0 1003");
        assertThat(top.liveTable().statusLines(StatusType.INFO))
                .containsExactly("0 8192 linear ", "8192 8192 linear ");
        assertThat(sha256(Fixtures.read(top, 0, 16384))).isEqualTo(PATTERN_SHA);
        assertThat(sha256(Fixtures.read(stripe, 0, 36864))).isEqualTo(STRIPE_SHA);
        ns.remove("top");
        ns.remove("stripe");

        Path[] disks = {vda, vdb, vdc};
        for (int i = 0; i < 3; i++) {
            assertThat(sha256(Files.readAllBytes(disks[i]))).as("disk %d", i).isEqualTo(DISK_SHA[i]);
        }
        assertThat(landmark(vdb, 6784)).isEqualTo("blk0000000 sec0");
        assertThat(landmark(vda, 8960)).isEqualTo("blk0000032 sec0");
        assertThat(landmark(vdb, 363)).isEqualTo("blk0001024 sec0");
        assertThat(landmark(vdc, 1280)).isEqualTo("blk0001026 sec5");
    }

    static String landmark(Path disk, long sector) throws Exception {
        byte[] all = Files.readAllBytes(disk);
        return new String(all, (int) sector * 512, 15, StandardCharsets.US_ASCII);
    }
}
