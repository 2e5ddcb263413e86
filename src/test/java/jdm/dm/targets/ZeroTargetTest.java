package jdm.dm.targets;

import java.util.List;
import java.util.Map;

/** zero under the target contract. */
class ZeroTargetTest extends TargetContractTest {
    @Override
    protected String type() {
        return "zero";
    }

    @Override
    protected List<Geometry> geometries() {
        return List.of(new Geometry(1000, ""), new Geometry(24, ""));
    }

    @Override
    protected Map<String, String> badParams() {
        return Map.of("8:0", "No arguments required", "0", "No arguments required");
    }

    @Override
    protected Data data() {
        return Data.READS_ZEROS;
    }
}
