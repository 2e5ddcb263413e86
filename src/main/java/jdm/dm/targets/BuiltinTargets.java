package jdm.dm.targets;

import jdm.dm.TargetRegistry;

/** The targets jdm ships, one line each: what dm_register_target calls in each target module's init do. */
public final class BuiltinTargets {
    private BuiltinTargets() {
    }

    /** A registry with every built-in target type. */
    public static TargetRegistry registry() {
        TargetRegistry r = new TargetRegistry();
        // the kernel's order: dm_init registers error, linear, striped; dm-zero loads later
        r.register(ErrorTarget.TYPE);
        r.register(LinearTarget.TYPE);
        r.register(StripedTarget.TYPE);
        r.register(ZeroTarget.TYPE);
        r.register(DelayTarget.TYPE);
        r.register(FlakeyTarget.TYPE);
        r.register(DustTarget.TYPE);
        r.register(LogWritesTarget.TYPE);
        return r;
    }
}
