package jdm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * "jdm mdadm --examine FILE..." prints what the host's real mdadm 4.2 prints for the same member files, on standard
 * output and standard error, with the same exit status: members the kernel's md wrote (the oracle's dumps in
 * src/test/resources/md/sb), a member with an internal bitmap, a spare, files without a superblock, missing files.
 */
@Timeout(60)
class MdadmExamineTest {
    static final long MEMBER_BYTES = 16L << 20;

    record Run(int status, String out, String err) {
    }

    static Optional<Path> mdadm() {
        Stream<Path> path = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, "mdadm"));
        return Stream.concat(path, Stream.of(Path.of("/usr/sbin/mdadm"), Path.of("/sbin/mdadm")))
                .filter(Files::isExecutable).findFirst();
    }

    static Run real(Path dir, String... args) throws IOException, InterruptedException {
        Optional<Path> m = mdadm();
        Assumptions.assumeTrue(m.isPresent(), "mdadm not installed (apt-get install -y mdadm): skipped");
        List<String> cmd = new ArrayList<>(List.of(m.get().toString()));
        cmd.addAll(List.of(args));
        Path errFile = dir.resolve("mdadm.err");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(errFile.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("mdadm did not finish");
        }
        return new Run(p.exitValue(), out, Files.readString(errFile));
    }

    static Run jdm(Path dir, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine sub = new CommandLine(new MdadmCommand(InputStream.nullInputStream(), k -> null, dir));
        sub.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int status = sub.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    static void member(Path file, String dump) throws IOException {
        try (InputStream in = MdadmExamineTest.class.getResourceAsStream("/md/sb/" + dump + ".bin.gz");
             InputStream gz = new GZIPInputStream(in);
             RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(MEMBER_BYTES);
            f.write(gz.readAllBytes());
        }
    }

    @Test
    void membersTheKernelWroteReadAsTheRealMdadmReadsThem(@TempDir Path dir) throws Exception {
        List<String> names = List.of("raid5-rw-vda", "raid6-rw-vda", "raid10-rw-vda", "raid0-rw-vda", "r1bm-vdb",
                "r5sp-vdd", "raid1-ro-vda");
        List<String> args = new ArrayList<>(List.of("--examine", "--homehost=oracle"));
        for (String n : names) {
            member(dir.resolve(n + ".img"), n);
            args.add(n + ".img");
        }
        Run real = real(dir, args.toArray(String[]::new));
        assertThat(real.status()).isZero();
        Run ours = jdm(dir, args.toArray(String[]::new));
        assertThat(ours.out()).isEqualTo(real.out());
        assertThat(ours.err()).isEqualTo(real.err());
        assertThat(ours.status()).isZero();
        // without --homehost both take the host's name: no "(local to host oracle)"
        Run plain = jdm(dir, "-E", "r5sp-vdd.img");
        assertThat(plain.out()).isEqualTo(real(dir, "-E", "r5sp-vdd.img").out());
    }

    @Test
    void briefListsEachArrayOnceAsTheRealMdadm(@TempDir Path dir) throws Exception {
        List<String> files = new ArrayList<>();
        for (String n : List.of("r5sp-vda", "raid5-rw-vda", "r5sp-vdb", "r5sp-vdc", "r5sp-vdd", "raid0-rw-vda")) {
            member(dir.resolve(n + ".img"), n);
            files.add(n + ".img");
        }
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("empty.img").toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        files.add("empty.img");
        files.add("missing.img");
        for (List<String> opts : List.of(List.of("--examine", "--brief"), List.of("-Eb", "-v"), List.of("-Es"))) {
            List<String> args = new ArrayList<>(opts);
            args.addAll(files);
            Run real = real(dir, args.toArray(String[]::new));
            assertThat(jdm(dir, args.toArray(String[]::new))).as(opts.toString()).isEqualTo(real);
        }
    }

    @Test
    void zeroSuperblockAsTheRealMdadm(@TempDir Path dir) throws Exception {
        Path ours = Files.createDirectory(dir.resolve("ours"));
        Path theirs = Files.createDirectory(dir.resolve("theirs"));
        member(ours.resolve("m.img"), "raid5-rw-vda");
        member(theirs.resolve("m.img"), "raid5-rw-vda");
        for (int round = 0; round < 2; round++) { // the second finds none: "Unrecognised md component device"
            Run real = real(theirs, "--zero-superblock", "m.img");
            assertThat(jdm(ours, "--zero-superblock", "m.img")).isEqualTo(real);
            assertThat(Files.readAllBytes(ours.resolve("m.img")))
                    .isEqualTo(Files.readAllBytes(theirs.resolve("m.img")));
        }
        assertThat(jdm(ours, "-E", "m.img").err()).isEqualTo("mdadm: No md superblock detected on m.img.\n");
        assertThat(jdm(ours, "--zero-superblock", "m.img").err())
                .isEqualTo("mdadm: Unrecognised md component device - m.img\n");
        assertThat(jdm(ours, "--zero-superblock", "nothere.img")).isEqualTo(real(theirs, "--zero-superblock",
                "nothere.img"));
    }

    @Test
    void aBitmapFeatureWithoutABitmapIsDroppedBeforeTheChecksumAsMdadmDoes(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.img");
        member(f, "raid5-rw-vda");
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            byte[] sb = new byte[4096];
            r.seek(4096);
            r.readFully(sb);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sb).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.putInt(8, b.getInt(8) | 1).putInt(96, 8).putInt(216, 0); // bitmap feature, bitmap 4 KiB on: zeros
            long sum = 0;
            int size = 256 + 2 * b.getInt(220);
            for (int i = 0; i + 4 <= size; i += 4) {
                sum += Integer.toUnsignedLong(b.getInt(i));
            }
            b.putInt(216, (int) ((sum & 0xffffffffL) + (sum >>> 32)));
            r.seek(4096);
            r.write(sb);
        }
        Run real = real(dir, "--examine", "m.img");
        assertThat(real.out()).contains(" - expected ");
        assertThat(jdm(dir, "--examine", "m.img")).isEqualTo(real);
    }

    @Test
    void filesWithoutASuperblock(@TempDir Path dir) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("empty.img").toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        member(dir.resolve("m.img"), "raid5-rw-vdb");
        String[] args = {"--examine", "missing.img", "empty.img", "m.img", "."};
        Run real = real(dir, args);
        Run ours = jdm(dir, args);
        assertThat(ours).isEqualTo(real);
        assertThat(ours.status()).isEqualTo(1);
        assertThat(ours.err()).contains("mdadm: No md superblock detected on empty.img.\n");
    }
}
