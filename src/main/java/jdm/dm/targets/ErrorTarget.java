package jdm.dm.targets;

import java.util.Set;
import jdm.block.Bio;
import jdm.dm.MapResult;
import jdm.dm.StatusType;
import jdm.dm.Target;
import jdm.dm.TargetArgs;
import jdm.dm.TargetType;

/**
 * error: every read, write and discard fails with EIO; useful for holes in volumes and for fault tests
 * (drivers/md/dm-target.c's io_err). Arguments are ignored, as in the kernel. Status INFO and TABLE are empty.
 *
 * <pre>error</pre>
 */
public final class ErrorTarget implements Target {
    public static final TargetType TYPE = new TargetType("error", new int[] {1, 5, 0},
            Set.of(TargetType.Feature.WILDCARD), ErrorTarget::create); // may replace an immutable target

    static Target create(TargetArgs args) {
        return new ErrorTarget();
    }

    @Override
    public MapResult map(Bio bio) {
        return MapResult.KILL;
    }

    @Override
    public void status(StatusType type, StringBuilder out) {
    }

    @Override
    public int numFlushBios() {
        return 0;
    }

    @Override
    public int numWriteZeroesBios() {
        return 0;
    }
}
