package jdm.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the kernel oracle's md-layouts.sh recorded (../shared/oracle/examples/md-layouts.out) for one array: four
 * zeroed 16 MiB members, data offset 2048, the script's pattern written at array blocks 0-255, 1283-1538 and the
 * last 64, and each member's data-area sha256 as Linux 6.1 left it. With the pattern generator, for personality
 * tests that drive the same writes through a running array.
 */
public record MdLayoutsRecorded(String tag, int level, String layout, long blocks, String patternSha,
        List<String> memberShas) {
    public static final Path OUT = Path.of("..", "shared", "oracle", "examples", "md-layouts.out");
    public static final int DISKS = 4;
    public static final long DISK_SECTORS = 32768;
    public static final long DATA_OFFSET = 2048;
    public static final long DATA_SECTORS = DISK_SECTORS - DATA_OFFSET;

    /** The recorded array with this tag ("raid1", "raid10-n2", ...); skips the test when the file is missing. */
    public static MdLayoutsRecorded find(String tag) throws IOException {
        return all().stream().filter(r -> r.tag.equals(tag)).findFirst()
                .orElseThrow(() -> new AssertionError("no array " + tag + " in " + OUT));
    }

    /** Every recorded array, in the script's order; skips the test when the file is missing. */
    public static List<MdLayoutsRecorded> all() throws IOException {
        assumeTrue(Files.isRegularFile(OUT), "no recorded kernel output at " + OUT.toAbsolutePath());
        Pattern head = Pattern.compile("^=== (\\S+): --level=(\\d+)(.*)$");
        Pattern array = Pattern.compile("^array: (\\d+) blocks of 4 KiB; pattern sha256 ([0-9a-f]{64})");
        Pattern member = Pattern.compile("^  vd[a-d]: .*sha256 ([0-9a-f]{64})$");
        List<MdLayoutsRecorded> out = new ArrayList<>();
        String tag = null;
        int level = 0;
        String layout = null;
        long blocks = 0;
        String pattern = null;
        List<String> shas = new ArrayList<>();
        for (String line : Files.readAllLines(OUT)) {
            Matcher m;
            if ((m = head.matcher(line)).find()) {
                tag = m.group(1);
                level = Integer.parseInt(m.group(2));
                Matcher l = Pattern.compile("--layout=(\\S+)").matcher(m.group(3));
                layout = l.find() ? l.group(1) : null;
                shas = new ArrayList<>();
            } else if ((m = array.matcher(line)).find()) {
                blocks = Long.parseLong(m.group(1));
                pattern = m.group(2);
            } else if ((m = member.matcher(line)).find()) {
                shas.add(m.group(1));
                if (shas.size() == DISKS) {
                    out.add(new MdLayoutsRecorded(tag, level, layout, blocks, pattern, List.copyOf(shas)));
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return tag;
    }

    /** The (first block, block count) ranges the script writes, in order. */
    public long[][] writes() {
        return new long[][] {{0, 256}, {1283, 256}, {blocks - 64, 64}};
    }

    /** The script's pattern for blocks [first, first + count): per sector 16 × "TAG blkNNNNNNN secS" padded. */
    public byte[] pattern(long first, int count) {
        byte[] b = new byte[count * 4096];
        for (int blk = 0; blk < count; blk++) {
            for (int s = 0; s < 8; s++) {
                String r = String.format("%s blk%07d sec%d", tag, first + blk, s);
                r = (r + "................................").substring(0, 31) + "\n";
                byte[] rec = r.getBytes(StandardCharsets.US_ASCII);
                for (int k = 0; k < 16; k++) {
                    System.arraycopy(rec, 0, b, blk * 4096 + s * 512 + k * 32, 32);
                }
            }
        }
        return b;
    }

    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
