package jdm.nbd;

/**
 * How long a connection's recent bios held the submitting thread for the device, as a moving average: a device that
 * completes inside submit (FileDevice) holds it for the whole I/O, an asynchronous one returns at once. The reader
 * runs a request on its own thread only while this is cheap (see {@link Transmission}).
 */
final class SubmitCost {
    /** Page-cache hits take a few microseconds; disks take tens and more. */
    private static final long CHEAP_NANOS = 20_000;

    private volatile long averageNanos = CHEAP_NANOS; // unknown device: not cheap until samples show it

    /** Adds a sample to an exponential moving average over about the last 8 (a racing update may be lost). */
    void record(long nanos) {
        long a = averageNanos;
        averageNanos = a + ((nanos - a) >> 3);
    }

    boolean cheap() {
        return averageNanos < CHEAP_NANOS;
    }
}
