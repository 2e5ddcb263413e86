package jdm.md.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The GF(2^8) arithmetic and the syndrome, checked against a byte-at-a-time reference. The kernel-hash test cannot
 * see the polynomial (its ASCII pattern never sets a byte's top bit), so it is pinned here: 0x11d, where 2
 * generates the whole multiplicative group (order 255), as lib/raid6's tables (raid6_gfexp) rely on.
 */
class MdLayoutsParityTest {
    @Test
    void mul2OfEveryByteIsTheFieldProductMod0x11d() {
        assertThat(Parity.gfMul(0x80, 2)).isEqualTo(0x1d);
        for (int b = 0; b < 256; b++) {
            long v = 0;
            for (int k = 0; k < 8; k++) {
                v |= (long) ((b + 37 * k) & 0xff) << (8 * k);
            }
            long got = Parity.mul2(v);
            for (int k = 0; k < 8; k++) {
                assertThat((int) (got >>> (8 * k)) & 0xff).isEqualTo(Parity.gfMul((b + 37 * k) & 0xff, 2));
            }
        }
    }

    @Test
    void twoGeneratesTheField() {
        int x = 1;
        for (int i = 1; i < 255; i++) {
            x = Parity.gfMul(x, 2);
            assertThat(x).as("2^" + i).isNotEqualTo(1);
        }
        assertThat(Parity.gfMul(x, 2)).as("2^255").isEqualTo(1);
    }

    @Test
    void syndromeIsXorAndTheWeightedSumOfTheSlots() {
        Random rnd = new Random(12);
        int n = 6;
        int len = 4096;
        byte[][] data = new byte[n][len + 64];
        int[] offs = new int[n];
        for (int z = 0; z < n; z++) {
            rnd.nextBytes(data[z]);
            offs[z] = 8 * z;
        }
        byte[] p = new byte[len + 16];
        byte[] q = new byte[len + 16];
        Parity.syndrome(data, offs, len, p, 8, q, 16);
        for (int i = 0; i < len; i++) {
            int wp = 0;
            int wq = 0;
            int g = 1;
            for (int z = 0; z < n; z++) {
                int d = data[z][offs[z] + i] & 0xff;
                wp ^= d;
                wq ^= Parity.gfMul(g, d);
                g = Parity.gfMul(g, 2);
            }
            assertThat(p[8 + i] & 0xff).isEqualTo(wp);
            assertThat(q[16 + i] & 0xff).isEqualTo(wq);
        }
        byte[] x = data[0].clone();
        Parity.xorInto(x, 0, data[1], 0, len);
        for (int i = 0; i < len; i++) {
            assertThat(x[i]).isEqualTo((byte) (data[0][i] ^ data[1][i]));
        }
    }

    @Test
    void raid6LeftSymmetricPutsQAfterPAndDataAfterQInSlotOrder() {
        StripedParityLayout l = new StripedParityLayout(6, 5, 128, ParityAlgorithm.LEFT_SYMMETRIC, 128 * 10);
        for (long s = 0; s < 10; s++) {
            int p = l.parityMember(s);
            assertThat(p).isEqualTo(4 - (int) (s % 5));
            assertThat(l.qMember(s)).isEqualTo((p + 1) % 5);
            for (int d = 0; d < 3; d++) {
                assertThat(l.syndromeOrder(s)[d]).isEqualTo(l.dataMember(s, d));
            }
        }
    }

    @Test
    void raid10FarCopiesSitHalfAMemberLaterOnTheNextMember() {
        Raid10Layout f2 = new Raid10Layout(4, Raid10Layout.layoutWord("f2"), 128, 30720);
        assertThat(f2.arraySectors()).isEqualTo(61440);
        assertThat(f2.copies(0)).containsExactly(new MemberSector(0, 0), new MemberSector(1, 15360));
        assertThat(f2.copies(3 * 128 + 5)).containsExactly(new MemberSector(3, 5), new MemberSector(0, 15365));
        Raid10Layout o2 = new Raid10Layout(4, Raid10Layout.layoutWord("o2"), 128, 30720);
        assertThat(o2.copies(5 * 128)).containsExactly(new MemberSector(1, 256), new MemberSector(2, 384));
        Raid10Layout n2 = new Raid10Layout(4, Raid10Layout.layoutWord("n2"), 128, 30720);
        assertThat(n2.copies(3 * 128)).containsExactly(new MemberSector(2, 128), new MemberSector(3, 128));
    }
}
