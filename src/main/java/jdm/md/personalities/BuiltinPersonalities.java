package jdm.md.personalities;

import jdm.md.PersonalityRegistry;
import jdm.md.linear.Linear;
import jdm.md.raid0.Raid0;
import jdm.md.raid1.Raid1;
import jdm.md.raid10.Raid10;
import jdm.md.raid456.Raid456;

/** The personalities jdm ships, one line each: what register_md_personality in each module's init does. */
public final class BuiltinPersonalities {
    private BuiltinPersonalities() {
    }

    /** A registry with every built-in personality. */
    public static PersonalityRegistry registry() {
        PersonalityRegistry r = new PersonalityRegistry();
        r.register(Linear.TYPE);
        r.register(Raid0.TYPE);
        r.register(Raid1.TYPE);
        r.register(Raid456.TYPE);
        r.register(Raid10.TYPE);
        return r;
    }
}
