package jdm.daemon;

import java.util.ArrayList;
import java.util.List;
import jdm.block.BlockDevice;
import jdm.dm.DeviceNamespace;
import jdm.dm.MappedDevice;
import jdm.md.MdArray;
import jdm.md.MdArrays;
import jdm.md.Mddev;
import jdm.nbd.Export;
import jdm.nbd.ExportUnavailableException;
import jdm.nbd.Exports;

/**
 * The mapped devices and the running md arrays as NBD exports: export name = device name ("md0" for arrays). The
 * empty (default) name picks the only device when there is exactly one. Each connection counts as an opener of
 * its device, so "dmsetup info" shows it in the open count and "dmsetup remove" (or "mdadm --stop") refuses a
 * device a client still has open, as the kernel does.
 */
final class DmExports implements Exports {
    private final DeviceNamespace namespace;
    private final MdArrays arrays;

    DmExports(DeviceNamespace namespace) {
        this(namespace, null);
    }

    DmExports(DeviceNamespace namespace, MdArrays arrays) {
        this.namespace = namespace;
        this.arrays = arrays;
    }

    private List<MdArray> running() {
        List<MdArray> out = new ArrayList<>();
        if (arrays != null) {
            for (MdArray a : arrays.list()) {
                if (a.mddev() != null) {
                    out.add(a);
                }
            }
        }
        return out;
    }

    @Override
    public List<String> names() {
        List<String> names = new ArrayList<>(namespace.list().stream().map(MappedDevice::name).toList());
        running().forEach(a -> names.add(a.name()));
        return names;
    }

    @Override
    public Export open(String name) throws ExportUnavailableException {
        MappedDevice md;
        if (name.isEmpty()) {
            List<MappedDevice> all = namespace.list();
            List<MdArray> mds = running();
            if (all.size() + mds.size() != 1) {
                throw new ExportUnavailableException("no default export: " + (all.size() + mds.size())
                        + " devices; ask for one by name (nbd+unix:///NAME?socket=...)");
            }
            if (!mds.isEmpty()) {
                return array(mds.getFirst());
            }
            md = all.getFirst();
        } else {
            md = namespace.find(name);
            if (md == null) {
                MdArray a = arrays == null ? null : arrays.find(name);
                if (a != null) {
                    return array(a);
                }
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

    private static Export array(MdArray a) throws ExportUnavailableException {
        Mddev dev = a.mddev();
        if (dev == null) {
            throw new ExportUnavailableException("array " + a.name() + " is not running");
        }
        a.open();
        return new Export() {
            @Override
            public String name() {
                return a.name();
            }

            @Override
            public BlockDevice device() {
                return dev;
            }

            @Override
            public String description() {
                return "jdm md array " + a.name() + " (9:" + a.minor() + ")";
            }

            @Override
            public void close() {
                a.release();
            }
        };
    }
}
