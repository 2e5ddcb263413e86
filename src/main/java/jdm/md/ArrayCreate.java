package jdm.md;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import jdm.block.BlkStatus;
import jdm.block.Errno;
import jdm.block.HeldDevice;
import jdm.md.sb.MdadmCreate;
import jdm.md.sb.Superblock1;

/**
 * mdadm --create: the superblocks mdadm 4.2 writes ({@link MdadmCreate}, one per listed device, "missing" leaving a
 * role empty), then the array started from them as an assemble would (initial resync unless --assume-clean, or
 * recovery onto the spare mdadm makes of a raid5's last device).
 */
public final class ArrayCreate {
    /**
     * What --create was asked: level, layout (-1: the level's default), chunk in sectors (0: default), the raid and
     * spare device counts (spares -1: the rest of the list), bitmap (null: mdadm's choice), homehost (null: this
     * host), arrayName (the --name; null: from the device name), uuid (null: random), sizeKib (-1: all), devices.
     */
    public record Spec(String name, int level, int layout, int chunkSectors, int raidDevices, int spareDevices,
            Boolean internalBitmap, boolean assumeClean, boolean run, String homehost, String arrayName,
            byte[] uuid, long sizeKib, List<String> devices, Path cwd) {
    }

    private ArrayCreate() {
    }

    public static ArrayAssemble.Outcome create(MdArrays arrays, Spec s) throws MdException, InterruptedException {
        String dev = ArrayAssemble.devName(s.name());
        MdArrays.ArrayName n = arrays.parse(s.name());
        if (n == null) {
            throw MdException.invalid("mdadm: " + s.name() + " is an invalid name for an md device."
                    + "  Try /dev/md/" + s.name());
        }
        if (arrays.find(s.name()) != null) {
            throw MdException.busy("mdadm: " + dev + " is already in use.");
        }
        int listed = s.devices().size();
        int spares = s.spareDevices() < 0 ? 0 : s.spareDevices();
        if (s.raidDevices() + spares < listed) {
            throw MdException.invalid("mdadm: You have listed more devices (" + listed + ") than are in the array("
                    + (s.raidDevices() + spares) + ")!");
        }
        if (s.raidDevices() + spares > listed) {
            throw MdException.invalid("mdadm: You haven't given enough devices (real or missing) to create this"
                    + " array");
        }
        List<HeldDevice> held = new ArrayList<>();
        List<ArrayAssemble.Candidate> candidates = new ArrayList<>();
        try {
            long[] sectors = new long[listed];
            for (int i = 0; i < listed; i++) {
                String path = s.devices().get(i);
                if (path.equals("missing")) {
                    held.add(null);
                    sectors[i] = MdadmCreate.MISSING;
                    continue;
                }
                HeldDevice h = ArrayAssemble.acquire(arrays, path, s.cwd());
                held.add(h);
                sectors[i] = h.device().sizeSectors();
            }
            String arrayName = s.arrayName() != null ? s.arrayName()
                    : n.named() != null ? n.named() : String.valueOf(n.minor());
            String homehost = s.homehost() != null ? s.homehost() : hostname();
            boolean bitmap = s.internalBitmap() != null ? s.internalBitmap() : false;
            MdadmCreate.Plan plan;
            try {
                plan = MdadmCreate.plan(new MdadmCreate.Request(s.level(), s.layout(), s.chunkSectors(),
                        s.raidDevices(), bitmap, homehost, arrayName, s.uuid(), s.assumeClean()), sectors,
                        System.currentTimeMillis() / 1000, 0, new SecureRandom());
            } catch (IllegalArgumentException e) {
                String m = e.getMessage();
                throw MdException.invalid(m.startsWith("mdadm: ") ? m : "mdadm: " + m);
            }
            for (int i = 0; i < listed; i++) {
                Superblock1 sb = plan.superblocks().get(i);
                HeldDevice h = held.get(i);
                if (sb == null || h == null) {
                    continue;
                }
                if (s.sizeKib() > 0) {
                    long want = s.sizeKib() * 2;
                    if (want > sb.dataSize()) {
                        throw new MdException(Errno.ENOSPC, "mdadm: " + s.devices().get(i) + " is smaller than"
                                + " given size. " + sb.dataSize() / 2 + "K < " + s.sizeKib() + "K + metadata");
                    }
                    sb.setSize(want);
                }
                if (SuperblockIo.write(h.device(), sb) != BlkStatus.OK) {
                    throw new MdException(Errno.EIO, "mdadm: Failed to write metadata to " + s.devices().get(i));
                }
                candidates.add(new ArrayAssemble.Candidate(h, s.devices().get(i), sb));
                held.set(i, null);
            }
            List<ArrayAssemble.Candidate> taken = new ArrayList<>(candidates);
            candidates.clear();
            ArrayAssemble.Outcome o = ArrayAssemble.start(arrays, s.name(), taken, true, false, false,
                    plan.bitmap());
            List<String> messages = new ArrayList<>();
            if (o.started()) {
                messages.add("mdadm: array " + dev + " started.");
            } else {
                messages.addAll(o.messages());
            }
            return new ArrayAssemble.Outcome(o.array(), o.started(), messages);
        } finally {
            for (HeldDevice h : held) {
                if (h != null) {
                    h.close();
                }
            }
            for (ArrayAssemble.Candidate c : candidates) {
                c.held().close();
            }
        }
    }

    /** The host's name, as mdadm's homehost default (gethostname). */
    static String hostname() {
        try {
            String h = Files.readString(Path.of("/etc/hostname")).trim();
            if (!h.isEmpty()) {
                return h;
            }
        } catch (java.io.IOException e) {
            // fall back below
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
