package jdm.nbd;

/**
 * The threading policy of the transmission phase, kept apart from the protocol: where a validated request runs.
 * Normally on a thread of its own (the connection's submitter), so that many are in flight and a device that does
 * its I/O inside submit holds only that thread. On an otherwise idle connection whose device has been quick, the
 * reader runs it itself: another thread would only add a hand-off (and in a VM a cross-CPU wake-up) to the
 * latency, with nothing to overlap. Measured at queue depth 1: +50-75% IOPS over always handing off; no loss at 32.
 * A WRITE to a quick device runs on the reader at any depth: this thread just read its payload, so the bytes are in
 * its CPU's cache, and the reader has to stop for each payload anyway (measured under load, 4 KiB random write
 * QD32: about twice the IOPS at two thirds of the CPU). Reads still spread over threads when many are in flight:
 * their replies then leave in batches (measured: inlining them too cost 4 KiB random-read QD32 a third).
 */
final class Dispatch {
    private Dispatch() {
    }

    /** Runs r inline or hands it off; called by the reader once r holds its in-flight slot. */
    static void run(Connection conn, Request r) {
        if (r.tryByReference()) {
            return; // answered by reference, on this thread: nothing left to run
        }
        if (r.typical() && conn.submitCost().cheap()
                && (conn.inflight().requests() == 1 || r.command == NbdProtocol.CMD_WRITE)) {
            r.run();
            return;
        }
        try {
            conn.submitter().execute(r);
        } catch (RuntimeException | OutOfMemoryError e) { // no thread for it: run it here rather than lose it
            r.run();
        }
    }
}
