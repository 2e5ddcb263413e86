package jdm.dm.targets;

import java.util.List;
import java.util.Map;

/** error under the target contract: any parameters are accepted (the kernel's error target ignores them). */
class ErrorTargetTest extends TargetContractTest {
    @Override
    protected String type() {
        return "error";
    }

    @Override
    protected List<Geometry> geometries() {
        return List.of(new Geometry(1000, ""), new Geometry(24, ""));
    }

    @Override
    protected Map<String, String> badParams() {
        return Map.of();
    }

    @Override
    protected Data data() {
        return Data.FAILS;
    }
}
