package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * The fixed newstyle handshake (proto.md "Fixed newstyle negotiation", "Option types", "Option reply types"):
 * greeting, client flags, then option haggling until the client picks an export with NBD_OPT_EXPORT_NAME or
 * NBD_OPT_GO, aborts, or breaks the protocol. Every option other than EXPORT_NAME gets a reply, errors included,
 * so a client can fall back; the connection is only dropped where the spec allows (bad magic or client flags,
 * EXPORT_NAME that cannot be served, too many options).
 */
final class Handshake {
    private static final System.Logger LOG = System.getLogger(Handshake.class.getName());
    /** More options than any real client sends: beyond this the client is looping, so hang up. */
    private static final int MAX_OPTIONS = 256;
    /** Longest error message sent in an option reply, in bytes: proto.md's "SHOULD be no longer than 256 bytes". */
    static final int MAX_MESSAGE = 256;

    private final SocketInput in;
    private final WritableByteChannel out;
    private final Exports exports;
    private final BooleanSupplier shuttingDown;
    private boolean noZeroes;
    /** NBD_OPT_STRUCTURED_REPLY was acknowledged. */
    private boolean structured;
    /** NBD_OPT_EXTENDED_HEADERS was acknowledged: it takes precedence over structured replies and implies them. */
    private boolean extended;
    /** The export name for which the last NBD_OPT_SET_META_CONTEXT selected base:allocation, or null. */
    private String metaContextExport;

    private Handshake(SocketInput in, WritableByteChannel out, Exports exports, BooleanSupplier shuttingDown) {
        this.in = in;
        this.out = out;
        this.exports = exports;
        this.shuttingDown = shuttingDown;
    }

    /**
     * Runs the handshake; returns what was agreed (its export opened), or null when the connection should close.
     * Once shuttingDown says so, options are refused with NBD_REP_ERR_SHUTDOWN (proto.md).
     */
    static Session negotiate(SocketInput in, WritableByteChannel out, Exports exports, BooleanSupplier shuttingDown)
            throws IOException {
        return new Handshake(in, out, exports, shuttingDown).run();
    }

