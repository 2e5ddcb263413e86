package jdm.dm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.testing.DeviceChecks;
import jdm.testing.KernelOracle;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault targets against the real kernel (../shared/oracle, one boot per target): the same tables, bad tables
 * and I/O through Linux's dm-flakey and dm-delay (6.1) and through jdm, comparing dmsetup table and status text, the
 * error sentences the kernel logs, what each I/O returned, and the backing images byte for byte. dm-dust is in
 * neither of the oracle's Debian kernels (CONFIG_DM_DUST is not set), so its test skips when the kernel's config
 * says so. Skipped only when qemu-system-x86_64 is absent; any other oracle failure fails the test.
 */
@Timeout(300)
class FaultTargetsKernelOracleTest {

    @RegisterExtension
    final DeviceChecks checks = new DeviceChecks();

    @TempDir
    Path dir;

    /** Runs script on the given kernel with images as /dev/vda, /dev/vdb...; returns what it printed. */
    static String kernel(String kver, Path script, Path in, Path... images) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("-k", kver, "-t", "200",
                "-r", "2020-01-01T00:00:00", "-i", in.toString(), script.toString()));
        for (Path p : images) {
            cmd.add(p.toString());
        }
        return KernelOracle.run(cmd);
    }

    /** One 4 KiB block of text, the same in the guest (/in/blk) and here. */
    static byte[] block() {
        return "fault-targets oracle block 0123456789abcdefghijklmnopqrstuvwxyz\n".repeat(64).substring(0, 4096)
                .getBytes(StandardCharsets.US_ASCII);
    }

    Path image(Path d, String name) throws Exception {
        return Fixtures.file(d, name, 4 << 20);
    }

    /** The lines of out starting with prefix, in order. */
    static List<String> lines(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).toList();
    }

    /** Loads each bad table in jdm; returns "params => sentence" as the guest script prints the kernel's. */
    static List<String> jdmErrors(DeviceNamespace ns, String type, List<String> bad, Path dir) throws Exception {
        List<String> out = new ArrayList<>();
        for (String params : bad) {
            try {
                ns.createWithTable("bad", null, false, "0 2048 " + type + " " + params, dir);
                out.add(params + " => ACCEPTED");
                ns.remove("bad");
            } catch (DmException e) {
                String m = e.getMessage().substring(("line 1: " + type + ": ").length());
                // jdm adds the device and the reason in parentheses; the kernel logs them apart
                out.add(params + " => " + (m.startsWith("Device lookup failed (") ? "Device lookup failed" : m));
                try {
                    ns.remove("bad");
                } catch (DmException gone) {
                    // create failed before the device existed
                }
            }
        }
        return out;
    }

    /** The guest loop printing "params => sentence" for each bad table, as the kernel logged it. */
    static String errorLoop(String type, List<String> bad) {
        StringBuilder sb = new StringBuilder("for t in");
        for (String b : bad) {
            sb.append(" \"").append(b).append('"');
        }
        sb.append("; do\n  dmsetup create bad --table \"0 2048 ").append(type).append(" $t\" 2>/dev/null && {")
                .append(" echo \"$t => ACCEPTED\"; dmsetup remove bad; }\n")
                .append("  dmesg -c | grep -o '").append(type).append(": .*' | sed -e 's/^").append(type)
                .append(": //' -e 's/ (-E[A-Z]*)$//' -e \"s|^|$t => |\"\ndone\n");
        return sb.toString();
    }

    static List<String> guestErrors(String out) {
        return out.lines().filter(l -> l.contains(" => ")).toList();
    }

    @Test
    void flakeyMatchesLinux61() throws Exception {
        Path kdir = Files.createDirectories(dir.resolve("kernel"));
        Path jdir = Files.createDirectories(dir.resolve("jdm"));
        Path kimg = image(kdir, "a.img");
        Path jimg = image(jdir, "a.img");
        Path in = Files.write(kdir.resolve("blk"), block());
        String[] tables = {
            "f1: 0 8192 flakey %s 0 3600 0",
            "f2: 0 2048 flakey %s 0 0 5 1 drop_writes",
            "f3: 0 2048 flakey %s 0 0 5 5 corrupt_bio_byte 100 w 65 0",
            "f4: 0 2048 flakey %s 2048 0 5 5 corrupt_bio_byte 3 r 66 0",
            "f5: 0 2048 flakey %s 0 0 5 1 error_writes",
            "f6: 0 2048 flakey %s 0 0 5",
        };
        // name, write (w) or read (r), 4 KiB block
        String[][] io = {{"f1", "w", "4"}, {"f1", "w", "260"}, {"f2", "w", "1"}, {"f2", "r", "4"}, {"f3", "w", "3"},
            {"f4", "r", "4"}, {"f4", "w", "5"}, {"f5", "w", "2"}, {"f5", "r", "4"}, {"f6", "w", "6"},
            {"f6", "r", "4"}};
        List<String> bad = List.of("/dev/vda 0 1 x", "/dev/vda 0 4294967295 1", "/dev/vda 0 4294967295 2",
                "/dev/vda 0 1 1 2 drop_writes", "/dev/vda 0 1 1 1 random_read_corrupt",
                "/dev/vda 0 1 1 1 random_write_corrupt", "/dev/vda 0 1 1 1 error_reads",
                "/dev/vda 0 1 1 2 corrupt_bio_byte 1 r 1 0", "/dev/vda 0 1 1 6 error_writes corrupt_bio_byte 1 w 1 0",
                "/dev/vda 0 1 1 0 extra", "/dev/vdz 0 1 1");

        StringBuilder sh = new StringBuilder();
        for (String t : tables) {
            String name = t.substring(0, 2);
            sh.append("dmsetup create ").append(name).append(" --table \"")
                    .append(t.substring(4).formatted("/dev/vda")).append("\"\n");
        }
        sh.append("dmsetup table\ndmsetup status\n");
        for (String[] op : io) {
            sh.append(op[1].equals("w")
                    ? "dd if=/in/blk of=/dev/mapper/" + op[0] + " bs=4096 seek=" + op[2] + " oflag=direct 2>/dev/null"
                    : "dd if=/dev/mapper/" + op[0] + " of=/out/r bs=4096 skip=" + op[2] + " count=1 iflag=direct"
                            + " 2>/dev/null && sha256sum /out/r | cut -c1-16")
                    .append("; echo \"io ").append(String.join(" ", op)).append(" rc=$?\"\n");
        }
        sh.append("dmsetup remove_all\n").append(errorLoop("flakey", bad)).append("sync\necho done\n");
        String out = kernel("6.1", Files.writeString(kdir.resolve("flakey.sh"), sh), in, kimg);
        assertThat(out).contains("done");

        DeviceNamespace ns = Fixtures.namespace(checks);
        String dev = jimg.toString();
        List<String> table = new ArrayList<>();
        List<String> status = new ArrayList<>();
        for (String t : tables) {
            String name = t.substring(0, 2);
            MappedDevice md = ns.createWithTable(name, null, false, t.substring(4).formatted(dev), dir);
            table.add(name + ": " + md.liveTable().statusLines(StatusType.TABLE).getFirst());
            status.add(name + ": " + md.liveTable().statusLines(StatusType.INFO).getFirst());
        }
        List<String> results = new ArrayList<>();
        for (String[] op : io) {
            MappedDevice md = ns.get(op[0]);
            long sector = Long.parseLong(op[2]) * 8;
            byte[] buf = op[1].equals("w") ? block() : new byte[4096];
            Bio bio = new Bio(op[1].equals("w") ? Op.WRITE : Op.READ, 0, md, sector, 8, ByteBuffer.wrap(buf), null);
            BlkStatus s = bio.submitAndWait();
            if (op[1].equals("r") && s.ok()) {
                results.add(sha256(buf).substring(0, 16));
            }
            results.add("io " + String.join(" ", op) + " rc=" + (s.ok() ? 0 : 1));
        }
        for (String t : tables) {
            ns.remove(t.substring(0, 2));
        }
        assertThat(table).isEqualTo(lines(out, "f").subList(0, 6).stream().map(l -> l.replace("254:0", "7:0"))
                .toList());
        assertThat(status).isEqualTo(lines(out, "f").subList(6, 12));
        List<String> kernelIo = out.lines().dropWhile(l -> !l.startsWith("io ") && !l.matches("[0-9a-f]{16}"))
                .takeWhile(l -> l.startsWith("io ") || l.matches("[0-9a-f]{16}")).toList();
        assertThat(results).isEqualTo(kernelIo);
        assertThat(jdmErrors(ns, "flakey", bad.stream().map(b -> b.replace("/dev/vda", dev)
                .replace("/dev/vdz", dir.resolve("vdz.img").toString())).toList(), dir).stream()
                .map(l -> l.replace(dev, "/dev/vda").replace(dir.resolve("vdz.img").toString(), "/dev/vdz")).toList())
                .isEqualTo(guestErrors(out));
        assertThat(Files.mismatch(kimg, jimg)).as("image differs from the kernel's at byte").isEqualTo(-1L);
    }

    @Test
    void delayMatchesLinux61() throws Exception {
        Path kdir = Files.createDirectories(dir.resolve("kernel"));
        Path jdir = Files.createDirectories(dir.resolve("jdm"));
        Path ka = image(kdir, "a.img");
        Path kb = image(kdir, "b.img");
        Path ja = image(jdir, "a.img");
        Path jb = image(jdir, "b.img");
        Path in = Files.write(kdir.resolve("blk"), block());
        String[] tables = {
            "d1: 0 2048 delay %1$s 0 0",
            "d2: 0 2048 delay %1$s 0 100 %2$s 8 200",
            "d3: 0 2048 delay %1$s 16 0 %2$s 0 0 %1$s 0 300",
            "d4: 0 2048 delay %2$s 0 4294967297",
        };
        List<String> bad = List.of("/dev/vda 0", "/dev/vda 0 1 /dev/vda", "/dev/vda x 1", "/dev/vda 0 x",
                "/dev/vda 0 -1", "/dev/vda 0 +1", "/dev/vda 0 1 /dev/vdb x 1", "/dev/vda 0 1 /dev/vdb 0 1 /dev/vdz 0 1");
        StringBuilder sh = new StringBuilder();
        for (String t : tables) {
            sh.append("dmsetup create ").append(t, 0, 2).append(" --table \"")
                    .append(t.substring(4).formatted("/dev/vda", "/dev/vdb")).append("\"\n");
        }
        sh.append("dmsetup table\ndmsetup status\ndmsetup remove_all\n");
        // a write waiting 20 s: status counts it, suspend sends it down at once
        sh.append("dmsetup create slow --table \"0 2048 delay /dev/vda 0 0 /dev/vdb 8 20000\"\n")
                .append("dd if=/in/blk of=/dev/mapper/slow bs=4096 seek=1 oflag=direct 2>/dev/null &\n")
                .append("sleep 2\ndmsetup status slow\ndmsetup suspend slow\nwait\necho written\n")
                .append("dmsetup status slow\ndmsetup resume slow\ndmsetup status slow\ndmsetup remove slow\n")
                .append(errorLoop("delay", bad)).append("sync\necho done\n");
        String out = kernel("6.1", Files.writeString(kdir.resolve("delay.sh"), sh), in, ka, kb);
        assertThat(out).contains("done");
        assertThat(lines(out, "0 2048 delay")).containsExactly("0 2048 delay 0 1 0", "0 2048 delay 0 0 0",
                "0 2048 delay 0 0 0");

        DeviceNamespace ns = Fixtures.namespace(checks);
        List<String> table = new ArrayList<>();
        List<String> status = new ArrayList<>();
        for (String t : tables) {
            String name = t.substring(0, 2);
            MappedDevice md = ns.createWithTable(name, null, false, t.substring(4).formatted(ja, jb), dir);
            table.add(name + ": " + md.liveTable().statusLines(StatusType.TABLE).getFirst());
            status.add(name + ": " + md.liveTable().statusLines(StatusType.INFO).getFirst());
        }
        for (String t : tables) {
            ns.remove(t.substring(0, 2));
        }
        assertThat(table).isEqualTo(lines(out, "d").stream().limit(4)
                .map(l -> l.replace("254:0", "7:0").replace("254:16", "7:1")).toList());
        assertThat(status).isEqualTo(lines(out, "d").stream().skip(4).limit(4).toList());

        MappedDevice slow = ns.createWithTable("slow", null, false,
                "0 2048 delay " + ja + " 0 0 " + jb + " 8 20000", dir);
        CountDownLatch written = new CountDownLatch(1);
        new Bio(Op.WRITE, 0, slow, 8, 8, ByteBuffer.wrap(block()), b -> written.countDown()).submit();
        List<String> slowStatus = new ArrayList<>(slow.liveTable().statusLines(StatusType.INFO));
        ns.suspend("slow", false);
        assertThat(written.await(10, TimeUnit.SECONDS)).isTrue();
        slowStatus.addAll(slow.liveTable().statusLines(StatusType.INFO));
        ns.resume("slow");
        slowStatus.addAll(slow.liveTable().statusLines(StatusType.INFO));
        ns.remove("slow");
        assertThat(slowStatus).isEqualTo(lines(out, "0 2048 delay"));

        Path vdz = dir.resolve("vdz.img");
        assertThat(jdmErrors(ns, "delay", bad.stream().map(b -> b.replace("/dev/vda", ja.toString())
                .replace("/dev/vdb", jb.toString()).replace("/dev/vdz", vdz.toString())).toList(), dir).stream()
                .map(l -> l.replace(ja.toString(), "/dev/vda").replace(jb.toString(), "/dev/vdb")
                        .replace(vdz.toString(), "/dev/vdz")).toList())
                .isEqualTo(guestErrors(out));
        assertThat(Files.mismatch(ka, ja)).as("a.img differs from the kernel's at byte").isEqualTo(-1L);
        assertThat(Files.mismatch(kb, jb)).as("b.img differs from the kernel's at byte").isEqualTo(-1L);
    }

    @Test
    void dustMatchesLinux612WhereTheKernelHasIt() throws Exception {
        KernelOracle.assumeAvailable();
        try (Stream<Path> configs = Files.isDirectory(Path.of("/boot")) ? Files.list(Path.of("/boot")) : Stream.of()) {
            List<Path> c612 = configs.filter(p -> p.getFileName().toString().startsWith("config-6.12")).toList();
            for (Path c : c612) {
                Assumptions.assumeFalse(Files.readString(c).contains("# CONFIG_DM_DUST is not set"),
                        "kernel oracle has no dm-dust: " + c + " says CONFIG_DM_DUST is not set (Debian builds"
                                + " neither 6.1 nor 6.12 with it); DustTargetTest follows dm-dust.c of 6.12");
            }
        }
        Path kdir = Files.createDirectories(dir.resolve("kernel"));
        Path kimg = image(kdir, "a.img");
        Path in = Files.write(kdir.resolve("blk"), block());
        String sh = """
                dmsetup create u --table "0 4096 dust /dev/vda 0 512" || { dmesg | grep -q 'dust: unknown target type' && echo NO-DUST; }
                dmsetup table u; dmsetup status u
                dmsetup message u 0 addbadblock 60
                dmsetup message u 0 addbadblock 8 1
                dmsetup message u 0 countbadblocks
                dmsetup message u 0 listbadblocks
                dmsetup message u 0 queryblock 60
                dmsetup message u 0 enable
                dd if=/dev/mapper/u of=/dev/null bs=512 skip=60 count=1 iflag=direct 2>/dev/null; echo "r60 rc=$?"
                dd if=/in/blk of=/dev/mapper/u bs=512 seek=8 count=1 oflag=direct 2>/dev/null; echo "w8 rc=$?"
                dd if=/in/blk of=/dev/mapper/u bs=512 seek=8 count=1 oflag=direct 2>/dev/null; echo "w8 rc=$?"
                dmsetup message u 0 listbadblocks
                dmsetup status u
                dmsetup remove u
                dmesg | grep -o 'device-mapper: dust: .*'
                echo done
                """;
        String out = kernel("6.12", Files.writeString(kdir.resolve("dust.sh"), sh), in, kimg);
        Assumptions.assumeFalse(out.contains("NO-DUST"), "the oracle's 6.12 kernel has no dm-dust");
        assertThat(out).contains("u: 0 4096 dust 254:0 0 512", "countbadblocks: 2 badblock(s) found", "60\n",
                "dust_query_block: block 60 found in badblocklist", "r60 rc=1", "w8 rc=1", "w8 rc=0",
                "device-mapper: dust: block 8 removed from badblocklist by write", "done");
    }

    static String sha256(byte[] b) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (byte x : java.security.MessageDigest.getInstance("SHA-256").digest(b)) {
            sb.append(String.format("%02x", x));
        }
        return sb.toString();
    }
}
