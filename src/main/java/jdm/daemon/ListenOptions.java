package jdm.daemon;

import java.nio.file.Path;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The listener options shared by "jdm daemon" and "jdm serve". */
final class ListenOptions {
    @Option(names = "--socket", paramLabel = "PATH", description = "Serve NBD on this Unix domain socket.")
    Path socket;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT",
            description = "Serve NBD on this TCP port (default 10809 when no --socket is given; 0: no TCP).")
    Integer port;

    @Option(names = {"-i", "--bind"}, paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "TCP address to listen on (default ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--control", paramLabel = "PATH",
            description = "Control socket for 'jdm dmsetup' (env JDM_CONTROL).")
    Path control;

    @Option(names = "--ram-disks", paramLabel = "N", defaultValue = "16",
            description = "RAM disks /dev/ram0../dev/ramN-1 (1:N) tables may use, as brd's rd_nr (default"
                    + " ${DEFAULT-VALUE}).")
    int ramDisks;

    @Option(names = "--ram-disk-size", paramLabel = "SIZE", defaultValue = "4M", converter = SizeConverter.class,
            description = "Size of each RAM disk, bytes or with K, M, G (default ${DEFAULT-VALUE}, as brd's rd_size);"
                    + " memory is taken only as they are written.")
    long ramDiskSizeBytes;

    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec mixee;

    @Option(names = "--handshake-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "Close NBD clients that have not chosen an export this long after connecting (default"
                    + " ${DEFAULT-VALUE}, as qemu-nbd; 0: no limit).")
    long handshakeTimeoutSeconds;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "256",
            description = "Serve at most N NBD connections at once; more are closed when accepted (default"
                    + " ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--max-inflight-bytes", paramLabel = "SIZE", defaultValue = "1G",
            converter = SizeConverter.class,
            description = "Keep the payload bytes of the requests in flight on all NBD connections together under"
                    + " SIZE, bytes or with K, M, G (default ${DEFAULT-VALUE}); over it, each connection goes on with one"
                    + " request at a time.")
    long maxInflightBytes;

    @Option(names = "--group", paramLabel = "GROUP",
            description = "Create the NBD and control sockets 0660 in this group (default: 0600) and let its members"
                    + " in.")
    String group;

    @Option(names = "--allow-uid", paramLabel = "UID",
            description = "Let this uid use the Unix sockets besides root and the daemon's own user (repeatable).")
    java.util.List<Integer> allowUids = new java.util.ArrayList<>();

    @Option(names = "--tls", paramLabel = "off|on|require", defaultValue = "off",
            converter = TlsModeConverter.class,
            description = "NBD_OPT_STARTTLS: off, on (offered) or require (clients must use TLS), as nbdkit's --tls"
                    + " (default ${DEFAULT-VALUE}).")
    jdm.nbd.TlsConfig.Mode tlsMode;

    @Option(names = "--tls-certificates", paramLabel = "DIR",
            description = "X.509 credentials for TLS: DIR/server-cert.pem and DIR/server-key.pem (nbdkit's layout).")
    Path tlsCertificates;

    @Option(names = "--tls-psk", paramLabel = "FILE",
            description = "Pre-shared keys for TLS: lines username:hexkey, as GnuTLS psktool writes.")
    Path tlsPsk;

    Daemon.Listen listen(Path defaultControl) {
        int tcp = port != null ? port : socket == null ? 10809 : 0;
        if (handshakeTimeoutSeconds < 0) {
            throw new picocli.CommandLine.ParameterException(mixee.commandLine(),
                    "--handshake-timeout must not be negative");
        }
        if (maxConnections < 1) {
            throw new picocli.CommandLine.ParameterException(mixee.commandLine(),
                    "--max-connections must be at least 1");
        }
        if (maxInflightBytes < 1) {
            throw new picocli.CommandLine.ParameterException(mixee.commandLine(),
                    "--max-inflight-bytes must be at least 1");
        }
        for (int uid : allowUids) {
            if (uid < 0) {
                throw new picocli.CommandLine.ParameterException(mixee.commandLine(), "--allow-uid " + uid
                        + " is negative");
            }
        }
        jdm.nbd.SocketAccess access;
        try {
            access = jdm.nbd.SocketAccess.of(group, allowUids);
        } catch (java.io.IOException e) {
            throw new picocli.CommandLine.ParameterException(mixee.commandLine(), "--group " + group
                    + ": no such group");
        }
        jdm.nbd.TlsConfig tls = tlsConfig();
        if (tcp > 0 && !isLoopback(bind) && tls == null) {
            System.err.println("jdm: warning: NBD over TCP on " + bind + " without TLS: anyone who can reach it"
                    + " can read and write the exports");
        }
        return new Daemon.Listen(socket, bind, tcp, control != null ? control : defaultControl, ramDisks,
                ramDiskSizeBytes, java.time.Duration.ofSeconds(handshakeTimeoutSeconds), maxConnections, access, tls,
                maxInflightBytes);
    }

    private jdm.nbd.TlsConfig tlsConfig() {
        var cl = mixee.commandLine();
        if (tlsCertificates != null && tlsPsk != null) {
            throw new picocli.CommandLine.ParameterException(cl, "--tls-certificates and --tls-psk exclude each"
                    + " other");
        }
        if (tlsMode == jdm.nbd.TlsConfig.Mode.OFF) {
            if (tlsCertificates != null || tlsPsk != null) {
                throw new picocli.CommandLine.ParameterException(cl, "TLS credentials given with --tls=off");
            }
            return null;
        }
        try {
            if (tlsPsk != null) {
                return jdm.nbd.TlsConfig.psk(tlsMode, tlsPsk);
            }
            if (tlsCertificates != null) {
                return jdm.nbd.TlsConfig.x509(tlsMode, tlsCertificates);
            }
        } catch (java.io.IOException | RuntimeException e) {
            throw new picocli.CommandLine.ParameterException(cl, "TLS credentials: " + e.getMessage());
        }
        String mode = tlsMode.name().toLowerCase(java.util.Locale.ROOT);
        throw new picocli.CommandLine.ParameterException(cl, "--tls=" + mode
                + " needs --tls-certificates DIR or --tls-psk FILE");
    }

    /** off, on, require (nbdkit's words). */
    static final class TlsModeConverter implements ITypeConverter<jdm.nbd.TlsConfig.Mode> {
        @Override
        public jdm.nbd.TlsConfig.Mode convert(String value) {
            return switch (value) {
                case "off" -> jdm.nbd.TlsConfig.Mode.OFF;
                case "on" -> jdm.nbd.TlsConfig.Mode.ON;
                case "require" -> jdm.nbd.TlsConfig.Mode.REQUIRE;
                default -> throw new TypeConversionException("--tls takes off, on or require, not " + value);
            };
        }
    }

    /** Whether host names only this machine (a name that does not resolve is not loopback: warn). */
    private static boolean isLoopback(String host) {
        try {
            for (var a : java.net.InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** Reads a size option; a bad one is a usage error. */
    static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return parseSize(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** "4096", "64K", "4M", "1G": bytes, binary units; a whole number of 512-byte sectors. */
    static long parseSize(String s) {
        if (s == null || s.isEmpty()) {
            throw new IllegalArgumentException("empty size");
        }
        char unit = Character.toUpperCase(s.charAt(s.length() - 1));
        int shift = switch (unit) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            default -> 0;
        };
        String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
        long v;
        try {
            v = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size: " + s);
        }
        if (v < 0 || v > (Long.MAX_VALUE >> shift) || ((v << shift) & 511) != 0) {
            throw new IllegalArgumentException(s + " is not a whole number of 512-byte sectors");
        }
        return v << shift;
    }
}