    private Session run() throws IOException {
        write(ByteBuffer.allocate(18).putLong(NBDMAGIC).putLong(IHAVEOPT)
                .putShort((short) (FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES)).flip());
        int clientFlags = in.readInt();
        if ((clientFlags & ~(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)) != 0) {
            LOG.log(Level.DEBUG, "unknown client flags 0x{0}: closing", Integer.toHexString(clientFlags));
            return null;
        }
        boolean fixed = (clientFlags & FLAG_C_FIXED_NEWSTYLE) != 0;
        noZeroes = (clientFlags & FLAG_C_NO_ZEROES) != 0;

        for (int n = 0; n < MAX_OPTIONS; n++) {
            if (in.readLong() != IHAVEOPT) {
                LOG.log(Level.DEBUG, "bad option magic: closing");
                return null;
            }
            int option = in.readInt();
            long length = in.readInt() & 0xffffffffL;
            boolean tooBig = length > MAX_OPTION;
            if (tooBig && (option == OPT_EXPORT_NAME || length > MAX_PAYLOAD)) {
                return null; // EXPORT_NAME cannot be answered with an error; a huge option is abuse
            }
            byte[] data = null;
            if (tooBig) {
                in.skip(length); // read past, then refused below: the same refusals come first as for any option
            } else {
                data = in.readBytes((int) length);
            }
            if (!fixed && option != OPT_EXPORT_NAME) {
                // Plain newstyle knows only EXPORT_NAME; answering keeps a confused client from hanging.
                reply(option, REP_ERR_INVALID, "fixed newstyle was not negotiated");
                continue;
            }
            StartTlsChannel tls = tls();
            if (tls != null && tls.required() && !tls.secure() && option != OPT_STARTTLS && option != OPT_ABORT) {
                if (option == OPT_EXPORT_NAME) {
                    return null; // cannot be refused with a reply
                }
                reply(option, REP_ERR_TLS_REQD, "TLS is required: negotiate NBD_OPT_STARTTLS first");
                continue;
            }
            if (shuttingDown.getAsBoolean() && option != OPT_ABORT) {
                if (option == OPT_EXPORT_NAME) {
                    return null; // cannot be refused with a reply
                }
                // The client must now abort (proto.md "Termination of the session during option haggling").
                reply(option, REP_ERR_SHUTDOWN, "the server is shutting down");
                continue;
            }
            if (tooBig) {
                if (option == OPT_ABORT) {
                    return abort(); // its data is ignored, as proto.md asks of servers
                }
                reply(option, option == OPT_STARTTLS ? REP_ERR_INVALID : REP_ERR_TOO_BIG, "option data too long");
                continue;
            }
            switch (option) {
                case OPT_EXPORT_NAME -> {
                    if (extended) {
                        // proto.md: a client that negotiated extended headers MUST NOT use it (no reply possible)
                        LOG.log(Level.DEBUG, "NBD_OPT_EXPORT_NAME after extended headers: closing");
                        return null;
                    }
                    return exportName(data);
                }
                case OPT_ABORT -> {
                    return abort();
                }
                case OPT_LIST -> list(data);
                case OPT_STARTTLS -> {
                    if (data.length != 0) {
                        reply(option, REP_ERR_INVALID, "STARTTLS takes no data");
                    } else if (tls == null) {
                        reply(option, REP_ERR_POLICY, "TLS is not enabled on this server");
                    } else if (tls.secure()) {
                        reply(option, REP_ERR_INVALID, "TLS is already negotiated");
                    } else if (in.buffered() != 0) {
                        // Bytes sent after STARTTLS before our reply would be taken as if they came over TLS
                        // (a plaintext injection, as CVE-2021-3716): the client broke the protocol.
                        return null;
                    } else {
                        ack(option);
                        tls.startTls();
                        // What was agreed in plaintext does not carry over: the client negotiates it again.
                        structured = false;
                        extended = false;
                        metaContextExport = null;
                    }
                }
                case OPT_INFO, OPT_GO -> {
                    Session s = infoOrGo(option, data);
                    if (s != null) {
                        return s;
                    }
                }
                case OPT_STRUCTURED_REPLY -> structuredReply(data);
                case OPT_EXTENDED_HEADERS -> extendedHeaders(data);
                case OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT -> metaContext(option, data);
                default -> reply(option, REP_ERR_UNSUP, "option " + option + " is not supported");
            }
        }
        LOG.log(Level.DEBUG, "more than {0} options: closing", MAX_OPTIONS);
        return null;
    }

    /** NBD_OPT_ABORT: ACK (its data, if any, ignored), then the connection closes; returns null for that. */
    private Session abort() {
        try {
            ack(OPT_ABORT);
        } catch (IOException ignored) {
            // the client may hang up without waiting for the ACK (proto.md allows both)
        }
        return null;
    }

    private void structuredReply(byte[] data) throws IOException {
        if (data.length != 0) {
            reply(OPT_STRUCTURED_REPLY, REP_ERR_INVALID, "STRUCTURED_REPLY takes no data");
            return;
        }
        if (extended) {
            reply(OPT_STRUCTURED_REPLY, REP_ERR_EXT_HEADER_REQD, "extended headers were negotiated: no downgrade");
            return;
        }
        structured = true;
        ack(OPT_STRUCTURED_REPLY);
    }

    /** NBD_OPT_EXTENDED_HEADERS: 32-byte headers from the transmission phase on; asking again changes nothing. */
    private void extendedHeaders(byte[] data) throws IOException {
        if (data.length != 0) {
            reply(OPT_EXTENDED_HEADERS, REP_ERR_INVALID, "EXTENDED_HEADERS takes no data");
            return;
        }
        extended = true;
        ack(OPT_EXTENDED_HEADERS);
    }

