package jdm.testing;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import jdm.block.BlockDevice;
import jdm.block.DeviceProvider;
import jdm.block.HeldDevice;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit extension that wraps devices in {@link CheckingDevice}s and asserts after each test that all of them are
 * quiescent: no contract violation, no bio left un-ended. Register it as an instance field:
 * {@code @RegisterExtension final DeviceChecks checks = new DeviceChecks();}.
 */
public final class DeviceChecks implements AfterEachCallback {
    private final List<CheckingDevice> devices = new CopyOnWriteArrayList<>();

    /** Wraps dev in a checking device that this extension checks after the test. */
    public CheckingDevice wrap(BlockDevice dev) {
        CheckingDevice c = new CheckingDevice(dev);
        devices.add(c);
        return c;
    }

    /**
     * A provider that resolves words through inner and hands out each device behind a checking wrapper (one wrapper
     * per device, however often it is held), so every bio a stacking layer sends to a lower device is checked.
     */
    public DeviceProvider wrapping(DeviceProvider inner) {
        Map<BlockDevice, CheckingDevice> wrappers = new IdentityHashMap<>();
        return (word, cwd, readOnly) -> {
            HeldDevice held = inner.acquire(word, cwd, readOnly);
            if (held == null) {
                return null;
            }
            CheckingDevice checked;
            synchronized (wrappers) {
                checked = wrappers.computeIfAbsent(held.device(), this::wrap);
            }
            return HeldDevice.of(checked, held.major(), held.minor(), held::close);
        };
    }

    /** Every device wrapped so far. */
    public List<CheckingDevice> devices() {
        return List.copyOf(devices);
    }

    /** Asserts every wrapped device quiescent now; the first failure is thrown with the others suppressed. */
    public void assertQuiescent() {
        AssertionError first = null;
        for (CheckingDevice d : devices) {
            try {
                d.assertQuiescent();
            } catch (AssertionError e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            assertQuiescent();
        } finally {
            devices.clear();
        }
    }
}
