package jdm.md;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdm.block.BlkStatus;
import jdm.block.Errno;
import jdm.block.HeldDevice;
import jdm.md.sb.Superblock1;
import jdm.md.sb.SuperblockException;

/**
 * mdadm --manage (Manage.c) with the kernel's side (SET_DISK_FAULTY, HOT_REMOVE_DISK, ADD_NEW_DISK): fail,
 * remove, add, re-add and replace one member, with mdadm's messages.
 */
public final class ArrayManage {
    private ArrayManage() {
    }

    public static List<String> manage(MdArray a, String action, String device, String with, Path cwd)
            throws MdException, InterruptedException {
        String dev = "/dev/" + a.name();
        a.requireRunning();
        List<String> out = new ArrayList<>();
        switch (action) {
            case "fail" -> {
                MdMember m = find(a, device, cwd);
                if (m == null) {
                    throw new MdException(Errno.ENODEV, "mdadm: set device faulty failed for " + device + ":  "
                            + Errno.strerror(Errno.ENODEV));
                }
                try {
                    a.fail(m);
                } catch (MdException e) {
                    throw new MdException(Errno.EBUSY, "mdadm: set device faulty failed for " + device + ":  "
                            + Errno.strerror(Errno.EBUSY));
                }
                out.add("mdadm: set " + device + " faulty in " + dev);
            }
            case "remove" -> {
                List<MdMember> targets = new ArrayList<>();
                if (device.equals("failed") || device.equals("detached")) {
                    for (MdMember m : a.members()) {
                        if (m.rdev().faulty()) {
                            targets.add(m);
                        }
                    }
                } else {
                    MdMember m = find(a, device, cwd);
                    if (m == null) {
                        throw new MdException(Errno.ENODEV, "mdadm: hot remove failed for " + device + ": "
                                + Errno.strerror(Errno.ENODEV));
                    }
                    targets.add(m);
                }
                for (MdMember m : targets) {
                    String shown = device.equals("failed") || device.equals("detached") ? m.path() : device;
                    try {
                        a.remove(m);
                    } catch (MdException e) {
                        throw new MdException(Errno.EBUSY, "mdadm: hot remove failed for " + shown + ": "
                                + Errno.strerror(Errno.EBUSY));
                    }
                    out.add("mdadm: hot removed " + shown + " from " + dev);
                }
            }
            case "add" -> {
                add(a, device, cwd, false);
                out.add("mdadm: added " + device);
            }
            case "re-add" -> {
                add(a, device, cwd, true);
                out.add("mdadm: re-added " + device);
            }
            case "replace" -> {
                MdMember m = find(a, device, cwd);
                if (m == null || m.rdev().role() < 0 || m.rdev().faulty()) {
                    throw new MdException(Errno.EINVAL, "mdadm: " + device + " is not an active member of " + dev);
                }
                int role = m.rdev().role();
                m.rdev().set(Rdev.Flag.WANT_REPLACEMENT);
                out.add("mdadm: Marked " + device + " (device " + role + " in " + dev + ") for replacement");
                if (with != null) {
                    add(a, with, cwd, false);
                    out.add("mdadm: Marked " + with + " in " + dev + " as replacement for device " + role);
                } else {
                    a.checkRecovery();
                }
            }
            default -> throw MdException.invalid("mdadm: unknown manage action " + action);
        }
        return out;
    }

    /** The member device names (by the device it resolves to, else by the name it was added under). */
    static MdMember find(MdArray a, String device, Path cwd) {
        for (MdMember m : a.members()) {
            if (m.path().equals(device)) {
                return m;
            }
        }
        HeldDevice h;
        try {
            h = a.arrays().members().acquire(device, cwd, true);
        } catch (Exception e) {
            return a.member(device);
        }
        if (h == null) {
            return a.member(device);
        }
        try {
            for (MdMember m : a.members()) {
                if (m.rdev().device() == h.device()) {
                    return m;
                }
            }
            return null;
        } finally {
            h.close();
        }
    }

    /**
     * ADD_NEW_DISK on a running array: a new device gets a superblock like the members' with its own device uuid
     * and number and joins as a spare; a former member (re-add: its superblock has the array's uuid) keeps its
     * number. Recovery then rebuilds it into a missing role.
     */
    private static void add(MdArray a, String device, Path cwd, boolean reAdd) throws MdException {
        HeldDevice h = ArrayAssemble.acquire(a.arrays(), device, cwd);
        boolean kept = false;
        try {
            Superblock1 template = null;
            for (MdMember m : a.members()) {
                if (!m.rdev().faulty()) {
                    template = m.sb().copy();
                    break;
                }
            }
            if (template == null) {
                throw new MdException(Errno.EINVAL, "mdadm: " + a.name() + " has no working member to copy from");
            }
            Superblock1 old = null;
            try {
                old = SuperblockIo.read(h.device(), device);
            } catch (SuperblockException e) {
                // a new device
            }
            Superblock1 sb = template;
            int number;
            if (reAdd) {
                if (old == null || !Arrays.equals(old.uuid(), template.uuid())) {
                    throw new MdException(Errno.EINVAL, "mdadm: --re-add for " + device + " to /dev/" + a.name()
                            + " is not possible");
                }
                number = old.devNumber();
                int n = number;
                if (a.members().stream().anyMatch(m -> m.devNumber() == n)) {
                    throw MdException.busy("mdadm: --re-add for " + device + " to /dev/" + a.name()
                            + " is not possible");
                }
                sb.setDeviceUuid(old.deviceUuid());
            } else {
                number = a.freeDevNumber(template.raidDisks());
                byte[] u = new byte[16];
                new SecureRandom().nextBytes(u);
                sb.setDeviceUuid(u);
            }
            long dataSize = h.device().sizeSectors() - sb.dataOffset();
            if (dataSize < template.size()) {
                throw new MdException(Errno.ENOSPC, "mdadm: " + device + " not large enough to join array");
            }
            if (number >= sb.maxDev()) {
                sb.setMaxDev(number + 1);
            }
            sb.setDevNumber(number);
            sb.setDataSize(dataSize);
            sb.setRecoveryOffset(0);
            sb.setCntCorrectedRead(0);
            sb.setEvents(a.events());
            Rdev r = new Rdev(h, device, sb.dataOffset(), dataSize, -1);
            if (SuperblockIo.write(r, sb) != BlkStatus.OK) {
                throw new MdException(Errno.EIO, "mdadm: add new device failed for " + device + " as " + number
                        + ": Input/output error");
            }
            kept = true;
            int oldRole = reAdd && old.ownRole() < template.raidDisks() ? old.ownRole() : -1;
            a.addSpare(new MdMember(r, sb, device), oldRole, reAdd ? old.events() : -1);
        } finally {
            if (!kept) {
                h.close();
            }
        }
    }
}