    /**
     * NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT (proto.md "Metadata querying"): export name, then
     * queries. The one context is base:allocation; LIST also matches "base:" and no query at all, SET only the full
     * name; queries of other namespaces are ignored. SET replaces the selection even when it fails.
     */
    private void metaContext(int option, byte[] data) throws IOException {
        boolean set = option == OPT_SET_META_CONTEXT;
        if (set) {
            metaContextExport = null;
        }
        if (!structured && !extended) {
            reply(option, REP_ERR_INVALID, "neither structured replies nor extended headers were negotiated");
            return;
        }
        ByteBuffer d = ByteBuffer.wrap(data);
        String name = d.remaining() >= 4 ? sizedString(d) : null;
        if (name == null || d.remaining() < 4) {
            reply(option, REP_ERR_INVALID, "malformed option data");
            return;
        }
        long queries = d.getInt() & 0xffffffffL;
        boolean match = !set && queries == 0;
        for (long i = 0; i < queries; i++) {
            String q = d.remaining() >= 4 ? sizedString(d) : null;
            if (q == null) {
                reply(option, REP_ERR_INVALID, "malformed query");
                return;
            }
            match |= q.equals(BASE_ALLOCATION) || !set && q.equals("base:");
        }
        if (d.hasRemaining()) {
            reply(option, REP_ERR_INVALID, "option data longer than its queries");
            return;
        }
        try {
            exports.open(name).close(); // the contexts are per export: it must exist
        } catch (ExportUnavailableException e) {
            reply(option, REP_ERR_UNKNOWN, e.getMessage());
            return;
        }
        if (match) {
            byte[] b = BASE_ALLOCATION.getBytes(StandardCharsets.US_ASCII);
            // LIST's ids are reserved (zero); SET's name the context in BLOCK_STATUS replies.
            reply(option, REP_META_CONTEXT, ByteBuffer.allocate(4 + b.length)
                    .putInt(set ? BASE_ALLOCATION_ID : 0).put(b).flip());
            if (set) {
                metaContextExport = name;
            }
        }
        ack(option);
    }

    /** A 32-bit length and that many bytes of protocol string, or null if it does not fit or breaks the rules. */
    private static String sizedString(ByteBuffer d) {
        long len = d.getInt() & 0xffffffffL;
        if (len > d.remaining()) {
            return null;
        }
        String s = string(d.array(), d.position(), (int) len);
        d.position(d.position() + (int) len);
        return s;
    }

    private Session session(Export export, String requestedName) {
        return new Session(export, structured || extended, extended, requestedName.equals(metaContextExport));
    }

    private Session exportName(byte[] data) throws IOException {
        String name = string(data, 0, data.length);
        if (name == null) {
            return null;
        }
        Export export;
        try {
            export = exports.open(name);
        } catch (ExportUnavailableException e) {
            LOG.log(Level.DEBUG, "NBD_OPT_EXPORT_NAME: {0}", e.getMessage());
            return null; // the only way to refuse EXPORT_NAME is to hang up
        }
        try {
            Session session = session(export, name);
            ExportInfo info = session.info();
            ByteBuffer b = ByteBuffer.allocate(10 + (noZeroes ? 0 : EXPORT_NAME_ZEROES));
            b.putLong(info.sizeBytes()).putShort((short) info.transmissionFlags());
            write(b.clear());
            return session;
        } catch (IOException | RuntimeException e) {
            export.close();
            throw e;
        }
    }

    private void list(byte[] data) throws IOException {
        if (data.length != 0) {
            reply(OPT_LIST, REP_ERR_INVALID, "LIST takes no data");
            return;
        }
        for (String name : exports.names()) {
            byte[] b = name.getBytes(StandardCharsets.UTF_8);
            String description = exports.description(name);
            byte[] d = description == null ? new byte[0] : description.getBytes(StandardCharsets.UTF_8);
            if (b.length <= MAX_STRING) {
                // After the name, the rest of the reply is a human-readable description.
                d = d.length <= MAX_STRING ? d : new byte[0];
                reply(OPT_LIST, REP_SERVER, ByteBuffer.allocate(4 + b.length + d.length).putInt(b.length).put(b)
                        .put(d).flip());
            }
        }
        ack(OPT_LIST);
    }

