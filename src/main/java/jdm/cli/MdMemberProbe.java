package jdm.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneId;
import java.util.List;

/**
 * mdadm's check_raid before --create: whether a member already holds a v1.x md superblock (v1.2 at 4 KiB, v1.1 at
 * the start, v1.0 8 KiB before the end, 4 KiB aligned), and the lines mdadm prints about the array it belonged to.
 * Only the superblock's magic, major version, ctime, level and raid_disks are read (struct mdp_superblock_1).
 */
final class MdMemberProbe implements MdadmRun.MemberProbe {
    private static final int MD_SB_MAGIC = 0xa92b4efc;

    private final ZoneId zone;

    MdMemberProbe(ZoneId zone) {
        this.zone = zone;
    }

    @Override
    public List<String> oldArray(Path member) {
        try (FileChannel ch = FileChannel.open(member, StandardOpenOption.READ)) {
            long size = ch.size();
            long[] offsets = {4096, 0, ((size >> 9) - 16 & ~7L) << 9};
            for (long off : offsets) {
                if (off < 0 || off + 256 > size) {
                    continue;
                }
                ByteBuffer sb = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
                while (sb.hasRemaining() && ch.read(sb, off + sb.position()) > 0) {
                    // read the superblock's first 256 bytes
                }
                if (sb.getInt(0) == MD_SB_MAGIC && sb.getInt(4) == 1) {
                    long ctime = sb.getLong(64) & 0xffffffffffL;
                    int level = sb.getInt(72);
                    int raidDisks = sb.getInt(92);
                    String name = MdadmMaps.mapNum(MdadmMaps.PERS, level);
                    return List.of(" appears to be part of a raid array:",
                            "       level=" + (name == null ? "-unknown-" : name) + " devices=" + raidDisks
                                    + " ctime=" + MdDetailFormat.ctime(ctime, zone));
                }
            }
        } catch (IOException | RuntimeException e) {
            // mdadm reports members it cannot open when it adds them; the daemon does that here
        }
        return List.of();
    }
}
