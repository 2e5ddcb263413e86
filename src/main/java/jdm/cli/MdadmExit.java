package jdm.cli;

/** mdadm stopping with a status after printing a message to standard error (its pr_err and exit). */
final class MdadmExit extends Exception {
    private final int status;

    MdadmExit(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }
}
