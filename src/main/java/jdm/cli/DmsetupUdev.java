package jdm.cli;

import static jdm.cli.DmsetupCommand.Session;
import static jdm.cli.DmsetupCommand.Sub;
import static jdm.cli.DmsetupCommand.strtoull;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * dmsetup's udev housekeeping, harmless here: jdm has no device nodes and no udev cookies, so these print what
 * dmsetup prints when there is nothing to do.
 */
final class DmsetupUdev {
    private DmsetupUdev() {
    }

    /** "mknodes": jdm has no device nodes to create or remove; as dmsetup with nothing to fix, it prints nothing. */
    @Command(name = "mknodes", description = "Accepted: jdm keeps no /dev/mapper nodes.")
    static final class Mknodes extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure {
            for (String a : args) {
                dmsetup.deviceName(a, false);
            }
        }
    }

    /**
     * "udevcomplete_all [AGE]": there are no udev cookies (semaphores with dmsetup's key prefix 0x0D4D) to destroy;
     * prints dmsetup's warning, prompt and count.
     */
    @Command(name = "udevcomplete_all", description = "Accepted: jdm has no udev cookies.")
    static final class UdevCompleteAll extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure, IOException {
            if (args.size() > 1) {
                throw DmsetupFailure.arguments();
            }
            long age = 0;
            if (args.size() == 1) {
                Long a = strtoull(args.getFirst());
                if (a == null || a < 0 || a > 0xffffffffL) {
                    throw DmsetupFailure.command("Failed to read age_in_minutes parameter.");
                }
                age = a;
            }
            if (!dmsetup.yes) {
                s.err().print("WARNING: This operation will destroy all semaphores "
                        + (age != 0 ? "older than " + age + " minutes " : "")
                        + "with keys that have a prefix 3405 (0xd4d).\n");
                s.err().print("Do you really want to continue? [y/n]: ");
                s.err().flush();
                String answer = readAnswer(s.stdin());
                if (!answer.startsWith("y") && !answer.startsWith("Y")) {
                    s.print("Semaphores with keys prefixed by 3405 (0xd4d) NOT destroyed.\n");
                    return;
                }
            }
            s.print("0 semaphores with keys prefixed by 3405 (0xd4d) destroyed. 0 skipped.\n");
        }

        private static String readAnswer(InputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                sb.append((char) c);
            }
            return sb.toString().trim();
        }
    }

    /** "udevcookies": the header of dmsetup's cookie table; jdm has no udev cookies. */
    @Command(name = "udevcookies", description = "Accepted: jdm has no udev cookies.")
    static final class UdevCookies extends Sub {
        @Parameters(arity = "0..*", hidden = true)
        List<String> args = new ArrayList<>();

        @Override
        void run(Session s) throws DmsetupFailure {
            if (!args.isEmpty()) {
                throw DmsetupFailure.arguments();
            }
            s.print("Cookie       Semid      Value      Last semop time           Last change time\n");
        }
    }
}
