package dev.openbatch.core;

import java.security.SecureRandom;
import java.time.Clock;

/**
 * Identifiers in OpenAI's style ({@code file-...}, {@code batch_...}, {@code upload_...}, {@code part_...}) that sort by creation time:
 * eight base-62 digits of the creation millisecond, then sixteen random ones. Listing newest first
 * is then a descending query on the id, and a cursor is just an id.
 */
public final class Ids {

    private static final char[] DIGITS =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
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

    private String next(String prefix) {
        char[] id = new char[TIME_DIGITS + RANDOM_DIGITS];
        long millis = clock.millis();
        for (int i = TIME_DIGITS - 1; i >= 0; i--) {
            id[i] = DIGITS[(int) (millis % DIGITS.length)];
            millis /= DIGITS.length;
        }
        for (int i = TIME_DIGITS; i < id.length; i++) {
            id[i] = DIGITS[random.nextInt(DIGITS.length)];
        }
        return prefix + new String(id);
    }
}
