package jdm.dm.targets;

import java.util.List;
import java.util.Map;

/** striped under the target contract: power-of-two and odd chunks, uneven leg offsets. */
class StripedTargetTest extends TargetContractTest {
    @Override
    protected String type() {
        return "striped";
    }

    @Override
    protected List<Geometry> geometries() {
        return List.of(new Geometry(1536, "3 64 8:0 0 8:1 100 8:2 7"), new Geometry(960, "2 24 8:3 0 8:0 3000"),
                new Geometry(40, "1 8 8:2 4000"));
    }

    @Override
    protected Map<String, String> badParams() {
        return Map.of(
                "1", "Not enough arguments",
                "0 8 8:0 0", "Invalid stripe count",
                "x 8 8:0 0", "Invalid stripe count",
                "2 0 8:0 0 8:1 0", "Invalid chunk_size",
                "3 8 8:0 0 8:1 0 8:2 0", "Target length not divisible by number of stripes",
                "2 24 8:0 0 8:1 0", "Target length not divisible by chunk size",
                "2 8 8:0 0", "Not enough destinations specified",
                "2 8 8:0 x 8:1 0", "Couldn't parse stripe destination",
                "2 8 8:0 0 8:9 0", "Couldn't parse stripe destination",
                "2 8 8:0 0 8:1 8000", "8:1 (disk1) too small for target");
    }

    @Override
    protected Data data() {
        return Data.STORES;
    }
}
