package jdm.nbd;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.RSAPrivateCrtKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.PSKTlsServer;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsPSKIdentityManager;
import org.bouncycastle.tls.TlsServer;
import org.bouncycastle.tls.TlsServerProtocol;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * TLS for NBD_OPT_STARTTLS, configured as nbdkit is: a mode (off, on: offered, require: nothing but STARTTLS and
 * ABORT before it) and either X.509 credentials from a directory in nbdkit's layout (server-cert.pem, its chain
 * after it, and server-key.pem) or pre-shared keys from a file of "username:hexkey" lines (GnuTLS psktool's
 * format, read at each handshake, so keys can be added without a restart). Bouncy Castle runs TLS: the JDK has no
 * TLS-PSK, which libnbd and qemu use with such files. Client certificates are not asked for (as nbdkit without
 * --tls-verify-peer).
 */
public final class TlsConfig {
    /** nbdkit's --tls values. */
    public enum Mode { OFF, ON, REQUIRE }

    private static final BcTlsCrypto CRYPTO = new BcTlsCrypto(new SecureRandom());

    private final Mode mode;
    private final Path pskFile;
    private final Certificate chain;
    private final AsymmetricKeyParameter key;

    private TlsConfig(Mode mode, Path pskFile, Certificate chain, AsymmetricKeyParameter key) {
        this.mode = mode;
        this.pskFile = pskFile;
        this.chain = chain;
        this.key = key;
    }

    /** Pre-shared keys from a psktool file; fails now if the file cannot be read or has a bad line. */
    public static TlsConfig psk(Mode mode, Path file) throws IOException {
        readPskFile(file);
        return new TlsConfig(requireOn(mode), file, null, null);
    }

    /** X.509: dir/server-cert.pem (then its chain) and dir/server-key.pem (PKCS#8, or PKCS#1 RSA). */
    public static TlsConfig x509(Mode mode, Path dir) throws IOException {
        List<byte[]> certs = pem(dir.resolve("server-cert.pem"), "CERTIFICATE");
        if (certs.isEmpty()) {
            throw new IOException(dir.resolve("server-cert.pem") + ": no certificate");
        }
        TlsCertificate[] chain = new TlsCertificate[certs.size()];
        for (int i = 0; i < chain.length; i++) {
            chain[i] = CRYPTO.createCertificate(certs.get(i));
        }
        return new TlsConfig(requireOn(mode), null, new Certificate(chain), privateKey(dir.resolve("server-key.pem")));
    }

    private static Mode requireOn(Mode mode) {
        if (Objects.requireNonNull(mode) == Mode.OFF) {
            throw new IllegalArgumentException("TLS credentials with --tls=off");
        }
        return mode;
    }

    public Mode mode() {
        return mode;
    }

    /** Runs the server side of a TLS handshake on a connection; returns the TLS connection as channels. */
    TlsChannel accept(SocketChannel ch) throws IOException {
        TlsServerProtocol protocol = new TlsServerProtocol(TlsChannel.inputOf(ch), TlsChannel.outputOf(ch));
        protocol.accept(pskFile != null ? pskServer() : x509Server());
        return new TlsChannel(ch, protocol);
    }

    private TlsServer pskServer() {
        return new PSKTlsServer(CRYPTO, new TlsPSKIdentityManager() {
            @Override
            public byte[] getHint() {
                return null;
            }

            @Override
            public byte[] getPSK(byte[] identity) {
                String user = new String(identity, StandardCharsets.UTF_8);
                try {
                    for (String[] entry : readPskFile(pskFile)) {
                        if (entry[0].equals(user)) {
                            return HexFormat.of().parseHex(entry[1]);
                        }
                    }
                } catch (IOException e) {
                    return null; // an unknown identity: the handshake fails with unknown_psk_identity
                }
                return null;
            }
        });
    }

    private TlsServer x509Server() {
        return new DefaultTlsServer(CRYPTO) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() {
                return ProtocolVersion.TLSv12.only(); // ECDHE suites signed with the server key
            }

            @Override
            protected int[] getSupportedCipherSuites() {
                // Only suites the key can sign for: the default list puts RSA first, which an EC key cannot serve.
                int[] suites = key instanceof ECPrivateKeyParameters ? new int[] {
                    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                    CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256} : new int[] {
                    CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                    CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                    CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256};
                return TlsUtils.getSupportedCipherSuites(getCrypto(), suites);
            }

            @Override
            protected TlsCredentialedSigner getRSASignerCredentials() throws IOException {
                return key instanceof RSAPrivateCrtKeyParameters ? signer(SignatureAlgorithm.rsa) : null;
            }

            @Override
            protected TlsCredentialedSigner getECDSASignerCredentials() throws IOException {
                return key instanceof ECPrivateKeyParameters ? signer(SignatureAlgorithm.ecdsa) : null;
            }

            private TlsCredentialedSigner signer(short algorithm) throws IOException {
                var sigAlgs = context.getSecurityParametersHandshake().getClientSigAlgs();
                return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), CRYPTO, key, chain,
                        TlsUtils.chooseSignatureAndHashAlgorithm(context, sigAlgs, algorithm));
            }
        };
    }

    /** The psktool file's entries, {username, hexkey}; a bad line is an error naming its number. */
    private static List<String[]> readPskFile(Path file) throws IOException {
        List<String[]> out = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            int colon = line.lastIndexOf(':');
            String hex = colon < 0 ? "" : line.substring(colon + 1).strip();
            if (colon <= 0 || hex.isEmpty() || hex.length() % 2 != 0 || !hex.chars().allMatch(c -> Character.digit(c,
                    16) >= 0)) {
                throw new IOException(file + ":" + n + ": not a username:hexkey line");
            }
            out.add(new String[] {line.substring(0, colon), hex});
        }
        return out;
    }

    /** The DER bodies of the PEM blocks of one type in a file, in order. */
    private static List<byte[]> pem(Path file, String type) throws IOException {
        List<byte[]> out = new ArrayList<>();
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        for (int i = text.indexOf(begin); i >= 0; i = text.indexOf(begin, i + 1)) {
            int j = text.indexOf(end, i);
            if (j < 0) {
                throw new IOException(file + ": unterminated " + type);
            }
            out.add(Base64.getMimeDecoder().decode(text.substring(i + begin.length(), j)));
        }
        return out;
    }

    private static AsymmetricKeyParameter privateKey(Path file) throws IOException {
        List<byte[]> pkcs8 = pem(file, "PRIVATE KEY");
        if (!pkcs8.isEmpty()) {
            return PrivateKeyFactory.createKey(PrivateKeyInfo.getInstance(pkcs8.get(0)));
        }
        List<byte[]> pkcs1 = pem(file, "RSA PRIVATE KEY");
        if (!pkcs1.isEmpty()) {
            RSAPrivateKey k = RSAPrivateKey.getInstance(pkcs1.get(0));
            return new RSAPrivateCrtKeyParameters(k.getModulus(), k.getPublicExponent(), k.getPrivateExponent(),
                    k.getPrime1(), k.getPrime2(), k.getExponent1(), k.getExponent2(), k.getCoefficient());
        }
        throw new IOException(file + ": no PRIVATE KEY or RSA PRIVATE KEY (unencrypted PEM) found");
    }
}
