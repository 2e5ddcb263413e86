package jdm.dm;

/** A target's verdict on a bio it was asked to map: the kernel's DM_MAPIO_* values. */
public enum MapResult {
    /** The bio was pointed at a lower device; the core submits it. */
    REMAPPED,
    /** The target has taken the bio and will end it (or already has). */
    SUBMITTED,
    /** End the bio with an I/O error. */
    KILL,
    /** Retry the original I/O later: kept across a noflush suspend, otherwise failed. */
    REQUEUE
}
