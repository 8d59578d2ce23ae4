package dev.openbatch.core.keys;

/** Whether a request may go in, and for which tenant. */
public sealed interface Decision {

    /** The request acts for this tenant. */
    record Allowed(String tenant) implements Decision {}

    /** The request is refused, and why: for a log line or an error message, never for the caller to probe keys. */
    record Denied(Reason reason) implements Decision {}

    enum Reason {
        /** No {@code Authorization} header. */
        MISSING,
        /** A header that is not {@code Bearer <key>}. */
        MALFORMED,
        /** A key that was never issued. */
        UNKNOWN,
        /** A key that was, and has been revoked. */
        REVOKED
    }
}
