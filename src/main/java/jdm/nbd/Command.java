package jdm.nbd;

import static jdm.nbd.NbdProtocol.*;

/**
 * The transmission commands this server knows (proto.md "Request types") with the flags each accepts and the
 * transmission flag that must have been advertised for it. A request with an unknown command, a command not
 * advertised, or a flag outside its set (or whose transmission flag was not sent) is refused with EINVAL.
 */
enum Command {
    READ(CMD_READ, CMD_FLAG_FUA | CMD_FLAG_DF, 0),
    WRITE(CMD_WRITE, CMD_FLAG_FUA, 0),
    FLUSH(CMD_FLUSH, CMD_FLAG_FUA, FLAG_SEND_FLUSH),
    TRIM(CMD_TRIM, CMD_FLAG_FUA, FLAG_SEND_TRIM),
    CACHE(CMD_CACHE, CMD_FLAG_FUA, FLAG_SEND_CACHE),
    WRITE_ZEROES(CMD_WRITE_ZEROES, CMD_FLAG_FUA | CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO, FLAG_SEND_WRITE_ZEROES),
    BLOCK_STATUS(CMD_BLOCK_STATUS, CMD_FLAG_FUA | CMD_FLAG_REQ_ONE, 0);

    private static final Command[] BY_TYPE = new Command[8];

    static {
        for (Command c : values()) {
            BY_TYPE[c.type] = c;
        }
    }

    final int type;
    private final int flags;
    private final int advertisedBy;

    Command(int type, int flags, int advertisedBy) {
        this.type = type;
        this.flags = flags;
        this.advertisedBy = advertisedBy;
    }

    /** The command of a request's type field, or null if unknown (DISC is handled before this lookup). */
    static Command of(int type) {
        return type >= 0 && type < BY_TYPE.length ? BY_TYPE[type] : null;
    }

    /** True for commands that change the export's contents (refused with EPERM on a read-only export). */
    boolean changesData() {
        return this == WRITE || this == TRIM || this == WRITE_ZEROES;
    }

    /** True if the client was told it may send this command (read-only exports still get EPERM for writes). */
    boolean advertised(int transmissionFlags) {
        return advertisedBy == 0 || (transmissionFlags & advertisedBy) != 0 || changesData();
    }

    /** The request flags allowed with this command, given the transmission flags sent. */
    int allowedFlags(int transmissionFlags) {
        int f = flags;
        if ((transmissionFlags & FLAG_SEND_FUA) == 0) {
            f &= ~CMD_FLAG_FUA;
        }
        if ((transmissionFlags & FLAG_SEND_DF) == 0) {
            f &= ~CMD_FLAG_DF;
        }
        if ((transmissionFlags & FLAG_SEND_FAST_ZERO) == 0) {
            f &= ~CMD_FLAG_FAST_ZERO;
        }
        return f;
    }
}
