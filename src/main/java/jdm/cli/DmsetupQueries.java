package jdm.cli;

import static jdm.cli.DmsetupCommand.DevicesSub;
import static jdm.cli.DmsetupCommand.Session;
import static jdm.cli.DmsetupCommand.Sub;
import static jdm.cli.DmsetupCommand.ioctl;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdm.control.ControlClient;
import jdm.control.ControlException;
import jdm.control.DevNo;
import jdm.control.DeviceDeps;
import jdm.control.DeviceInfo;
import jdm.control.DeviceTable;
import jdm.control.Errno;
import jdm.control.TargetLine;
import jdm.control.TargetVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The dmsetup commands that report (dmsetup.c's _status for table/status, _info, _deps, _ls, _targets, _version),
 * with their filters (--target, --inactive, --exec, -S) and formats.
 */
final class DmsetupQueries {
    private DmsetupQueries() {
    }

    /**
     * "table" and "status" (dmsetup's _status): one device's lines bare, several (or all) devices' lines prefixed
     * "NAME: "; --inactive shows the inactive table, --target only targets of one type, --exec runs a command for
     * each device shown.
     */
    abstract static class TablesSub extends DevicesSub {
        abstract List<DeviceTable> fetch(ControlClient c, String name) throws IOException, ControlException;

        @Override
        void all(Session s) throws DmsetupFailure, IOException {
            List<DeviceTable> all;
            try {
                all = fetch(s.client(), null);
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
            if (all.isEmpty()) {
                s.print("No devices found\n");
            }
            for (DeviceTable t : all) {
                print(s, t, true);
            }
        }

        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            DeviceTable t;
            try {
                t = fetch(s.client(), name).getFirst();
            } catch (ControlException e) {
                // libdm takes ENXIO from the status ioctl (not table's) as "Device does not exist."
                throw e.errno() == Errno.ENXIO && missingIsNoDevice() ? DmsetupFailure.command(
                        "Device does not exist.") : ioctl(e, arg, null, false);
            }
            print(s, t, multiple);
        }

        boolean hidesKeys() {
            return false;
        }

        boolean missingIsNoDevice() {
            return true;
        }

        private void print(Session s, DeviceTable t, boolean multiple) throws DmsetupFailure {
            String name = dmsetup.shown(t.name());
            String prefix = multiple ? name + ": " : "";
            boolean matched = false;
            if (t.targets().isEmpty()) {
                if (dmsetup.target == null) {
                    if (dmsetup.exec == null) {
                        s.print(prefix + "\n"); // a device without a table: dmsetup prints an empty line
                    }
                    matched = true;
                }
            }
            for (TargetLine l : t.targets()) {
                if (dmsetup.exec == null) {
                    String params = hidesKeys() && !dmsetup.showKeys ? DmsetupFormat.hideKeys(l.type(), l.params())
                            : l.params();
                    s.print(DmsetupFormat.target(prefix, new TargetLine(l.startSector(), l.lengthSectors(),
                            l.type(), params)));
                }
                matched = true;
            }
            if (matched && dmsetup.exec != null) {
                dmsetup.execFor(s, t.name());
            }
        }
    }

    @Command(name = "table", description = "Show the live (or --inactive) tables of the devices (default: all).")
    static final class TableCmd extends TablesSub {
        @Override
        List<DeviceTable> fetch(ControlClient c, String name) throws IOException, ControlException {
            return c.table(name, dmsetup.target, dmsetup.inactive);
        }

        @Override
        boolean hidesKeys() {
            return true;
        }

        @Override
        boolean missingIsNoDevice() {
            return false;
        }
    }

    @Command(name = "status", description = "Show the status of the devices' targets (default: all).")
    static final class Status extends TablesSub {
        @Override
        void missingUuid(String uuid) throws DmsetupFailure {
            throw DmsetupFailure.command("Device does not exist.");
        }

        @Override
        List<DeviceTable> fetch(ControlClient c, String name) throws IOException, ControlException {
            return c.status(name, dmsetup.target, dmsetup.inactive);
        }
    }

    /** "info": dmsetup's long form, or with -c the report (-o, --noheadings, --separator, -S, --sort, ...). */
    @Command(name = "info", description = "Show the state of the devices (default: all).")
    static final class Info extends DevicesSub {
        private DmsetupReport report;

        @Override
        boolean selectable() {
            return false;
        }

        @Override
        void missingUuid(String uuid) throws DmsetupFailure {
            throw DmsetupFailure.command("Device does not exist.");
        }

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (dmsetup.columns) {
                if (dmsetup.options != null && java.util.Arrays.stream(dmsetup.options.replaceFirst("^\\+", "")
                        .split(",")).anyMatch(f -> f.equals("help") || f.equals("?"))) {
                    // dm_report_init lists the fields (on stderr, as log_warn) and the report then shows nothing
                    DmsetupReport.help().forEach(l -> s.err().print(l + "\n"));
                    return;
                }
                report = DmsetupReport.create(dmsetup.options, dmsetup.sort, dmsetup.select,
                        DmsetupReport.Layout.of(dmsetup.noHeadings, dmsetup.separator, dmsetup.namePrefixes,
                                dmsetup.unquoted, dmsetup.rows));
            }
            try {
                super.run(s);
            } finally {
                if (report != null) {
                    s.print(report.output()); // dm_report_output runs after the command, failed or not
                }
            }
        }

        @Override
        void all(Session s) throws DmsetupFailure, IOException {
            if (report != null) {
                List<DmsetupReport.Row> all = dmsetup.rows(s, null, report);
                if (all.isEmpty()) {
                    s.print("No devices found\n");
                }
                all.forEach(report::add);
                return;
            }
            List<DeviceInfo> all;
            try {
                all = s.client().info(null, dmsetup.inactive);
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
            if (all.isEmpty()) {
                s.print("No devices found\n");
            }
            for (DeviceInfo i : all) {
                s.print(DmsetupFormat.info(i, dmsetup.shown(i.name())));
            }
        }

        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            if (report != null) {
                dmsetup.rows(s, name, report).forEach(report::add);
                return;
            }
            try {
                DeviceInfo i = s.client().info(name, dmsetup.inactive).getFirst();
                s.print(DmsetupFormat.info(i, dmsetup.shown(i.name())));
            } catch (ControlException e) {
                throw e.errno() == Errno.ENXIO ? DmsetupFailure.command("Device does not exist.")
                        : ioctl(e, arg, null, false);
            }
        }
    }

    @Command(name = "deps", description = "Show the devices each device's table uses (default: all devices).")
    static final class Deps extends DevicesSub {
        @Override
        void all(Session s) throws DmsetupFailure, IOException {
            List<DeviceDeps> all;
            try {
                all = s.client().deps(null);
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
            if (all.isEmpty()) {
                s.print("No devices found\n");
            }
            for (DeviceDeps d : all) {
                s.print(DmsetupFormat.deps(dmsetup.shown(d.name()) + ": ", d));
            }
        }

        @Override
        void one(Session s, String arg, String name, boolean multiple) throws DmsetupFailure, IOException {
            try {
                DeviceDeps d = s.client().deps(name).getFirst();
                s.print(DmsetupFormat.deps(multiple ? dmsetup.shown(d.name()) + ": " : "", d));
            } catch (ControlException e) {
                throw ioctl(e, arg, null, false);
            }
        }
    }

    /** "ls": names and numbers; --target/--exec as dmsetup's _status in ls mode; --tree with its -o options. */
    @Command(name = "ls", description = "List the devices, or draw their dependency tree.")
    static final class Ls extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (!args.isEmpty()) {
                throw DmsetupFailure.arguments();
            }
            DmsetupTree.Options treeOptions = null;
            if (dmsetup.tree) {
                treeOptions = DmsetupTree.Options.parse(dmsetup.options, dmsetup.env);
            }
            try {
                List<DeviceDeps> all = s.client().list();
                if (all.isEmpty()) {
                    s.print("No devices found\n");
                    return;
                }
                if (dmsetup.target != null || dmsetup.exec != null) {
                    listMatching(s, all);
                } else if (treeOptions != null) {
                    Map<DevNo, DeviceInfo> infos = new HashMap<>();
                    if (treeOptions.needsInfo()) {
                        for (DeviceInfo i : s.client().info(null)) {
                            infos.put(i.devNo(), i);
                        }
                    }
                    s.print(new DmsetupTree(all, infos, treeOptions, dmsetup::shown).draw());
                } else {
                    for (DeviceDeps d : all) {
                        s.print(dmsetup.shown(d.name()) + "\t(" + d.devNo().major() + ":" + d.devNo().minor()
                                + ")\n");
                    }
                }
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
        }

        /** _status in ls mode: each device with a target of the type (any device without --target), or --exec. */
        private void listMatching(Session s, List<DeviceDeps> all)
                throws IOException, ControlException, DmsetupFailure {
            Set<String> matching = new HashSet<>();
            for (DeviceTable t : s.client().table(null, dmsetup.target)) {
                if (dmsetup.target == null || !t.targets().isEmpty()) {
                    matching.add(t.name());
                }
            }
            for (DeviceDeps d : all) {
                if (!matching.contains(d.name())) {
                    continue;
                }
                if (dmsetup.exec == null) {
                    s.print(DmsetupFormat.dev(dmsetup.shown(d.name()), d.devNo()));
                } else {
                    dmsetup.execFor(s, d.name());
                }
            }
        }
    }

    @Command(name = "targets", description = "List the target types and their versions.")
    static final class Targets extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (!args.isEmpty()) {
                throw DmsetupFailure.arguments();
            }
            try {
                for (TargetVersion v : s.client().targets()) {
                    s.print(DmsetupFormat.targetVersion(v));
                }
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
        }
    }

    @Command(name = "version", description = "Show the library and driver versions.")
    static final class Version extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (!args.isEmpty()) {
                throw DmsetupFailure.arguments();
            }
            s.print("Library version:   " + DmsetupCommand.LIBRARY_VERSION + "\n");
            s.out().flush();
            try {
                s.print("Driver version:    " + s.client().driverVersion() + "\n");
            } catch (ControlException e) {
                throw ioctl(e, "", null, false);
            }
        }
    }
}
