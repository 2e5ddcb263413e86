package jdm.control;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneId;
import jdm.md.sb.BitmapSuper;
import jdm.md.sb.Examine;
import jdm.md.sb.Superblock1;

/**
 * "mdadm --examine FILE": the text mdadm prints for a member's superblock, read from the file itself (no daemon),
 * as Examine.c does: the v1.x superblock where it is found (1.2 at 4 KiB, 1.1 at the start, 1.0 near the end), its
 * bitmap superblock when the superblock has one, jdm.md.sb's rendering. Lives beside the client because the front
 * end may only use the control layer.
 */
public final class MdExamine {
    private MdExamine() {
    }

    /**
     * What mdadm --examine prints for the file; an IOException carries mdadm's message for a file it cannot open
     * or that holds no superblock.
     *
     * @param shownAs the name as given on the command line (mdadm prints that)
     * @param homehost the host "(local to host H)" is printed for, or null
     */
    public static String examine(Path file, String shownAs, String homehost, ZoneId zone) throws IOException {
        Loaded l = load(file, shownAs);
        if (l == null) {
            throw new IOException("mdadm: No md superblock detected on " + shownAs + ".");
        }
        return Examine.render(shownAs, l.sb(), l.bitmap(), l.sectors(), homehost, zone);
    }

    /** A member's superblock as --examine --brief groups it (brief_examine_super1, getinfo_super1). */
    public record Brief(String uuid, long ctime, int level, int layout, int chunkSectors, int raidDisks,
                        String name, String metadata, boolean spare, int devNumber, long superOffset) {
        /** Whether two members belong to one array (compare_super1: the array's constant fields). */
        public boolean sameArray(Brief o) {
            return uuid.equals(o.uuid) && ctime == o.ctime && level == o.level && layout == o.layout
                    && chunkSectors == o.chunkSectors && raidDisks == o.raidDisks;
        }
    }

    /**
     * The member's array for --examine --brief, or null when the file holds no superblock; an IOException with
     * mdadm's message when it cannot be opened.
     */
    public static Brief brief(Path file, String shownAs) throws IOException {
        Loaded l = load(file, shownAs);
        if (l == null) {
            return null;
        }
        Superblock1 sb = l.sb();
        long at = sb.superOffset();
        int role = sb.ownRole();
        boolean spare = role == Superblock1.ROLE_SPARE || role == Superblock1.ROLE_FAULTY
                || (sb.featureMap() & Superblock1.FEATURE_REPLACEMENT) != 0;
        return new Brief(Superblock1.formatUuid(sb.uuid()), sb.ctime(), sb.level(), sb.layout(), sb.chunkSize(),
                sb.raidDisks(), sb.name(), at <= 4 ? "1.1" : at <= 8 ? "1.2" : "1.0", spare, sb.devNumber(), at);
    }

    private record Loaded(Superblock1 sb, BitmapSuper bitmap, long sectors) {
    }

    private static Loaded load(Path file, String shownAs) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException("mdadm: cannot open " + shownAs + ": Invalid argument");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long sectors = size >> 9;
            long[] superOffsets = {8, 0, (sectors - 8 * 2) & ~7L}; // 1.2, 1.1, 1.0 (super1.c load_super1)
            for (long at : superOffsets) {
                if (at < 0 || (at << 9) + Superblock1.MAX_SB_BYTES > size) {
                    continue;
                }
                ByteBuffer block = read(ch, at << 9, Superblock1.MAX_SB_BYTES);
                if (block.getInt(0) != Superblock1.MAGIC || block.getInt(4) != Superblock1.MAJOR_VERSION) {
                    continue;
                }
                Superblock1 sb = Superblock1.read(block);
                if (sb.superOffset() != at) {
                    continue; // a superblock of another placement (mdadm's load_super1 checks super_offset)
                }
                BitmapSuper bitmap = null;
                if ((sb.featureMap() & Superblock1.FEATURE_BITMAP_OFFSET) != 0) {
                    long bmAt = (at + sb.bitmapOffset()) << 9;
                    if (bmAt >= 0 && bmAt + BitmapSuper.BYTES <= size) {
                        bitmap = BitmapSuper.read(read(ch, bmAt, BitmapSuper.BYTES));
                    }
                    if (bitmap == null || bitmap.magic() != BitmapSuper.MAGIC
                            || !java.util.Arrays.equals(bitmap.uuid(), sb.uuid())) {
                        // load_super1 drops the bitmap feature of the superblock it holds in memory, so the
                        // checksum mdadm then computes no longer matches the one on disk ("expected X-1")
                        sb.setFeatureMap(sb.featureMap() & ~Superblock1.FEATURE_BITMAP_OFFSET);
                        bitmap = null;
                    }
                }
                return new Loaded(sb, bitmap, sectors);
            }
            return null;
        } catch (NoSuchFileException e) {
            throw new IOException("mdadm: cannot open " + shownAs + ": No such file or directory", e);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IOException("mdadm: cannot open " + shownAs + ": Permission denied", e);
        }
    }

    private static ByteBuffer read(FileChannel ch, long at, int bytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                break;
            }
        }
        return b.flip().order(ByteOrder.LITTLE_ENDIAN);
    }
}
