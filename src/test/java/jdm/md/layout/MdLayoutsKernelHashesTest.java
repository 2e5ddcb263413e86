package jdm.md.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import jdm.testing.MdLayoutsRecorded;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The 13 arrays of the oracle's md-layouts.sh rebuilt in memory: four zeroed 16 MiB members (data area = sectors
 * 2048 to the end, 30720 sectors), the script's pattern written at array blocks 0-255, 1283-1538 and the last 64
 * through the layout, parity/syndrome computed for every stripe (untouched stripes stay zero, as --assume-clean
 * on zeroed members leaves them); each member's data-area sha256 must equal what Linux 6.1 left
 * (../shared/oracle/examples/md-layouts.out).
 */
class MdLayoutsKernelHashesTest {
    private static final int DISKS = 4;
    private static final int MEMBER_SECTORS = 30720;
    private static final int CHUNK = 128;            // 64 KiB
    private static final int SECTOR = 512;

    static Stream<MdLayoutsRecorded> arrays() throws IOException {
        List<MdLayoutsRecorded> out = MdLayoutsRecorded.all();
        assertThat(out).as("arrays in " + MdLayoutsRecorded.OUT).hasSize(13);
        return out.stream();
    }

    /** Where one array sector's bytes go: every member copy (data only, parity is added afterwards). */
    interface Mapper {
        MemberSector[] place(long arraySector);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("arrays")
    void memberDataAreasMatchTheKernel(MdLayoutsRecorded r) throws Exception {
        byte[][] members = new byte[DISKS][MEMBER_SECTORS * SECTOR];
        long arraySectors;
        Mapper mapper;
        StripedParityLayout parity = null;
        switch (r.level()) {
            case 0 -> {
                Raid0Layout l = new Raid0Layout(DISKS, CHUNK, MEMBER_SECTORS);
                arraySectors = l.arraySectors();
                mapper = s -> new MemberSector[] {l.map(s)};
            }
            case 1 -> {
                Raid1Layout l = new Raid1Layout(DISKS, MEMBER_SECTORS);
                arraySectors = l.arraySectors();
                mapper = l::copies;
            }
            case 4, 5, 6 -> {
                ParityAlgorithm a = r.layout() == null ? ParityAlgorithm.LEFT_SYMMETRIC
                        : ParityAlgorithm.ofName(r.layout());
                StripedParityLayout l = new StripedParityLayout(r.level(), DISKS, CHUNK, a, MEMBER_SECTORS);
                arraySectors = l.arraySectors();
                mapper = s -> {
                    StripedParityLayout.Location loc = l.map(s);
                    return new MemberSector[] {new MemberSector(loc.member(), loc.memberSector())};
                };
                parity = l;
            }
            case 10 -> {
                Raid10Layout l = new Raid10Layout(DISKS, Raid10Layout.layoutWord(r.layout()), CHUNK, MEMBER_SECTORS);
                arraySectors = l.arraySectors();
                mapper = l::copies;
            }
            default -> throw new AssertionError("level " + r.level());
        }
        assertThat(arraySectors / 8).as("array size md chose").isEqualTo(r.blocks());

        ByteArrayOutputStream written = new ByteArrayOutputStream();
        long[][] writes = {{0, 256}, {1283, 256}, {r.blocks() - 64, 64}};
        for (long[] w : writes) {
            for (long blk = w[0]; blk < w[0] + w[1]; blk++) {
                byte[] data = r.pattern(blk, 1);
                written.write(data);
                for (int s = 0; s < 8; s++) {
                    for (MemberSector ms : mapper.place(blk * 8 + s)) {
                        System.arraycopy(data, s * SECTOR, members[ms.member()], (int) (ms.sector() * SECTOR),
                                SECTOR);
                    }
                }
            }
        }
        assertThat(sha256(written.toByteArray())).as("the script's pattern").isEqualTo(r.patternSha());

        if (parity != null) {
            int len = CHUNK * SECTOR;
            for (long stripe = 0; stripe < parity.stripes(); stripe++) {
                int off = (int) (stripe * len);
                int[] order = parity.syndromeOrder(stripe);
                byte[][] data = new byte[order.length][];
                int[] offs = new int[order.length];
                for (int z = 0; z < order.length; z++) {
                    data[z] = members[order[z]];
                    offs[z] = off;
                }
                int q = parity.qMember(stripe);
                Parity.syndrome(data, offs, len, members[parity.parityMember(stripe)], off,
                        q < 0 ? null : members[q], off);
            }
        }

        List<String> got = new ArrayList<>();
        for (byte[] m : members) {
            got.add(sha256(m));
        }
        assertThat(got).as(r.tag() + ": member data-area sha256, vda..vdd").isEqualTo(r.memberShas());
    }

    private static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
