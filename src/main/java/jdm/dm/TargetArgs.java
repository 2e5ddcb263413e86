package jdm.dm;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * What a target constructor gets: its table words (the kernel's argc/argv), its place in the table, and the
 * table's services (device acquisition, events). Devices acquired here are released by the table, so targets hold
 * no cleanup code.
 */
public final class TargetArgs {
    private final String[] argv;
    private final long beginSector;
    private final long lengthSectors;
    private final Table.Builder table;

    TargetArgs(String[] argv, long beginSector, long lengthSectors, Table.Builder table) {
        this.argv = argv;
        this.beginSector = beginSector;
        this.lengthSectors = lengthSectors;
        this.table = table;
    }

    /** A cursor over the words from the first, to read them in order with bounds and error sentences. */
    public ArgCursor cursor() {
        return new ArgCursor(this);
    }

    /** Number of words: argc. */
    public int count() {
        return argv.length;
    }

    public String word(int i) {
        return argv[i];
    }

    /** Words from index i on. */
    public String[] from(int i) {
        return Arrays.copyOfRange(argv, i, argv.length);
    }

    public long beginSector() {
        return beginSector;
    }

    public long lengthSectors() {
        return lengthSectors;
    }

    /** True when the table is loaded read-only. */
    public boolean readOnly() {
        return table.readOnly();
    }

    /**
     * Acquires a device named by a table word (a file path, a mapped device's name or /dev/mapper/NAME, or
     * major:minor); on failure throws {@code error} (the target's ti->error) with the reason in parentheses.
     */
    public DmDev device(String word, String error) throws DmException {
        return table.acquire(word, error);
    }

    /** Lets the target raise a device event (dmsetup info's "Event number"), as dm_table_event. */
    public Runnable eventTrigger() {
        return table.eventTrigger();
    }

    /**
     * Where the target writes what the kernel's DMERR/DMINFO would log: whole lines, prefix included
     * ("device-mapper: dust: ..."); read back with "jdm dmesg". Valid for the target's lifetime.
     */
    public Consumer<String> kernelLog() {
        return table.kernelLog();
    }

    /**
     * Parses a sector number as the kernel's sscanf("%llu%c") check: decimal digits only; -1 when invalid.
     */
    public static long parseSector(String word) {
        return parseUnsigned(word, Long.MAX_VALUE);
    }

    /** Parses a decimal unsigned number up to max, like kstrtouint/kstrtoull; -1 when invalid or too large. */
    public static long parseUnsigned(String word, long max) {
        if (word.isEmpty() || word.length() > 19) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v <= max ? v : -1;
    }
}