    /** NBD_OPT_INFO and NBD_OPT_GO share one format; returns the export only for a successful GO. */
    private Session infoOrGo(int option, byte[] data) throws IOException {
        ByteBuffer d = ByteBuffer.wrap(data);
        if (data.length < 6) {
            reply(option, REP_ERR_INVALID, "option data too short");
            return null;
        }
        long nameLength = d.getInt(0) & 0xffffffffL;
        if (nameLength > data.length - 6) {
            reply(option, REP_ERR_INVALID, "export name length exceeds option length");
            return null;
        }
        int nameLen = (int) nameLength;
        int requests = d.getShort(4 + nameLen) & 0xffff;
        if (data.length != 4 + nameLen + 2 + 2 * requests) {
            reply(option, REP_ERR_INVALID, "wrong number of information requests");
            return null;
        }
        String name = string(data, 4, nameLen);
        if (name == null) {
            reply(option, REP_ERR_INVALID, "export name too long or contains NUL");
            return null;
        }
        Export export;
        try {
            export = exports.open(name);
        } catch (ExportUnavailableException e) {
            reply(option, REP_ERR_UNKNOWN, e.getMessage());
            return null;
        }
        boolean open = true;
        try {
            Session session = session(export, name);
            ExportInfo info = session.info();
            // NBD_INFO_EXPORT is mandatory before ACK, whether asked for or not (qemu does not ask).
            info(option, ByteBuffer.allocate(12).putShort((short) INFO_EXPORT).putLong(info.sizeBytes())
                    .putShort((short) info.transmissionFlags()).flip());
            for (int i = 0; i < requests; i++) {
                if ((d.getShort(4 + nameLen + 2 + 2 * i) & 0xffff) == INFO_NAME) {
                    infoString(option, INFO_NAME, export.name());
                }
            }
            // Sent unasked too (the spec allows it; clients ignore what they did not ask for).
            String description = export.description();
            if (description != null && !description.isEmpty()) {
                infoString(option, INFO_DESCRIPTION, description);
            }
            // Always sent: requests must be aligned to the minimum block, stricter than the default of 1.
            info(option, ByteBuffer.allocate(14).putShort((short) INFO_BLOCK_SIZE).putInt(info.minBlock())
                    .putInt(info.preferredBlock()).putInt(info.maxPayload()).flip());
            if (option == OPT_INFO) {
                // Released before the ACK: a client that has its answer finds the export closed already.
                open = false;
                export.close();
            }
            ack(option);
            if (option == OPT_GO) {
                open = false;
                return session;
            }
            return null;
        } finally {
            if (open) {
                export.close();
            }
        }
    }

    private void infoString(int option, int type, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= MAX_STRING) {
            info(option, ByteBuffer.allocate(2 + b.length).putShort((short) type).put(b).flip());
        }
    }

    private void info(int option, ByteBuffer payload) throws IOException {
        reply(option, REP_INFO, payload);
    }

    private void ack(int option) throws IOException {
        reply(option, REP_ACK, (ByteBuffer) null);
    }

    /**
     * An error reply with a message; cut to {@link #MAX_MESSAGE} bytes (ending "..." then, a UTF-8 character never
     * split), since messages may quote what the client sent (a name).
     */
    private void reply(int option, int type, String message) throws IOException {
        if (message == null) {
            reply(option, type, (ByteBuffer) null);
            return;
        }
        byte[] b = message.getBytes(StandardCharsets.UTF_8);
        ByteBuffer payload = ByteBuffer.wrap(b);
        if (b.length > MAX_MESSAGE) {
            int end = MAX_MESSAGE - 3;
            while (end > 0 && (b[end] & 0xc0) == 0x80) {
                end--; // b[end] continues a character: cut before that character
            }
            payload = ByteBuffer.allocate(end + 3).put(b, 0, end).put("...".getBytes(StandardCharsets.US_ASCII)).flip();
        }
        reply(option, type, payload);
    }

    private void reply(int option, int type, ByteBuffer payload) throws IOException {
        int len = payload == null ? 0 : payload.remaining();
        ByteBuffer b = ByteBuffer.allocate(20 + len).putLong(REP_MAGIC).putInt(option).putInt(type).putInt(len);
        if (payload != null) {
            b.put(payload);
        }
        write(b.flip());
    }

    /**
     * The connection's channel when the server offers TLS: out (and in's channel) is then a {@link StartTlsChannel},
     * which STARTTLS switches to TLS; null on a server without TLS.
     */
    private StartTlsChannel tls() {
        return out instanceof StartTlsChannel t ? t : null;
    }

    private void write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    /** A protocol string: UTF-8, at most 4096 bytes, no NUL; null if it breaks those rules. */
    private static String string(byte[] data, int off, int len) {
        if (len > MAX_STRING) {
            return null;
        }
        for (int i = off; i < off + len; i++) {
            if (data[i] == 0) {
                return null;
            }
        }
        return new String(data, off, len, StandardCharsets.UTF_8);
    }
}
