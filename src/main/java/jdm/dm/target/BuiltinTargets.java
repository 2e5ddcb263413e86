package jdm.dm.target;

import jdm.dm.TargetRegistry;

/** The targets jdm ships, one line each: what dm_register_target calls in each target module's init do. */
public final class BuiltinTargets {
    private BuiltinTargets() {
    }

    /** A registry with every built-in target type. */
    public static TargetRegistry registry() {
        TargetRegistry r = new TargetRegistry();
        r.register(LinearTarget.TYPE);
        r.register(StripedTarget.TYPE);
        r.register(ZeroTarget.TYPE);
        r.register(ErrorTarget.TYPE);
        return r;
    }
}
