package jdm.block.dev;

import java.nio.file.Path;
import jdm.block.BlockDevice;
import jdm.block.DeviceException;
import jdm.block.DeviceProvider;
import jdm.block.Errno;
import jdm.block.HeldDevice;

/**
 * RAM disks as the kernel's brd driver makes them (drivers/block/brd.c): {@code count} sparse memory devices of
 * {@code sizeBytes} each, named {@code /dev/ramN} and numbered 1:N, there from start to stop, zero-filled, their
 * pages allocated on first write. brd's module parameters are rd_nr (count) and rd_size (KiB each); its defaults
 * are 16 disks of 4 MiB. For tables ("linear /dev/ram0 0") and benchmarks, as {@code nbdkit memory} is.
 */
public final class RamDisks implements DeviceProvider {
    /** The RAM disk major (RAMDISK_MAJOR). */
    public static final int MAJOR = 1;
    /** brd's defaults: CONFIG_BLK_DEV_RAM_COUNT disks of CONFIG_BLK_DEV_RAM_SIZE KiB. */
    public static final int DEFAULT_COUNT = 16;
    public static final long DEFAULT_SIZE_BYTES = 4096L << 10;

    private static final String PREFIX = "/dev/ram";

    private final MemoryDevice[] disks;

    public RamDisks(int count, long sizeBytes) {
        if (count < 0 || sizeBytes < 0 || sizeBytes % 512 != 0) {
            throw new IllegalArgumentException("RAM disks: count " + count + ", size " + sizeBytes
                    + " bytes (whole sectors)");
        }
        disks = new MemoryDevice[count];
        for (int i = 0; i < count; i++) {
            disks[i] = new MemoryDevice(PREFIX + i, sizeBytes >>> 9);
        }
    }

    public int count() {
        return disks.length;
    }

    /** The disk numbered 1:minor. */
    public BlockDevice disk(int minor) {
        return disks[minor];
    }

    @Override
    public HeldDevice acquire(String word, Path cwd, boolean readOnly) throws DeviceException {
        String number;
        if (word.startsWith(PREFIX)) {
            number = word.substring(PREFIX.length());
        } else if (word.startsWith(MAJOR + ":")) {
            number = word.substring(2);
        } else {
            return null;
        }
        int minor = parseMinor(number);
        if (minor < 0 && word.startsWith(PREFIX)) {
            return null; // /dev/ramfoo: not a RAM disk name; let a later provider judge the path
        }
        if (minor < 0 || minor >= disks.length) {
            // as a path that does not exist (ENODEV) or a number nobody has (ENXIO), like the other devices
            throw new DeviceException(word.startsWith(PREFIX) ? Errno.ENODEV : Errno.ENXIO,
                    "no RAM disk " + word + " (" + disks.length + " configured)");
        }
        MemoryDevice d = disks[minor];
        return HeldDevice.of(d, MAJOR, minor, () -> { }); // RAM disks live as long as the daemon: a hold counts nothing
    }

    private static int parseMinor(String s) {
        if (s.isEmpty() || s.length() > 9 || (s.length() > 1 && s.charAt(0) == '0')) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(s);
    }
}
