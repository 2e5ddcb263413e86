package jdm.dm;

/**
 * Reads a target's table words in order, with bounds, each failure throwing the caller's ti->error sentence: the
 * kernel's struct dm_arg_set with dm_shift_arg, dm_read_arg, dm_read_arg_group and dm_consume_args
 * (drivers/md/dm-table.c). Big targets read their {@code <#feature args> [<arg>]*} groups with it:
 *
 * <pre>{@code
 * ArgCursor as = args.cursor();
 * long stripes = as.readUnsigned(1, 0xffffffffL, "Invalid stripe count");
 * int n = as.readGroup(0, 4, "Invalid number of feature args");
 * while (n-- > 0) switch (as.shift()) { case "ignore_discard" -> ...; default -> throw ...; }
 * }</pre>
 */
public final class ArgCursor {
    private final TargetArgs args;
    private int next;

    ArgCursor(TargetArgs args) {
        this.args = args;
    }

    /** Words not read yet: the arg set's argc. */
    public int remaining() {
        return args.count() - next;
    }

    /** The next word, or null when none is left: dm_shift_arg. */
    public String shift() {
        return next < args.count() ? args.word(next++) : null;
    }

    /** Skips n words, which must be there: dm_consume_args. */
    public void consume(int n) {
        if (n < 0 || n > remaining()) {
            throw new IllegalArgumentException("consume " + n + " of " + remaining() + " words");
        }
        next += n;
    }

    /**
     * Shifts the next word as a decimal unsigned number within [min, max]; a missing, malformed or out-of-bounds
     * word throws {@code error}: dm_read_arg.
     */
    public long readUnsigned(long min, long max, String error) throws DmException {
        String w = shift();
        long v = w == null ? -1 : TargetArgs.parseUnsigned(w, max);
        if (v < 0 || v < min) {
            throw DmException.invalid(error);
        }
        return v;
    }

    /**
     * Shifts the size of an argument group within [min, max] that must not exceed the words left; else throws
     * {@code error}: dm_read_arg_group.
     */
    public int readGroup(int min, int max, String error) throws DmException {
        long n = readUnsigned(min, max, error);
        if (n > remaining()) {
            throw DmException.invalid(error);
        }
        return (int) n;
    }

    /** Shifts a sector number (sscanf "%llu%c": decimal digits only); else throws {@code error}. */
    public long readSector(String error) throws DmException {
        String w = shift();
        long v = w == null ? -1 : TargetArgs.parseSector(w);
        if (v < 0) {
            throw DmException.invalid(error);
        }
        return v;
    }

    /** Shifts a device word and acquires the device it names (see {@link TargetArgs#device}). */
    public DmDev device(String error) throws DmException {
        String w = shift();
        if (w == null) {
            throw DmException.invalid(error);
        }
        return args.device(w, error);
    }
}
