package jdm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import jdm.control.ControlException;
import jdm.control.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * mdadm's command line as jdm mdadm reads it: the requests each option turns into, the messages and exit status for
 * what mdadm refuses (the texts are mdadm 4.2's, checked against the real tool), and the replies' messages.
 */
@Timeout(30)
class MdadmCommandLineTest {
    record Call(String op, Map<String, Object> args) {
    }

    record Result(int status, String out, String err, List<Call> calls) {
    }

    static final Path CWD = Path.of("/home/user/here");

    /** Runs a command line against a fake daemon that answers each op with reply (or fails per the function). */
    static Result run(Function<Call, Object> daemon, String stdin, MdadmRun.MemberProbe probe, String... argv) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<Call> calls = new ArrayList<>();
        PrintWriter o = new PrintWriter(out);
        PrintWriter e = new PrintWriter(err);
        int status;
        try {
            MdadmParser.Parsed p = MdadmParser.parse(argv);
            MdadmRun.Ops ops = (op, args) -> {
                Call c = new Call(op, new LinkedHashMap<>(args));
                calls.add(c);
                Object r = daemon.apply(c);
                if (r instanceof ControlException ce) {
                    throw ce;
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) r;
                return m;
            };
            status = new MdadmRun(ops, o, e, new BufferedReader(new StringReader(stdin)), CWD, ZoneOffset.UTC,
                    probe, (files, cwd, how, out2, err2) -> {
                        out2.print("examined " + files + "\n");
                        return 0;
                    }).run(p);
        } catch (MdadmExit x) {
            e.print(x.getMessage() + "\n");
            status = x.status();
        }
        o.flush();
        e.flush();
        return new Result(status, out.toString(), err.toString(), calls);
    }

    static Result run(String... argv) {
        return run(c -> Map.of(), "", m -> List.of(), argv);
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    // ---- --create ----

    @Test
    void createWithEveryOption() {
        Result r = run("--create", "/dev/md0", "--level=raid5", "--raid-devices=3", "--spare-devices=1",
                "--chunk=128", "--layout=la", "--bitmap=internal", "--assume-clean", "--run", "--metadata=1.2",
                "--homehost=oracle", "--name=r5", "--uuid=01234567-89abcdef-01234567-89ABCDEF", "--size=8M",
                "--force", "a.img", "b.img", "missing", "/abs/d.img");
        assertThat(r.status()).isZero();
        assertThat(r.calls()).hasSize(1);
        assertThat(r.calls().getFirst().op()).isEqualTo("md_create");
        assertThat(r.calls().getFirst().args()).containsExactlyEntriesOf(map("name", "/dev/md0", "level", 5,
                "layout", 0, "chunk_kib", 128, "raid_devices", 3, "spare_devices", 1, "bitmap", "internal",
                "assume_clean", true, "run", true, "force", true, "readonly", null, "homehost", "oracle",
                "array_name", "r5", "uuid", "01234567:89abcdef:01234567:89abcdef", "size_kib", 8192L,
                "consistency_policy", null, "devices", List.of("a.img", "b.img", "missing", "/abs/d.img"),
                "cwd", "/home/user/here"));
        // -e given: no "Defaulting" line; no messages in the reply: mdadm's line for a started array
        assertThat(r.err()).isEqualTo("mdadm: array /dev/md0 started.\n");
    }

    @Test
    void createShortFormsAndDefaults() {
        Result r = run("-CR", "/dev/md/home", "-l6", "-n", "4", "-c", "64K", "-p", "parity-last", "-x0", "-N",
                "h", "-u", "0123456789abcdef0123456789abcdef", "-z", "1G", "--homehost=<none>", "a", "b", "c", "d");
        Map<String, Object> a = r.calls().getFirst().args();
        assertThat(a).containsEntry("level", 6).containsEntry("layout", 5).containsEntry("chunk_kib", 64)
                .containsEntry("raid_devices", 4).containsEntry("spare_devices", null).containsEntry("run", true)
                .containsEntry("array_name", "h").containsEntry("homehost", null)
                .containsEntry("uuid", "01234567:89abcdef:01234567:89abcdef").containsEntry("size_kib", 1048576L);
        assertThat(r.err()).isEqualTo("mdadm: Defaulting to version 1.2 metadata\n"
                + "mdadm: array /dev/md/home started.\n");

        a = run("--create", "/dev/md0", "-l", "5", "-n3", "a", "b", "c").calls().getFirst().args();
        assertThat(a).containsEntry("layout", 2).containsEntry("chunk_kib", 512).containsEntry("run", false)
                .containsEntry("array_name", "0").containsEntry("bitmap", null).containsEntry("assume_clean", false);
        assertThat(a.get("homehost")).isEqualTo(MdadmParser.systemHostname());
        a = run("-C", "/dev/md1", "--level=10", "-n2", "a", "b").calls().getFirst().args();
        assertThat(a).containsEntry("level", 10).containsEntry("layout", 0x102).containsEntry("array_name", "1");
        a = run("-C", "/dev/md2", "--level=stripe", "-n2", "a", "b").calls().getFirst().args();
        assertThat(a).containsEntry("level", 0).containsEntry("layout", 1).containsEntry("chunk_kib", 512);
        a = run("-C", "/dev/md_x", "--level=mirror", "-n2", "a", "missing").calls().getFirst().args();
        assertThat(a).containsEntry("level", 1).containsEntry("layout", 0).containsEntry("chunk_kib", null)
                .containsEntry("array_name", "x");
        a = run("-C", "md5", "--level=linear", "-n2", "a", "b").calls().getFirst().args();
        assertThat(a).containsEntry("level", -1).containsEntry("array_name", "5");
        a = run("-C", "/dev/md0", "-l4", "-n3", "a", "b", "c").calls().getFirst().args();
        assertThat(a).containsEntry("level", 4).containsEntry("layout", 0);
    }

    @Test
    void layoutWords() {
        String[][] raid5 = {{"left-asymmetric", "0"}, {"right-asymmetric", "1"}, {"left-symmetric", "2"},
                {"right-symmetric", "3"}, {"parity-first", "4"}, {"parity-last", "5"}, {"ls", "2"}, {"ra", "1"},
                {"rs", "3"}, {"la", "0"}, {"default", "2"}};
        for (String[] l : raid5) {
            assertThat(run("-C", "/dev/md0", "-l5", "-n3", "--parity=" + l[0], "a", "b", "c").calls().getFirst()
                    .args()).as(l[0]).containsEntry("layout", Integer.parseInt(l[1]));
        }
        assertThat(run("-C", "/dev/md0", "-l6", "-n4", "-p", "left-symmetric-6", "a", "b", "c", "d").calls()
                .getFirst().args()).containsEntry("layout", 18);
        String[][] raid10 = {{"n2", "258"}, {"f2", "513"}, {"o2", "66049"}, {"n3", "259"}};
        for (String[] l : raid10) {
            assertThat(run("-C", "/dev/md0", "-l10", "-n4", "--layout", l[0], "a", "b", "c", "d").calls()
                    .getFirst().args()).as(l[0]).containsEntry("layout", Integer.parseInt(l[1]));
        }
        assertThat(run("-C", "/dev/md0", "-l0", "-n2", "--layout=alternate", "a", "b").calls().getFirst().args())
                .containsEntry("layout", 2);
    }

    @Test
    void createRefusals() {
        expect(run("--create", "/dev/md0", "-p", "ls", "-l5"), 2, "mdadm: raid level must be given before layout.\n");
        expect(run("--create", "/dev/md0", "-l7"), 2, "mdadm: invalid raid level: 7\n");
        expect(run("--create", "/dev/md0", "-l5", "-p", "xx"), 2, "mdadm: layout xx not understood for raid5.\n");
        expect(run("--create", "/dev/md0", "-l10", "-p", "x2"), 2, "mdadm: layout for raid10 must be 'nNN', 'oNN'"
                + " or 'fNN' where NN is a number, not x2\n");
        expect(run("--create", "/dev/md0", "-l1", "-p", "ls"), 2, "mdadm: layout not meaningful for raid1 arrays.\n");
        expect(run("--create", "/dev/md0", "-c", "3"), 2, "mdadm: invalid chunk/rounding value: 3\n");
        expect(run("--create", "/dev/md0", "-c", "64", "--chunk=32"), 2,
                "mdadm: chunk/rounding may only be specified once. Second value is 32.\n");
        expect(run("--create", "/dev/md0", "-n1", "-l1", "a"), 2, "mdadm: '1' is an unusual number of drives for"
                + " an array, so it is probably\n     a mistake.  If you really mean it you will need to specify"
                + " --force before\n     setting the number of drives.\n");
        expect(run("--create", "/dev/md0", "-l1", "--bitmap=foo"), 2, "mdadm: bitmap file must contain a '/', or"
                + " be 'internal', or be 'clustered', or 'none'\n       not 'foo'\n");
        expect(run("--create", "/dev/md0", "-u", "xyz"), 2, "mdadm: Bad uuid: xyz\n");
        expect(run("--create", "/dev/md0", "-l0", "-x1"), 2,
                "mdadm: spare-devices setting is incompatible with raid level 0\n");
        expect(run("--create", "/dev/md0", "-e", "2.0"), 2, "mdadm: unrecognised metadata identifier: 2.0\n");
        expect(run("--create", "/dev/md0", "-N", "x".repeat(33)), 2,
                "mdadm: name '" + "x".repeat(33) + "' is too long, 32 chars max.\n");
        expect(run("--create", "/dev/md0", "-l5", "a", "b"), 1, "mdadm: no raid-devices specified.\n");
        expect(run("--create", "/dev/md0", "-n3", "a", "b", "c"), 1,
                "mdadm: a RAID level is needed to create an array.\n");
        expect(run("--create", "/dev/md0", "-l6", "-n3", "a", "b", "c"), 1,
                "mdadm: at least 4 raid-devices needed for level 6\n");
        expect(run("--create", "/dev/md0", "-l5", "-n3", "a", "b"), 1,
                "mdadm: You haven't given enough devices (real or missing) to create this array\n");
        expect(run("--create", "/dev/md0", "-l5", "-n2", "a", "b", "c"), 1,
                "mdadm: You have listed more devices (3) than are in the array(2)!\n");
        expect(run("--create", "/dev/md0", "-l0", "-n2", "--bitmap=internal", "a", "b"), 1,
                "mdadm: bitmaps not meaningful with level raid0\n");
        expect(run("--create", "/dev/md0", "-l1", "-n2", "-c", "64", "a", "b"), 1,
                "mdadm: specifying chunk size is forbidden for this level\n");
        expect(run("--create", "/dev/md0", "-l10", "-n2", "-p", "n3", "a", "b"), 1,
                "mdadm: that layout requires at least 3 devices\n");
        expect(run("--create"), 2, "mdadm: an md device must be given in this mode\n");
    }

    static void expect(Result r, int status, String err) {
        assertThat(r.err()).isEqualTo(err);
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.calls()).isEmpty();
    }

    @Test
    void createOverOldMembersAsksUnlessRun() {
        MdadmRun.MemberProbe probe = m -> m.endsWith("old.img") ? List.of(" appears to be part of a raid array:",
                "       level=raid5 devices=3 ctime=Wed Jan  1 00:00:00 2020") : List.of();
        String warning = "mdadm: old.img appears to be part of a raid array:\n"
                + "       level=raid5 devices=3 ctime=Wed Jan  1 00:00:00 2020\n";
        Result r = run(c -> Map.of(), "", probe, "-C", "/dev/md0", "-l1", "-n2", "-e1.2", "old.img", "new.img");
        assertThat(r.err()).isEqualTo(warning + "Continue creating array? mdadm: create aborted.\n");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.calls()).isEmpty();
        r = run(c -> Map.of(), "maybe\ny\n", probe, "-C", "/dev/md0", "-l1", "-n2", "-e1.2", "old.img", "new.img");
        assertThat(r.err()).isEqualTo(warning + "Continue creating array? Continue creating array? (y/n) "
                + "mdadm: array /dev/md0 started.\n");
        assertThat(r.calls()).hasSize(1);
        r = run(c -> Map.of(), "", probe, "-C", "/dev/md0", "-l1", "-n2", "-e1.2", "--run", "old.img", "new.img");
        assertThat(r.err()).isEqualTo(warning + "mdadm: array /dev/md0 started.\n");
        assertThat(r.calls()).hasSize(1);
    }

    @Test
    void theProbeReadsARealSuperblock(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("m.img");
        byte[] b = new byte[64 * 1024];
        java.nio.ByteBuffer sb = java.nio.ByteBuffer.wrap(b, 4096, 256).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        sb.putInt(4096, 0xa92b4efc).putInt(4096 + 4, 1).putLong(4096 + 64, 1577836800L).putInt(4096 + 72, 5)
                .putInt(4096 + 92, 3);
        Files.write(f, b);
        assertThat(new MdMemberProbe(ZoneOffset.UTC).oldArray(f)).containsExactly(
                " appears to be part of a raid array:", "       level=raid5 devices=3 ctime=Wed Jan  1 00:00:00 2020");
        Files.write(f, new byte[64 * 1024]);
        assertThat(new MdMemberProbe(ZoneOffset.UTC).oldArray(f)).isEmpty();
        assertThat(new MdMemberProbe(ZoneOffset.UTC).oldArray(dir.resolve("absent"))).isEmpty();
    }

    @Test
    void theDaemonsMessagesAndRefusals() {
        Result r = run(c -> Map.of("name", "md0", "messages", List.of("mdadm: array /dev/md0 started.")), "",
                m -> List.of(), "-C", "/dev/md0", "-l1", "-n2", "-e1.2", "a", "b");
        assertThat(r.err()).isEqualTo("mdadm: array /dev/md0 started.\n");
        r = run(c -> new ControlException(Errno.ENOENT, "md_create", "mdadm: cannot open b: No such file or"
                + " directory"), "", m -> List.of(), "-C", "/dev/md0", "-l1", "-n2", "-e1.2", "a", "b");
        assertThat(r.err()).isEqualTo("mdadm: cannot open b: No such file or directory\n");
        assertThat(r.status()).isEqualTo(1);
    }

    // ---- --assemble, --stop, --detail ----

    @Test
    void assemble() {
        Result r = run("--assemble", "/dev/md0", "a.img", "b.img", "--uuid=01234567:89abcdef:01234567:89abcdef",
                "--run", "--readonly", "--force");
        assertThat(r.calls().getFirst()).isEqualTo(new Call("md_assemble", map("name", "/dev/md0", "devices",
                List.of("a.img", "b.img"), "cwd", "/home/user/here", "uuid", "01234567:89abcdef:01234567:89abcdef",
                "array_name", null, "run", true, "readonly", true, "force", true)));
        r = run("-A", "/dev/md0", "-R", "a.img");
        assertThat(r.calls().getFirst().args()).containsEntry("run", true).containsEntry("readonly", false)
                .containsEntry("devices", List.of("a.img"));
        expect(run("--assemble", "/dev/md0"), 1, "mdadm: /dev/md0 not identified in config file.\n");
        expect(run("--assemble", "/dev/md0", "--chunk", "5"), 2,
                "mdadm: :option --chunk not valid in assemble mode\n");
        // -c in assemble mode is the config file (jdm has none to read), not the chunk
        assertThat(run("--assemble", "/dev/md0", "-c", "5", "a").calls()).hasSize(1);
    }

    @Test
    void stopAndDetail() {
        Result r = run("--stop", "/dev/md0", "/dev/md1");
        assertThat(r.calls()).containsExactly(new Call("md_stop", Map.of("name", "/dev/md0")),
                new Call("md_stop", Map.of("name", "/dev/md1")));
        assertThat(r.err()).isEqualTo("mdadm: stopped /dev/md0\nmdadm: stopped /dev/md1\n");
        r = run(c -> new ControlException(Errno.ENODEV, "md_stop", "no such array"), "", m -> List.of(), "-S",
                "/dev/md3");
        assertThat(r.err()).isEqualTo("mdadm: error opening /dev/md3: No such file or directory\n");
        assertThat(r.status()).isEqualTo(1);
        r = run(c -> new ControlException(Errno.ENODEV, "md_detail", "no such array"), "", m -> List.of(),
                "--detail", "/dev/md3");
        assertThat(r.err()).isEqualTo("mdadm: cannot open /dev/md3: No such file or directory\n");
        assertThat(r.status()).isEqualTo(1);
        r = run(c -> Map.of("level", "raid1", "raid_devices", 2L, "array_name", "h:n", "uuid", "u", "state",
                "clean"), "", m -> List.of(), "--detail", "--brief", "/dev/md0");
        assertThat(r.out()).isEqualTo("ARRAY /dev/md0 metadata=1.2 name=h:n UUID=u\n");
        r = run(c -> c.op().equals("md_list") ? Map.of("arrays", List.of(Map.of("name", "md0"), Map.of("name",
                "md1"))) : Map.of(), "", m -> List.of(), "--stop", "--scan");
        assertThat(r.calls()).extracting(Call::op).containsExactly("md_list", "md_stop", "md_stop");
        assertThat(r.err()).isEqualTo("mdadm: stopped /dev/md0\nmdadm: stopped /dev/md1\n");
        assertThat(run("--examine", "a.img", "b.img").out()).isEqualTo("examined [a.img, b.img]\n");
        expect(run("--examine"), 2, "mdadm: No devices to examine\n");
        expect(run("--detail", "-E"), 2, "mdadm: --examine/-E cannot be given with -D\n");
        expect(run("--examine", "--detail"), 2, "mdadm: --examine/-E cannot be given with --detail\n");
        expect(run("/dev/md0", "--stop"), 2, "mdadm: No action given for /dev/md0 in --misc mode\n"
                + "       Action options must come before device names\n");
    }

    @Test
    void waitUntilIdle() {
        int[] looks = {0};
        Result r = run(c -> Map.of("value", ++looks[0] < 3 ? "recover" : "idle"), "", m -> List.of(), "--wait",
                "/dev/md0");
        assertThat(r.status()).isZero();
        assertThat(r.calls()).hasSize(3).allMatch(c -> c.args().equals(map("name", "/dev/md0", "attr",
                "sync_action")));
        assertThat(run(c -> Map.of("value", "idle"), "", m -> List.of(), "-W", "/dev/md0").status()).isEqualTo(1);
        r = run(c -> new ControlException(Errno.ENODEV, "md_attr", "none"), "", m -> List.of(), "--wait",
                "/dev/md9");
        assertThat(r.err()).isEqualTo("mdadm: stat failed for /dev/md9: No such file or directory\n");
        assertThat(r.status()).isEqualTo(2);
    }

    // ---- --manage and its short form ----

    @Test
    void manage() {
        Result r = run("/dev/md0", "--fail", "/dev/X", "--remove", "/dev/X", "--add", "n.img", "--re-add", "o.img");
        assertThat(r.calls()).extracting(c -> c.args().get("action") + " " + c.args().get("device"))
                .containsExactly("fail /dev/X", "remove /dev/X", "add n.img", "re-add o.img");
        assertThat(r.calls().getFirst().args()).containsEntry("name", "/dev/md0").containsEntry("cwd", "/home/user/here");
        assertThat(r.err()).isEqualTo("mdadm: set /dev/X faulty in /dev/md0\nmdadm: hot removed /dev/X from /dev/md0\n"
                + "mdadm: added n.img\nmdadm: re-added o.img\n");
        r = run("--manage", "/dev/md0", "-f", "a", "--remove", "a", "-a", "b");
        assertThat(r.calls()).extracting(c -> c.args().get("action")).containsExactly("fail", "remove", "add");
        // mdadm 4.2's short option string has "r:" (monitor's increment) first: -r takes the next word along
        r = run("--manage", "/dev/md0", "-f", "a", "-r", "a", "-a", "b");
        assertThat(r.calls()).extracting(c -> c.args().get("action")).containsExactly("fail", "add");
        expect(run("/dev/md0", "-r"), 2,
                "mdadm: option requires an argument -- 'r'\nUsage: mdadm --help\n  for help\n");
        r = run(c -> new ControlException(Errno.ENODEV, "md_manage", "no array"), "", m -> List.of(), "/dev/md9",
                "--fail", "a");
        assertThat(r.err()).isEqualTo("mdadm: error opening /dev/md9: No such file or directory\n");
        r = run("/dev/md0", "--replace", "a", "--with", "b");
        assertThat(r.calls().getFirst().args()).containsEntry("action", "replace").containsEntry("device", "a")
                .containsEntry("with", "b");
        r = run("--manage", "/dev/md0", "--stop");
        assertThat(r.calls()).containsExactly(new Call("md_stop", Map.of("name", "/dev/md0")));
        r = run(c -> new ControlException(Errno.EBUSY, "md_manage", "busy"), "", m -> List.of(), "/dev/md0",
                "--remove", "a", "-a", "b");
        assertThat(r.err()).isEqualTo("mdadm: hot remove failed for a: Device or resource busy\n");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.calls()).hasSize(1);
        expect(run("--manage", "/dev/md0", "a"), 2, "mdadm: Must give one of -a/-r/-f for subsequent devices at a\n");
        expect(run("--manage", "/dev/md0", "--with", "a"), 2, "mdadm: --with must follow --replace\n");
        expect(run("/dev/md0", "/dev/md1"), 2, "mdadm: An option must be given to set the mode before a second"
                + " device\n       (/dev/md1) is listed\n");
    }

    // ---- --grow ----

    @Test
    void grow() {
        Result r = run("--grow", "/dev/md0", "--raid-devices=4", "--chunk=128");
        assertThat(r.calls().getFirst()).isEqualTo(new Call("md_grow", map("name", "/dev/md0", "raid_devices", 4,
                "chunk_kib", 128, "level", null, "layout", null, "size_kib", null)));
        r = run("-G", "/dev/md0", "--bitmap=internal");
        assertThat(r.calls().getFirst()).isEqualTo(new Call("md_grow", map("name", "/dev/md0", "bitmap",
                "internal")));
        r = run("-G", "/dev/md0", "-l5", "-p", "ra");
        assertThat(r.calls().getFirst().args()).containsEntry("level", 5).containsEntry("layout", 1);
        r = run("-G", "/dev/md0", "-p", "n2");
        assertThat(r.calls().getFirst().args()).containsEntry("layout", "n2");
        r = run("-G", "/dev/md0");
        assertThat(r.err()).isEqualTo("mdadm: no changes to --grow\n");
        assertThat(r.status()).isZero();
        expect(run("-G", "/dev/md0", "--bitmap=none", "-n4"), 1,
                "mdadm: --bitmap changes cannot be used with other geometry changes in --grow mode\n");
    }

    // ---- getopt_long ----

    @Test
    void getoptErrors() {
        String usage = "Usage: mdadm --help\n  for help\n";
        expect(run("--foo"), 2, "mdadm: unrecognized option '--foo'\n" + usage);
        expect(run("--foo=1"), 2, "mdadm: unrecognized option '--foo=1'\n" + usage);
        expect(run("-l"), 2, "mdadm: option requires an argument -- 'l'\n" + usage);
        expect(run("-C", "/dev/md0", "--level"), 2, "mdadm: option '--level' requires an argument\n" + usage);
        expect(run("--run=3"), 2, "mdadm: option '--run' doesn't allow an argument\n" + usage);
        expect(run("--re", "/dev/md0"), 2, "mdadm: option '--re' is ambiguous; possibilities: '--restore'"
                + " '--re-add' '--remove' '--replace' '--readonly' '--readwrite' '--rebuild-map'\n" + usage);
        expect(run("-k"), 2, "mdadm: -k does not set the mode, and so cannot be the first option.\n");
        expect(run(), 2, usage);
        expect(run("-C", "/dev/md0", "-D"), 2,
                "mdadm: -D would set mdadm mode to \"misc\", but it is already set to \"create\".\n");
        expect(run("--assemble", "/dev/md0", "--create"), 2,
                "mdadm: --create would set mdadm mode to \"create\", but it is already set to \"assemble\".\n");
        // unique prefixes and "=" forms
        assertThat(run("--cre", "/dev/md0", "--lev=1", "--raid-dev", "2", "a", "b").calls().getFirst().args())
                .containsEntry("level", 1).containsEntry("raid_devices", 2);
    }

    @Test
    void parseHelpers() {
        assertThat(MdadmMaps.parseSize("64")).isEqualTo(128);
        assertThat(MdadmMaps.parseSize("64K")).isEqualTo(128);
        assertThat(MdadmMaps.parseSize("1M")).isEqualTo(2048);
        assertThat(MdadmMaps.parseSize("2G")).isEqualTo(4L << 20);
        assertThat(MdadmMaps.parseSize("16s")).isEqualTo(16);
        assertThat(MdadmMaps.parseSize("0")).isEqualTo(-1);
        assertThat(MdadmMaps.parseSize("5x")).isEqualTo(-1);
        assertThat(MdadmMaps.parseSize("K")).isEqualTo(-1);
        assertThat(MdadmMaps.parseUuid("0123456789abcdef0123456789ABCDEF"))
                .isEqualTo("01234567:89abcdef:01234567:89abcdef");
        assertThat(MdadmMaps.parseUuid("0123")).isNull();
        assertThat(MdadmMaps.parseLayout10("o3")).isEqualTo(0x10301);
        assertThat(MdadmMaps.parseLayout10("n0")).isEqualTo(-1);
        assertThat(MdadmRun.defaultName("/dev/md/d1")).isEqualTo("d1");
        assertThat(MdadmRun.defaultName("/dev/mdhome")).isEqualTo("mdhome");
    }
}
