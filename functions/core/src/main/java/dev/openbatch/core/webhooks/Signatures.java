package dev.openbatch.core.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signing, as OpenAI signs its deliveries and its SDKs' {@code webhooks.unwrap}
 * verifies them: headers {@code webhook-id}, {@code webhook-timestamp} (Unix seconds) and
 * {@code webhook-signature}, which is {@code v1,<base64 HMAC-SHA256 of "id.timestamp.body">} for each
 * secret that signs, space-separated — so a receiver holding either secret during a rotation verifies.
 * The HMAC key is the base64-decoded part of the secret after {@code whsec_}.
 */
public final class Signatures {

    public static final String PREFIX = "whsec_";
    private static final int SECRET_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Signatures() {}

    /** A new signing secret: {@code whsec_} and the base64 of 32 random bytes. */
    public static String newSecret() {
        byte[] key = new byte[SECRET_BYTES];
        RANDOM.nextBytes(key);
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** What the API shows of a secret after it has been answered once: its prefix and last four characters. */
    public static String hint(String secret) {
        return PREFIX + "…" + secret.substring(secret.length() - 4);
    }

    /** The three headers of a delivery of {@code body}, signed with each of {@code secrets}. */
    public static Map<String, String> headers(String eventId, long timestamp, byte[] body, List<String> secrets) {
        String signed = eventId + "." + timestamp + "." + new String(body, StandardCharsets.UTF_8);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("webhook-id", eventId);
        headers.put("webhook-timestamp", Long.toString(timestamp));
        headers.put(
                "webhook-signature",
                secrets.stream().map(s -> "v1," + sign(s, signed)).collect(Collectors.joining(" ")));
        return headers;
    }

    private static String sign(String secret, String content) {
        if (!secret.startsWith(PREFIX)) {
            throw new IllegalArgumentException("a signing secret starts with " + PREFIX);
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring(PREFIX.length())), "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(content.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("every JVM has HmacSHA256", e);
        }
    }
}
