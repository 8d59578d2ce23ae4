package dev.openbatch.core.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides whether a request's {@code Authorization: Bearer <key>} lets it in, and for which
 * tenant. Keys are stored as the SHA-256 of the whole key string, so the store never holds a key
 * that could be used, and a key can be issued with nothing but a shell:
 * {@code printf %s "$KEY" | sha256sum}.
 */
public final class ApiKeys {

    /** OpenAI's keys are about 50 to 170 characters; anything far beyond is not a key. */
    static final int MAX_KEY_LENGTH = 512;

    private static final Pattern BEARER = Pattern.compile("^\\s*bearer\\s+(\\S+)\\s*$", Pattern.CASE_INSENSITIVE);

    private final KeyStore store;
    private final Clock clock;

    public ApiKeys(KeyStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** The lowercase hex SHA-256 of the key's UTF-8 bytes: what the key store is keyed by. */
    public static String hash(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** The decision for a request that carries this {@code Authorization} header value (null when absent). */
    public Decision authorize(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return new Decision.Denied(Decision.Reason.MISSING);
        }
        Matcher bearer = BEARER.matcher(authorization);
        if (!bearer.matches() || bearer.group(1).length() > MAX_KEY_LENGTH) {
            return new Decision.Denied(Decision.Reason.MALFORMED);
        }
        return store.find(hash(bearer.group(1)))
                .<Decision>map(key -> key.isRevokedAt(clock.instant())
                        ? new Decision.Denied(Decision.Reason.REVOKED)
                        : new Decision.Allowed(key.tenant()))
                .orElse(new Decision.Denied(Decision.Reason.UNKNOWN));
    }
}
