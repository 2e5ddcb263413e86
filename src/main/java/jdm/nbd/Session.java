package jdm.nbd;

/**
 * What the handshake agreed for one connection: the export, whether replies are chunks (NBD_OPT_STRUCTURED_REPLY,
 * or NBD_OPT_EXTENDED_HEADERS, which implies them), whether requests and replies use the 32-byte extended headers,
 * and whether the base:allocation metadata context was selected for that export (NBD_OPT_SET_META_CONTEXT), which
 * is what allows NBD_CMD_BLOCK_STATUS. The transmission flags the client was told follow from it ({@link #info}).
 */
record Session(Export export, boolean structuredReplies, boolean extendedHeaders, boolean baseAllocation) {
    /** The form of every reply header. */
    ReplyEncoder encoder() {
        return extendedHeaders ? ReplyEncoder.EXTENDED : structuredReplies ? ReplyEncoder.STRUCTURED
                : ReplyEncoder.SIMPLE;
    }

    ExportInfo info() {
        return ExportInfo.of(export, structuredReplies);
    }
}
