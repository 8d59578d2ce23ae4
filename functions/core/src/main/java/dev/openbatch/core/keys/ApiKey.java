package dev.openbatch.core.keys;

import java.time.Instant;
import java.util.Objects;

/**
 * What the service knows of one API key: the tenant it acts for and, once revoked, when. The key
 * itself is never stored, only its hash (see {@link ApiKeys#hash}).
 *
 * @param tenant    the tenant every request made with the key acts for
 * @param revokedAt when the key stops working, in Unix seconds, or null while it has not been revoked;
 *                  a time in the future schedules the revocation (a rotation's grace period)
 */
public record ApiKey(String tenant, Long revokedAt) {

    public ApiKey {
        Objects.requireNonNull(tenant, "tenant");
    }

    public boolean isRevokedAt(Instant now) {
        return revokedAt != null && now.getEpochSecond() >= revokedAt;
    }
}
