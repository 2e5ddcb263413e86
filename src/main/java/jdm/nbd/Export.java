package jdm.nbd;

import jdm.block.BlockDevice;

/** One opened export: a block device served to one connection. Closed once, when the connection is done with it. */
public interface Export extends AutoCloseable {
    /** The canonical name (what NBD_OPT_LIST shows); may differ from the name the client asked for, e.g. "". */
    String name();

    BlockDevice device();

    /** Writes are refused with EPERM and the client is told the export is read-only. */
    default boolean readOnly() {
        return device().readOnly();
    }

    /** Text for NBD_INFO_DESCRIPTION, or null for none. */
    default String description() {
        return null;
    }

    /** Called once after the connection's last request on this export has finished. */
    @Override
    void close();
}
