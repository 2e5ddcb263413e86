package jdm.daemon;

import java.util.List;
import jdm.block.BlockDevice;
import jdm.dm.DeviceNamespace;
import jdm.dm.MappedDevice;
import jdm.nbd.Export;
import jdm.nbd.ExportUnavailableException;
import jdm.nbd.Exports;

/**
 * The mapped devices as NBD exports: export name = device name. The empty (default) name picks the only device
 * when there is exactly one. Each connection counts as an opener of its device, so "dmsetup info" shows it in the
 * open count and "dmsetup remove" refuses a device a client still has open, as the kernel does.
 */
final class DmExports implements Exports {
    private final DeviceNamespace namespace;

    DmExports(DeviceNamespace namespace) {
        this.namespace = namespace;
    }

    @Override
    public List<String> names() {
        return namespace.list().stream().map(MappedDevice::name).toList();
    }

    @Override
    public Export open(String name) throws ExportUnavailableException {
        MappedDevice md;
        if (name.isEmpty()) {
            List<MappedDevice> all = namespace.list();
            if (all.size() != 1) {
                throw new ExportUnavailableException("no default export: " + all.size()
                        + " devices; ask for one by name (nbd+unix:///NAME?socket=...)");
            }
            md = all.getFirst();
        } else {
            md = namespace.find(name);
            if (md == null) {
                throw new ExportUnavailableException("no device named \"" + name + "\"");
            }
        }
        if (md.liveTable() == null) {
            throw new ExportUnavailableException("device " + md.name() + " has no live table");
        }
        md.open();
        MappedDevice dev = md;
        return new Export() {
            @Override
            public String name() {
                return dev.name();
            }

            @Override
            public BlockDevice device() {
                return dev;
            }

            @Override
            public String description() {
                return "jdm mapped device " + dev.name() + " (" + dev.devt() + ")";
            }

            @Override
            public void close() {
                dev.release();
            }
        };
    }
}
