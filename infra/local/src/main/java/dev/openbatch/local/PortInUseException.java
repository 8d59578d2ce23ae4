package dev.openbatch.local;

import java.net.BindException;

/**
 * A port the local runtime was asked to listen on is taken, most likely by another {@code bin/local}:
 * said in one line, with the option that moves it.
 */
final class PortInUseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    PortInUseException(String what, String host, int port, String option) {
        super("port " + port + " on " + host + " (" + what + ") is in use, probably by another bin/local:"
                + " stop that one, or move this one with " + option + " N");
    }

    /** Whether a server's start failed because its address was taken, however deep the cause lies. */
    static boolean isBindFailure(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof BindException
                    || cause.getMessage() != null && cause.getMessage().contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }
}
