package jdm.testing;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jdm.block.BlockDevice;
import jdm.block.DeviceProvider;
import jdm.block.HeldDevice;

/**
 * A device provider over devices a test made (memory disks, faulty disks): table words "major:minor" name them, so
 * tables read as they would on Linux ("8:0" for a SCSI disk). Holding is not counted; the test owns the devices.
 */
public final class TestDisks implements DeviceProvider {
    private final Map<String, BlockDevice> byWord = new ConcurrentHashMap<>();

    /** Makes word ("major:minor") name dev; returns dev. */
    public <D extends BlockDevice> D add(String word, D dev) {
        int colon = word.indexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException("a test disk is named major:minor, not " + word);
        }
        Integer.parseInt(word.substring(0, colon));
        Integer.parseInt(word.substring(colon + 1));
        byWord.put(word, dev);
        return dev;
    }

    @Override
    public HeldDevice acquire(String word, Path cwd, boolean readOnly) {
        BlockDevice dev = byWord.get(word);
        if (dev == null) {
            return null;
        }
        int colon = word.indexOf(':');
        int major = Integer.parseInt(word.substring(0, colon));
        int minor = Integer.parseInt(word.substring(colon + 1));
        return HeldDevice.of(dev, major, minor, () -> { });
    }
}
