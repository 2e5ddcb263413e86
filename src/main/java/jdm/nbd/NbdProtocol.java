package jdm.nbd;

/**
 * Wire constants of the NBD protocol (NetworkBlockDevice/nbd doc/proto.md): magics, handshake and transmission
 * flags, options, option replies, info types, commands and command flags. All numbers are big-endian on the wire.
 */
final class NbdProtocol {
    private NbdProtocol() {
    }

    // Handshake magics.
    static final long NBDMAGIC = 0x4e42444d41474943L; // "NBDMAGIC"
    static final long IHAVEOPT = 0x49484156454F5054L; // "IHAVEOPT"
    static final long REP_MAGIC = 0x3e889045565a9L;

    // Handshake flags (server, 16 bits) and client flags (32 bits).
    static final int FLAG_FIXED_NEWSTYLE = 1;
    static final int FLAG_NO_ZEROES = 1 << 1;
    static final int FLAG_C_FIXED_NEWSTYLE = 1;
    static final int FLAG_C_NO_ZEROES = 1 << 1;

    // Transmission flags (16 bits).
    static final int FLAG_HAS_FLAGS = 1;
    static final int FLAG_READ_ONLY = 1 << 1;
    static final int FLAG_SEND_FLUSH = 1 << 2;
    static final int FLAG_SEND_FUA = 1 << 3;
    static final int FLAG_SEND_TRIM = 1 << 5;
    static final int FLAG_SEND_WRITE_ZEROES = 1 << 6;
    static final int FLAG_SEND_DF = 1 << 7;
    static final int FLAG_CAN_MULTI_CONN = 1 << 8;
    static final int FLAG_SEND_CACHE = 1 << 10;
    static final int FLAG_SEND_FAST_ZERO = 1 << 11;

    // Options.
    static final int OPT_EXPORT_NAME = 1;
    static final int OPT_ABORT = 2;
    static final int OPT_LIST = 3;
    static final int OPT_STARTTLS = 5;
    static final int OPT_INFO = 6;
    static final int OPT_GO = 7;
    static final int OPT_STRUCTURED_REPLY = 8;
    static final int OPT_LIST_META_CONTEXT = 9;
    static final int OPT_SET_META_CONTEXT = 10;
    static final int OPT_EXTENDED_HEADERS = 11;

    // Option reply types; errors have bit 31 set.
    static final int REP_ACK = 1;
    static final int REP_SERVER = 2;
    static final int REP_INFO = 3;
    static final int REP_META_CONTEXT = 4;
    static final int REP_ERR_UNSUP = 0x80000001;
    static final int REP_ERR_POLICY = 0x80000002;
    static final int REP_ERR_INVALID = 0x80000003;
    static final int REP_ERR_TLS_REQD = 0x80000005;
    static final int REP_ERR_UNKNOWN = 0x80000006;
    static final int REP_ERR_SHUTDOWN = 0x80000007;
    static final int REP_ERR_TOO_BIG = 0x80000009;
    static final int REP_ERR_EXT_HEADER_REQD = 0x8000000a;

    // NBD_REP_INFO types.
    static final int INFO_EXPORT = 0;
    static final int INFO_NAME = 1;
    static final int INFO_DESCRIPTION = 2;
    static final int INFO_BLOCK_SIZE = 3;

    // Transmission messages.
    static final int REQUEST_MAGIC = 0x25609513;
    static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    static final int REQUEST_HEADER_BYTES = 28;
    static final int SIMPLE_REPLY_BYTES = 16;
    static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;
    static final int STRUCTURED_REPLY_BYTES = 20;
    // Extended headers (NBD_OPT_EXTENDED_HEADERS): 32-byte requests with a 64-bit length, 32-byte reply chunks.
    static final int EXTENDED_REQUEST_MAGIC = 0x21e41c71;
    static final int EXTENDED_REPLY_MAGIC = 0x6e8a278c;
    static final int EXTENDED_HEADER_BYTES = 32;

    // Structured reply flags and chunk types; error chunks have bit 15 set.
    static final int REPLY_FLAG_DONE = 1;
    static final int REPLY_TYPE_NONE = 0;
    static final int REPLY_TYPE_OFFSET_DATA = 1;
    static final int REPLY_TYPE_OFFSET_HOLE = 2;
    static final int REPLY_TYPE_BLOCK_STATUS = 5;
    static final int REPLY_TYPE_BLOCK_STATUS_EXT = 6;
    static final int REPLY_TYPE_ERROR = (1 << 15) + 1;
    static final int REPLY_TYPE_ERROR_OFFSET = (1 << 15) + 2;

    // The base:allocation metadata context: its name, the id we give it, and its status flags.
    static final String BASE_ALLOCATION = "base:allocation";
    static final int BASE_ALLOCATION_ID = 1;
    static final int STATE_HOLE = 1;
    static final int STATE_ZERO = 2;

    // Commands.
    static final int CMD_READ = 0;
    static final int CMD_WRITE = 1;
    static final int CMD_DISC = 2;
    static final int CMD_FLUSH = 3;
    static final int CMD_TRIM = 4;
    static final int CMD_CACHE = 5;
    static final int CMD_WRITE_ZEROES = 6;
    static final int CMD_BLOCK_STATUS = 7;

    // Command flags.
    static final int CMD_FLAG_FUA = 1;
    static final int CMD_FLAG_NO_HOLE = 1 << 1;
    static final int CMD_FLAG_DF = 1 << 2;
    static final int CMD_FLAG_REQ_ONE = 1 << 3;
    static final int CMD_FLAG_FAST_ZERO = 1 << 4;
    static final int CMD_FLAG_PAYLOAD_LEN = 1 << 5;

    /** Longest string the spec allows (export names, messages). */
    static final int MAX_STRING = 4096;
    /** Largest READ/WRITE payload we take: the spec's portable maximum, 32 MiB. */
    static final int MAX_PAYLOAD = 32 << 20;
    /** Largest option payload we read; longer ones are discarded and refused with TOO_BIG. */
    static final int MAX_OPTION = 64 << 10;
    /** Size of the reserved zero block after NBD_OPT_EXPORT_NAME's reply without NO_ZEROES. */
    static final int EXPORT_NAME_ZEROES = 124;
}
