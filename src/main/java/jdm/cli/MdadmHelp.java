package jdm.cli;

import jdm.cli.MdadmMaps.Mode;

/** What "jdm mdadm --help" prints: the modes and options jdm serves, in mdadm's words. */
final class MdadmHelp {
    private MdadmHelp() {
    }

    static String text(Mode mode) {
        return """
                mdadm is used for building, managing, and monitoring
                Linux md devices (aka RAID arrays); jdm serves them from its daemon
                Usage: mdadm --create device options...
                            Create a new array from unused devices.
                       mdadm --assemble device options...
                            Assemble a previously created array.
                       mdadm --grow device options
                            Make changes to an active array.
                       mdadm --manage device options...
                            make changes to an existing array.
                       mdadm --misc options... devices
                            report on or modify various md related devices.
                       mdadm --detail device...  |  --examine member-file...  |  --stop device...

                Options for --create: --level= --raid-devices= --spare-devices= --chunk= --layout= --bitmap=
                  --assume-clean --run --metadata=1.2 --homehost= --name= --uuid= --size= --force; 'missing'
                  for an absent member.
                Options for --assemble: --uuid= --name= --run --readonly --force.
                Options for --manage (or "mdadm DEVICE --fail X"): --add --re-add --remove --fail --replace
                  --with --run --stop --readonly.
                Options for --grow: --raid-devices= --chunk= --level= --layout= --bitmap= --size=.
                The jdm daemon's control socket: --control=PATH, else $JDM_CONTROL, else /run/jdm/control.sock.
                """;
    }
}
