package jdm.block;

/**
 * A device's I/O limits, the parts of the kernel's {@code struct queue_limits} the stack uses, and how stacked
 * devices combine them (block/blk-settings.c: blk_set_stacking_limits, blk_stack_limits, blk_limits_io_min/opt).
 *
 * @param logicalBlockBytes smallest addressable unit; requests are aligned to it
 * @param physicalBlockBytes smallest unit written without read-modify-write
 * @param ioMinBytes preferred minimum request size (a striped device's chunk)
 * @param ioOptBytes optimal request size, 0 when none (a striped device's full stripe); read-ahead follows it
 * @param maxSectors largest request the device takes at once; larger ones are split by the submitter
 * @param discardGranularityBytes the unit discards are tracked in, 0 when the device does not say
 * @param maxDiscardSectors largest discard at once, 0 for no limit of its own
 */
public record QueueLimits(int logicalBlockBytes, int physicalBlockBytes, int ioMinBytes, int ioOptBytes,
                          int maxSectors, int discardGranularityBytes, long maxDiscardSectors) {
    /** A leaf device's limits: 512-byte sectors, 4 KiB physical blocks, 32 MiB requests. */
    public static final QueueLimits DEFAULT = new QueueLimits(Bio.SECTOR_SIZE, 4096, 65536);

    /** What a stacked device starts from before its parts are combined in: blk_set_stacking_limits. */
    public static final QueueLimits STACKING = new QueueLimits(Bio.SECTOR_SIZE, Bio.SECTOR_SIZE, Bio.SECTOR_SIZE,
            0, Integer.MAX_VALUE, 0, 0);

    /** A device with these block sizes and request limit, io_min at its physical block, no io_opt. */
    public QueueLimits(int logicalBlockBytes, int physicalBlockBytes, int maxSectors) {
        this(logicalBlockBytes, physicalBlockBytes, Math.max(logicalBlockBytes, physicalBlockBytes), 0, maxSectors,
                0, 0);
    }

    /** These limits combined with a lower device's: blk_stack_limits (alignment offsets aside). */
    public QueueLimits stack(QueueLimits bottom) {
        return builder().stack(bottom).build();
    }

    public Builder builder() {
        return new Builder(this);
    }

    /** Limits under construction: what a target's io_hints adjusts and what stacking accumulates into. */
    public static final class Builder {
        private int logical;
        private int physical;
        private int ioMin;
        private int ioOpt;
        private int maxSectors;
        private int discardGranularity;
        private long maxDiscardSectors;

        Builder(QueueLimits l) {
            logical = l.logicalBlockBytes;
            physical = l.physicalBlockBytes;
            ioMin = l.ioMinBytes;
            ioOpt = l.ioOptBytes;
            maxSectors = l.maxSectors;
            discardGranularity = l.discardGranularityBytes;
            maxDiscardSectors = l.maxDiscardSectors;
        }

        /** Combines in a lower device's limits: the larger block sizes, the smaller request limits. */
        public Builder stack(QueueLimits b) {
            maxSectors = minNotZero(maxSectors, b.maxSectors);
            logical = Math.max(logical, b.logicalBlockBytes);
            physical = Math.max(physical, b.physicalBlockBytes);
            ioMin = Math.max(ioMin, b.ioMinBytes);
            ioOpt = lcmNotZero(ioOpt, b.ioOptBytes);
            if (physical < logical) {
                physical = logical;
            }
            if (ioMin < physical) {
                ioMin = physical;
            }
            discardGranularity = Math.max(discardGranularity, b.discardGranularityBytes);
            maxDiscardSectors = minNotZero(maxDiscardSectors, b.maxDiscardSectors);
            return this;
        }

        /** Sets io_min, raised to the block sizes: blk_limits_io_min. */
        public Builder ioMin(int bytes) {
            ioMin = Math.max(bytes, Math.max(logical, physical));
            return this;
        }

        /** Sets io_opt: blk_limits_io_opt. */
        public Builder ioOpt(int bytes) {
            ioOpt = bytes;
            return this;
        }

        public Builder logicalBlock(int bytes) {
            logical = bytes;
            return this;
        }

        public Builder physicalBlock(int bytes) {
            physical = bytes;
            return this;
        }

        public Builder maxSectors(int sectors) {
            maxSectors = sectors;
            return this;
        }

        public Builder discardGranularity(int bytes) {
            discardGranularity = bytes;
            return this;
        }

        public Builder maxDiscardSectors(long sectors) {
            maxDiscardSectors = sectors;
            return this;
        }

        public int ioMinBytes() {
            return ioMin;
        }

        public int ioOptBytes() {
            return ioOpt;
        }

        public int logicalBlockBytes() {
            return logical;
        }

        public QueueLimits build() {
            return new QueueLimits(logical, physical, ioMin, ioOpt, maxSectors, discardGranularity,
                    maxDiscardSectors);
        }

        private static int minNotZero(int a, int b) {
            return a == 0 ? b : b == 0 ? a : Math.min(a, b);
        }

        private static long minNotZero(long a, long b) {
            return a == 0 ? b : b == 0 ? a : Math.min(a, b);
        }

        private static int lcmNotZero(int a, int b) {
            if (a == 0 || b == 0) {
                return a == 0 ? b : a;
            }
            long l = (long) a / gcd(a, b) * b;
            return l > Integer.MAX_VALUE ? Math.max(a, b) : (int) l;
        }

        private static int gcd(int a, int b) {
            while (b != 0) {
                int t = a % b;
                a = b;
                b = t;
            }
            return a;
        }
    }
}
