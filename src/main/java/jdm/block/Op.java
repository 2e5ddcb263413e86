package jdm.block;

/** What a {@link Bio} asks of a device: the kernel's {@code REQ_OP_*}. */
public enum Op {
    READ,
    WRITE,
    /** An empty flush: make every completed write durable. */
    FLUSH,
    /** The range's contents become undefined; the device may free its space. */
    DISCARD,
    /** The range reads back as zeros; with {@link Bio#NOUNMAP} its space stays allocated. */
    WRITE_ZEROES;

    /** True for operations that carry a data buffer. */
    public boolean hasData() {
        return this == READ || this == WRITE;
    }

    /** True for operations that change the device's contents. */
    public boolean isWrite() {
        return this == WRITE || this == DISCARD || this == WRITE_ZEROES;
    }
}
