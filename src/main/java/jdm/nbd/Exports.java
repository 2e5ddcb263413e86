package jdm.nbd;

import java.util.List;

/**
 * What an {@link NbdServer} offers: the export names it lists and a way to open one by name. The server opens an
 * export when a client picks it (NBD_OPT_EXPORT_NAME or NBD_OPT_GO; NBD_OPT_INFO opens and closes at once) and
 * closes it when the connection ends, after its last request has finished, so an implementation can count opens.
 * Implementations are called from many connection threads at once.
 */
public interface Exports {
    /** Names for NBD_OPT_LIST. */
    List<String> names();

    /** Text shown next to the name in NBD_OPT_LIST replies, or null; must not open the export. */
    default String description(String name) {
        return null;
    }

    /**
     * Opens the named export. The empty name asks for the default export (proto.md: "reserved for a default
     * export"); implementations map it to one or refuse it.
     *
     * @throws ExportUnavailableException when there is no such export or it cannot be opened now; the message goes
     *         to the client
     */
    Export open(String name) throws ExportUnavailableException;
}
