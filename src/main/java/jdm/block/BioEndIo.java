package jdm.block;

/** Called once when a {@link Bio} ends; {@link Bio#status()} tells how. The kernel's {@code bi_end_io}. */
@FunctionalInterface
public interface BioEndIo {
    void bioEndIo(Bio bio);
}
