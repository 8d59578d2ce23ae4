package dev.openbatch.core.webhooks;

import java.util.Map;

/** Where deliveries go: a tenant's receivers, reached by https POST. */
public interface Receivers {

    /** A delivery that did not get an HTTP answer (refused address, no connection, timeout). */
    final class Unreachable extends Exception {
        private static final long serialVersionUID = 1L;

        public Unreachable(String reason) {
            super(reason, null, false, false);
        }
    }

    /** Refuses a URL no delivery may go to (its form, or an address of its host that is not public). */
    void check(String url) throws Unreachable;

    /** POSTs {@code body} (JSON) with {@code headers} to {@code url}; answers the receiver's HTTP status. */
    int post(String url, Map<String, String> headers, byte[] body) throws Unreachable, InterruptedException;
}
