package dev.openbatch.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;

/**
 * Identifiers in OpenAI's style ({@code file-...}, {@code batch_...}, {@code upload_...},
 * {@code part_...}) that sort by creation time: eight base-62 digits of the creation millisecond,
 * then sixteen random ones. Listing newest first is then a descending query on the id, and a cursor
 * is just an id.
 *
 * <p>Records made from something outside the service (an S3 drop) get derived ids instead: the same
 * source always yields the same id, so a redelivered event finds the records it made before.
 */
public final class Ids {

    private static final char[] DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final int TIME_DIGITS = 8;
    private static final int RANDOM_DIGITS = 16;

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public Ids(Clock clock) {
        this.clock = clock;
    }

    public String file() {
        return next("file-");
    }

    public String batch() {
        return next("batch_");
    }

    public String upload() {
        return next("upload_");
    }

    public String part() {
        return next("part_");
    }

    public String webhookEndpoint() {
        return next("whe_");
    }

    public String event() {
        return next("evt_");
    }

    /** The id of the event {@code type} of {@code subject} (a batch's end): always the same for the same two. */
    public static String eventOf(String subject, String type, long at) {
        return derived("evt_", Instant.ofEpochSecond(at), subject + "/" + type);
    }

    /** The file id of {@code source}, which came into being at {@code at}: always the same for the same two. */
    public static String fileOf(Instant at, String source) {
        return derived("file-", at, source);
    }

    /** The batch id of {@code source}, which came into being at {@code at}: always the same for the same two. */
    public static String batchOf(Instant at, String source) {
        return derived("batch_", at, source);
    }

    private String next(String prefix) {
        char[] id = timed(clock.millis());
        for (int i = TIME_DIGITS; i < id.length; i++) {
            id[i] = DIGITS[random.nextInt(DIGITS.length)];
        }
        return prefix + new String(id);
    }

    /** The time digits from {@code at}, the rest from a SHA-256 of the prefix and the source. */
    private static String derived(String prefix, Instant at, String source) {
        char[] id = timed(at.toEpochMilli());
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest((prefix + source).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        for (int i = TIME_DIGITS; i < id.length; i++) {
            id[i] = DIGITS[(digest[i - TIME_DIGITS] & 0xff) % DIGITS.length];
        }
        return prefix + new String(id);
    }

    private static char[] timed(long millis) {
        char[] id = new char[TIME_DIGITS + RANDOM_DIGITS];
        for (int i = TIME_DIGITS - 1; i >= 0; i--) {
            id[i] = DIGITS[(int) (millis % DIGITS.length)];
            millis /= DIGITS.length;
        }
        return id;
    }
}
