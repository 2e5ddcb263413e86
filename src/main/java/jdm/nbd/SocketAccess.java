package jdm.nbd;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Who may use a Unix domain socket of the daemon (the NBD socket and the control socket): its file mode (0600, or
 * 0660 with a group) whatever the umask, and the peer's uid (SO_PEERCRED) checked on every accepted connection:
 * root, the daemon's own user and the uids allowed explicitly.
 *
 * <p>The socket is bound inside a fresh private directory (0700) next to the final path, given its mode and group
 * there, then renamed into place. bind(2) creates the socket file with 0777 & ~umask, so binding at the final path
 * would leave a window in which anybody could connect before the chmod; inside the 0700 directory nobody but its
 * owner (and root) can reach the file, and rename(2) puts it at the final path with its final mode at once.
 * The uid check backs this up for what modes cannot say (a group member who is not to be let in, root-owned
 * parent directories shared with others).
 */
public final class SocketAccess {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_AND_GROUP = PosixFilePermissions.fromString("rw-rw----");

    private final String group;
    private final List<UserPrincipal> allowed;

    private SocketAccess(String group, List<UserPrincipal> allowed) {
        this.group = group;
        this.allowed = List.copyOf(allowed);
    }

    /** Mode 0600; root and the daemon's own user only. */
    public static SocketAccess ownerOnly() {
        return new SocketAccess(null, List.of());
    }

    /**
     * Mode 0660 and the given group (null: 0600, the daemon's group), and these uids let in beside root and the
     * daemon's own user.
     */
    public static SocketAccess of(String group, List<Integer> allowUids) throws IOException {
        var lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        List<UserPrincipal> users = new ArrayList<>();
        for (int uid : allowUids) {
            if (uid < 0) {
                throw new IllegalArgumentException("negative uid " + uid);
            }
            // A numeric name no user has resolves to that uid; a user named by digits would win, which getpwnam
            // makes unlikely enough (useradd refuses all-digit names).
            users.add(lookup.lookupPrincipalByName(Integer.toString(uid)));
        }
        if (group != null) {
            lookup.lookupPrincipalByGroupName(group); // an unknown group fails now, not at the first bind
        }
        return new SocketAccess(group, users);
    }

    /** The mode the socket files get. */
    public String mode() {
        return group == null ? "0600" : "0660";
    }

    /**
     * Binds a listening Unix socket at path with this mode and group, never reachable with a wider mode (see the
     * class comment). The caller has removed any stale socket there.
     */
    public ServerSocketChannel bind(Path path, int backlog) throws IOException {
        Path abs = path.toAbsolutePath();
        Path parent = abs.getParent();
        Path dir = privateDirectory(parent);
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------")); // whatever the umask
            Path tmp = dir.resolve("s");
            ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.bind(UnixDomainSocketAddress.of(tmp), backlog);
                Files.setPosixFilePermissions(tmp, group == null ? OWNER_ONLY : OWNER_AND_GROUP);
                if (group != null) {
                    GroupPrincipal g = FileSystems.getDefault().getUserPrincipalLookupService()
                            .lookupPrincipalByGroupName(group);
                    Files.getFileAttributeView(tmp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .setGroup(g);
                }
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
                return ch;
            } catch (IOException | RuntimeException e) {
                ch.close();
                Files.deleteIfExists(tmp);
                throw e;
            }
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    /**
     * A new 0700 directory in parent with a short name ("." and five random letters): the JDK binds socket paths of up to 106 bytes,
     * and the path bound inside it ("parent/.abcde/s") is no longer than "parent/nbd.sock", so a path that fits at
     * its final place fits here too (unless its file name is shorter than 8 bytes).
     */
    private static Path privateDirectory(Path parent) throws IOException {
        var rnd = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; ; attempt++) {
            StringBuilder name = new StringBuilder(".");
            for (int i = 0; i < 5; i++) {
                name.append(Character.forDigit(rnd.nextInt(36), 36));
            }
            try {
                return Files.createDirectory(parent.resolve(name.toString()),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt == 100) {
                    throw e;
                }
            }
        }
    }

    /**
     * Whether the peer of an accepted Unix connection may use it: root, the owner of the listening socket file
     * (the daemon's user) or an allowed uid. A peer whose credentials cannot be read is refused.
     */
    public boolean permits(SocketChannel ch, UserPrincipal daemonUser) {
        UnixDomainPrincipal peer;
        try {
            peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
        } catch (IOException | RuntimeException e) {
            return false;
        }
        UserPrincipal u = peer.user();
        return u.equals(ROOT) || u.equals(daemonUser) || allowed.contains(u);
    }

    /** A check for one listening socket file: its owner is the daemon's user. */
    public Predicate<SocketChannel> checkerFor(Path socketFile) throws IOException {
        UserPrincipal owner = Files.getOwner(socketFile, LinkOption.NOFOLLOW_LINKS);
        return ch -> permits(ch, owner);
    }

    private static final UserPrincipal ROOT;

    static {
        try {
            ROOT = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("0");
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Override
    public String toString() {
        return "mode " + mode() + (group != null ? " group " + group : "") + ", allowed " + allowed;
    }
}
