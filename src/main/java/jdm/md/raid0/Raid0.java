package jdm.md.raid0;

import jdm.block.BlkStatus;
import jdm.block.Bio;
import jdm.md.Mddev;
import jdm.md.MdException;
import jdm.md.Personality;
import jdm.md.PersonalityType;
import jdm.md.Rdev;
import jdm.md.layout.MemberSector;
import jdm.md.layout.Raid0Layout;

/**
 * raid0 (drivers/md/raid0.c): striping over zones with no redundancy. A bio is split at chunk boundaries
 * (raid0_make_request's bio_split at chunk_sects) and each piece remapped to its member by {@link Raid0Layout}. A
 * member error just fails the I/O: raid0 has nothing to fail over to.
 */
public final class Raid0 implements Personality {
    public static final PersonalityType TYPE = new PersonalityType("raid0", 0, Raid0::run);

    private final Mddev mddev;
    private final Rdev[] members;
    private final Raid0Layout layout;
    private final int chunkSectors;

    private Raid0(Mddev mddev, Rdev[] members, Raid0Layout layout) {
        this.mddev = mddev;
        this.members = members;
        this.layout = layout;
        this.chunkSectors = mddev.geometry().chunkSectors();
    }

    private static Personality run(Mddev mddev) throws MdException {
        var g = mddev.geometry();
        if (g.chunkSectors() < 8 || Integer.bitCount(g.chunkSectors()) != 1) {
            throw MdException.invalid("md/raid0:" + mddev.name() + ": chunk_size of " + g.chunkSectors() * 512
                    + " not valid");
        }
        Rdev[] members = new Rdev[g.raidDisks()];
        long[] sizes = new long[g.raidDisks()];
        for (int role = 0; role < members.length; role++) {
            members[role] = mddev.rdev(role);
            if (members[role] == null) {
                throw MdException.invalid("md/raid0:" + mddev.name() + ": too few disks (" + present(members, role)
                        + " of " + g.raidDisks() + ") - aborting!");
            }
            sizes[role] = members[role].sectors();
        }
        int zoneLayout = g.layout() == 0 ? Raid0Layout.ALT_MULTIZONE_LAYOUT : g.layout();
        return new Raid0(mddev, members, new Raid0Layout(g.chunkSectors(), zoneLayout, sizes));
    }

    private static int present(Rdev[] members, int upTo) {
        int n = 0;
        for (int i = 0; i < upTo; i++) {
            n += members[i] != null ? 1 : 0;
        }
        return n;
    }

    @Override
    public long arraySectors() {
        return layout.arraySectors();
    }

    @Override
    public void makeRequest(Bio bio) {
        long sector = bio.sector();
        int done = 0;
        while (done < bio.sectors()) {
            int inChunk = (int) ((sector + done) & (chunkSectors - 1));
            int n = Math.min(bio.sectors() - done, chunkSectors - inChunk);
            MemberSector ms = layout.map(sector + done);
            Rdev r = members[ms.member()];
            bio.chain();
            Bio piece = bio.clone(done, n, b -> {
                if (b.status() != BlkStatus.OK) {
                    mddev.error(r);
                }
                bio.endio(b.status());
            });
            r.remap(piece, ms.sector());
            piece.submit();
            done += n;
        }
        bio.endio(BlkStatus.OK);
    }

    @Override
    public boolean error(Rdev rdev) {
        return false;
    }

    @Override
    public int degraded() {
        return 0;
    }

    @Override
    public String status() {
        return chunkSectors / 2 + "k chunks";
    }
}
