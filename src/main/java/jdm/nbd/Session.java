package jdm.nbd;

/**
 * What the handshake agreed for one connection: the export, whether replies are structured (NBD_OPT_STRUCTURED_REPLY)
 * and whether the base:allocation metadata context was selected for that export (NBD_OPT_SET_META_CONTEXT), which
 * is what allows NBD_CMD_BLOCK_STATUS. The transmission flags the client was told follow from it ({@link #info}).
 */
record Session(Export export, boolean structuredReplies, boolean baseAllocation) {
    ExportInfo info() {
        return ExportInfo.of(export, structuredReplies);
    }
}
