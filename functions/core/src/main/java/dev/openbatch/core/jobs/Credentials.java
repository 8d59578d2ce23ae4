package dev.openbatch.core.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The endpoint credentials a worker sends, as it last read them from their secrets, one per endpoint
 * of a job (each replica may have its own). A credential
 * rotated in its secret while workers run is picked up when the endpoint refuses the old one (401
 * or 403): the secret is read again, once for all the lines refused at the same moment, and the
 * refused line is sent once more with the new value. A secret that still holds the refused value
 * is not read again for a while, so an endpoint that refuses every line does not become a stream of
 * reads.
 */
public final class Credentials {

    private static final System.Logger LOG = System.getLogger(Credentials.class.getName());

    /** Credentials that are never read again: jobs whose headers are given, or no secret reader. */
    public static final Credentials FIXED = new Credentials(null, Clock.systemUTC(), Duration.ZERO);

    private final SecretReader secrets;
    private final Clock clock;
    private final Duration rereadAfter;
    /** By endpoint key, the header read after a refusal; absent, the endpoint's own. */
    private final Map<String, Job.AuthHeader> renewed = new ConcurrentHashMap<>();

    private final Map<String, Instant> readAt = new ConcurrentHashMap<>();

    /**
     * @param rereadAfter how long after one read a refusal may cause the next, when the secret had not changed
     */
    public Credentials(SecretReader secrets, Clock clock, Duration rereadAfter) {
        this.secrets = secrets;
        this.clock = clock;
        this.rereadAfter = rereadAfter;
    }

    /** The endpoint with the credential to send now. */
    public Job.Endpoint current(Job.Endpoint endpoint) {
        if (renewed.isEmpty()) {
            return endpoint;
        }
        Job.AuthHeader header = renewed.get(endpoint.key());
        return header == null ? endpoint : endpoint.withAuth(header);
    }

    /**
     * After the endpoint refused {@code refused}'s credential: the endpoint with another one to try, if its
     * secret now holds another (read again here, or by another line a moment ago), else empty.
     */
    public Optional<Job.Endpoint> renewed(Job.Endpoint refused) {
        Job.AuthHeader sent = refused.auth();
        if (secrets == null || sent == null || sent.secretArn() == null) {
            return Optional.empty();
        }
        synchronized (this) {
            Job.AuthHeader known = renewed.get(refused.key());
            if (known != null && !known.value().equals(sent.value())) {
                return Optional.of(refused.withAuth(known));
            }
            Instant now = clock.instant();
            Instant last = readAt.get(refused.key());
            if (last != null && now.isBefore(last.plus(rereadAfter))) {
                return Optional.empty();
            }
            readAt.put(refused.key(), now);
            String value;
            try {
                value = secrets.read(sent.secretArn());
            } catch (RuntimeException e) {
                // The refusal stands: the line fails with the endpoint's answer rather than the secret store's.
                LOG.log(
                        System.Logger.Level.WARNING,
                        "endpoint " + refused.key() + ": its secret could not be read again",
                        e);
                return Optional.empty();
            }
            if (value.equals(sent.value())) {
                return Optional.empty();
            }
            Job.AuthHeader header = new Job.AuthHeader(sent.name(), value, sent.secretArn());
            renewed.put(refused.key(), header);
            return Optional.of(refused.withAuth(header));
        }
    }
}
