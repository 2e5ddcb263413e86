package jdm.dm;

/** A target's verdict when a bio it mapped has ended: the kernel's DM_ENDIO_* values (dm_endio_fn). */
public enum EndIoResult {
    /** The clone's status goes to the original bio. */
    DONE,
    /**
     * The target keeps the clone: the core re-arms it (one completion reference, status OK) and the target either
     * resubmits it or ends it again later; either way it comes back through end-io.
     */
    INCOMPLETE,
    /** Retry the original I/O after resume: held across a noflush suspend, otherwise failed with IOERR. */
    REQUEUE
}
