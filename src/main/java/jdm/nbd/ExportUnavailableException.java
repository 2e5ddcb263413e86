package jdm.nbd;

/** The export asked for does not exist or cannot be opened; the message is sent to the client. */
public class ExportUnavailableException extends Exception {
    public ExportUnavailableException(String message) {
        super(message);
    }
}
