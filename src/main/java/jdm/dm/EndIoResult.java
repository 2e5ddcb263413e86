package jdm.dm;

/** A target's verdict when a bio it mapped has ended: the kernel's DM_ENDIO_* values (dm_endio_fn). */
public enum EndIoResult {
    /** The clone's status goes to the original bio. */
    DONE,
    /**
     * The target keeps the clone and either resubmits it or ends it again later; either way it comes back through
     * end-io. The core has re-armed it (one completion reference, status OK) before calling end-io, so the target
     * may hand it to another thread before returning.
     */
    INCOMPLETE,
    /** Retry the original I/O after resume: held across a noflush suspend, otherwise failed with IOERR. */
    REQUEUE
}
