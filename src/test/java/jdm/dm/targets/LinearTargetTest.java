package jdm.dm.targets;

import java.util.List;
import java.util.Map;

/** linear under the target contract. */
class LinearTargetTest extends TargetContractTest {
    @Override
    protected String type() {
        return "linear";
    }

    @Override
    protected List<Geometry> geometries() {
        return List.of(new Geometry(1024, "8:0 100"), new Geometry(512, "8:1 0"), new Geometry(777, "8:0 5000"));
    }

    @Override
    protected Map<String, String> badParams() {
        return Map.of(
                "", "Invalid argument count",
                "8:0", "Invalid argument count",
                "8:0 0 0", "Invalid argument count",
                "8:0 x", "Invalid device sector",
                "8:0 -1", "Invalid device sector",
                "8:9 0", "Device lookup failed",
                "8:0 8000", "8:0 (disk0) too small for target");
    }

    @Override
    protected Data data() {
        return Data.STORES;
    }
}
