package jdm.control;

/**
 * A set of control operations one part of the daemon answers (dm's ioctls now, md's controls next): it registers
 * each operation, with the ioctl its errors name, into the server's {@link Operations}.
 */
@FunctionalInterface
public interface Subsystem {
    void register(Operations ops);
}
