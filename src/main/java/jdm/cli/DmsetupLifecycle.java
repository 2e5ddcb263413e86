package jdm.cli;

import static jdm.cli.DmsetupCommand.DevicesSub;
import static jdm.cli.DmsetupCommand.NAME_LEN;
import static jdm.cli.DmsetupCommand.Session;
import static jdm.cli.DmsetupCommand.Sub;
import static jdm.cli.DmsetupCommand.UUID_LEN;
import static jdm.cli.DmsetupCommand.atoi;
import static jdm.cli.DmsetupCommand.ioctl;
import static jdm.cli.DmsetupCommand.ioctlOn;
import static jdm.cli.DmsetupCommand.strtoull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jdm.control.ControlException;
import jdm.control.DeviceDeps;
import jdm.control.TargetLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The dmsetup commands that change devices (dmsetup.c's _create, _load, _simple, _message, _wait, _rename): each
 * checks its arguments as dmsetup does, then issues the ioctl through the control client.
 */
final class DmsetupLifecycle {
    private DmsetupLifecycle() {
    }

    @Command(name = "create", description = "Create a device, with a table from --table, TABLE_FILE or stdin.")
    static final class Create extends Sub {
        @Parameters(paramLabel = "NAME [TABLE_FILE]", arity = "0..*", description = "Device name, table file.")
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (args.size() > 2) {
                throw DmsetupFailure.arguments();
            }
            if (args.isEmpty()) {
                throw DmsetupFailure.command("Please provide a name for the new device.");
            }
            String arg = args.get(0);
            String name = dmsetup.deviceName(arg, true);
            String uuid = dmsetup.uuid == null ? null : dmsetup.deviceUuid(dmsetup.uuid);
            String text = null;
            if (!dmsetup.noTable) {
                TableInput.Parsed p = s.readTable(dmsetup.table, args.size() == 2 ? args.get(1) : null);
                text = p.targets() > 0 ? p.text() : null; // no targets: a device without a table, as dmsetup
            }
            try {
                s.client().create(name, uuid, dmsetup.readOnly, text, s.cwd());
            } catch (ControlException e) {
                // the create ioctl carries the UUID; libdm addresses the reload by the new device's number
                throw ioctl(e, arg, e.ioctl().equals("create") ? dmsetup.uuid : null, e.ioctl().equals("reload"));
            }
        }
    }

    @Command(name = "load", aliases = "reload",
            description = "Load a table (from --table, TABLE_FILE or stdin) as the device's inactive table.")
    static final class Load extends Sub {
        @Parameters(paramLabel = "DEVICE [TABLE_FILE]", arity = "0..*", description = "Device name, table file.")
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (dmsetup.noTable) {
                throw DmsetupFailure.command("--notable only available when creating new device.");
            }
            if (args.size() > 2) {
                throw DmsetupFailure.arguments();
            }
            if (args.isEmpty()) {
                throw DmsetupFailure.command("Please specify device.");
            }
            String arg = args.get(0);
            String name = dmsetup.deviceName(arg, false);
            TableInput.Parsed p = s.readTable(dmsetup.table, args.size() == 2 ? args.get(1) : null);
            ioctlOn(arg, name, n -> s.client().load(n, p.text(), s.cwd(), dmsetup.readOnly));
        }
    }

    @Command(name = "suspend", description = "Suspend devices: I/O is queued until resume.")
    static final class Suspend extends DevicesSub {
        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            ioctlOn(arg, name, n -> s.client().suspend(n, dmsetup.noflush));
        }
    }

    @Command(name = "resume", description = "Resume devices, making a loaded inactive table live.")
    static final class Resume extends DevicesSub {
        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            ioctlOn(arg, name, n -> s.client().resume(n));
        }
    }

    @Command(name = "remove", description = "Remove devices.")
    static final class Remove extends DevicesSub {
        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            ioctlOn(arg, name, n -> s.client().remove(n, dmsetup.force));
        }
    }

    /** "remove_all [-f]": every unused device; with -f the rest get error tables first (dmsetup's _remove_all). */
    @Command(name = "remove_all", description = "Remove every device not in use (-f: wipe the tables of the rest).")
    static final class RemoveAll extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (!args.isEmpty()) {
                throw DmsetupFailure.arguments();
            }
            try {
                s.client().removeAll();
                if (!dmsetup.force || s.client().list().isEmpty()) {
                    return;
                }
                for (DeviceDeps d : s.client().list()) {
                    try {
                        WipeTable.wipe(s, d.name(), d.name(), dmsetup.inactive);
                    } catch (DmsetupFailure f) {
                        f.lines().forEach(l -> s.err().print(l + "\n")); // _process_all goes on
                    }
                }
                s.client().removeAll();
                int left = s.client().list().size();
                if (left > 0) {
                    s.err().print("Unable to remove " + left + " device(s).\n");
                }
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
        }
    }

    /** "wipe_table DEVICE...": an error table of the device's size, made live (dmsetup's _error_device). */
    @Command(name = "wipe_table", description = "Replace the devices' tables with error targets of the same size.")
    static final class WipeTable extends DevicesSub {
        @Override
        boolean selectable() {
            return true;
        }

        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            wipe(s, arg, name, dmsetup.inactive);
        }

        static void wipe(Session s, String arg, String name, boolean inactive) throws DmsetupFailure, IOException {
            long size = 0;
            try {
                for (TargetLine l : s.client().table(name, null, inactive).getFirst().targets()) {
                    size += l.lengthSectors();
                }
            } catch (ControlException e) {
                size = 0; // _get_device_size gives 0, and the reload below fails as it does
            }
            long sectors = size;
            ioctlOn(arg, name, n -> s.client().load(n, "0 " + sectors + " error", s.cwd()));
            try {
                s.client().resume(name);
            } catch (ControlException e) {
                try {
                    s.client().clear(name);
                } catch (ControlException ignored) {
                    // as dmsetup, which ignores the clear's result
                }
                throw ioctl(e, arg, null, false);
            }
        }
    }

    @Command(name = "clear", description = "Drop the devices' inactive tables.")
    static final class Clear extends DevicesSub {
        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            ioctlOn(arg, name, n -> s.client().clear(n));
        }
    }

    @Command(name = "message", description = "Send a message to the target that holds SECTOR.")
    static final class Message extends Sub {
        @Parameters(paramLabel = "DEVICE SECTOR MESSAGE", arity = "0..*", description = "Device, sector, words.")
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (args.size() < 2) {
                throw DmsetupFailure.arguments();
            }
            String arg = args.get(0);
            String name = dmsetup.deviceName(arg, false);
            Long sector = strtoull(args.get(1));
            if (sector == null) {
                throw DmsetupFailure.command("Invalid sector.");
            }
            List<String> words = args.subList(2, args.size());
            if (words.isEmpty()) {
                s.err().print("No message supplied.\n");
            }
            String response;
            try {
                response = s.client().message(name, sector, String.join(" ", words));
            } catch (ControlException e) {
                throw ioctl(e, arg, null, false);
            }
            if (!response.isEmpty()) {
                s.print(response.endsWith("\n") ? response : response + "\n");
            }
        }
    }

    @Command(name = "wait", description = "Wait until the device's event number is no longer EVENT_NR (default 0).")
    static final class Wait extends Sub {
        @Parameters(paramLabel = "DEVICE [EVENT_NR]", arity = "0..*", description = "Device, event number.")
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (args.size() > 2) {
                throw DmsetupFailure.arguments();
            }
            if (args.isEmpty()) {
                throw DmsetupFailure.command("No device specified.");
            }
            String arg = args.get(0);
            String name = dmsetup.deviceName(arg, false);
            int eventNr = args.size() == 2 ? atoi(args.get(1)) : 0;
            ioctlOn(arg, name, n -> s.client().waitEvent(n, eventNr));
        }
    }

    /** "rename DEVICE NEW_NAME" and "rename DEVICE --setuuid UUID" (dmsetup's _do_rename and libdm's checks). */
    @Command(name = "rename", description = "Rename a device, or set its UUID (--setuuid).")
    static final class Rename extends Sub {
        @Parameters(paramLabel = "DEVICE NEW_NAME_OR_UUID", arity = "0..*", description = "Device, new name/UUID.")
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (args.isEmpty() || args.size() > 2) {
                throw DmsetupFailure.arguments();
            }
            if (args.size() == 1) {
                throw DmsetupFailure.command("No device specified.");
            }
            String arg = args.get(0);
            String name = dmsetup.deviceName(arg, false);
            String next = args.get(1);
            if (dmsetup.setUuid) {
                if (next.getBytes(StandardCharsets.UTF_8).length >= UUID_LEN) {
                    throw DmsetupFailure.command("Uuid \"" + next + "\" too long");
                }
                String u = dmsetup.mangling.mangle(next, "new UUID", "Failed to mangle new device UUID \"" + next
                        + "\"");
                ioctlOn(arg, name, n -> s.client().setUuid(n, u));
                return;
            }
            if (next.contains("/")) {
                throw DmsetupFailure.command("Name \"" + next + "\" invalid. It contains \"/\".");
            }
            if (next.getBytes(StandardCharsets.UTF_8).length >= NAME_LEN) {
                throw DmsetupFailure.command("Name \"" + next + "\" too long");
            }
            if (next.isEmpty()) {
                throw DmsetupFailure.command("Non empty new name is required.");
            }
            String newName = dmsetup.mangling.mangle(next, "new name", "Failed to mangle new device name \"" + next
                    + "\"");
            ioctlOn(arg, name, n -> s.client().rename(n, newName));
        }
    }
}
