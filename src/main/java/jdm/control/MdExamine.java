package jdm.control;

import java.io.IOException;
import java.nio.file.Path;

/**
 * "mdadm --examine FILE": the text mdadm prints for a member's superblock, read from the file itself (no daemon).
 * Lives beside the client because the front end may only use the control layer; the superblock codec and the
 * text are jdm.md.sb's.
 */
public final class MdExamine {
    private MdExamine() {
    }

    /** What mdadm --examine prints for the file, or an IOException carrying mdadm's message for it. */
    public static String examine(Path file, String shownAs) throws IOException {
        throw new IOException("mdadm: --examine is not available yet in this build (needs jdm.md.sb)");
    }
}
