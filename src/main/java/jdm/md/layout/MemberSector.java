package jdm.md.layout;

/** A sector of one member's data area: the member's role (0-based slot) and the sector from its data offset. */
public record MemberSector(int member, long sector) {
    public MemberSector {
        if (member < 0 || sector < 0) {
            throw new IllegalArgumentException("member " + member + ", sector " + sector);
        }
    }
}
