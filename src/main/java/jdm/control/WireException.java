package jdm.control;

import java.io.IOException;

/** A control frame that does not follow {@link Wire}'s format; the message says what is wrong and where. */
public final class WireException extends IOException {
    public WireException(String message) {
        super(message);
    }
}
