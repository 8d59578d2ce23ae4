package dev.openbatch.core.pipeline;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * When a request to the inference endpoint is tried again, and after how long: 429, 408 and 5xx
 * answers, timeouts and connection failures are retried with full-jitter exponential backoff,
 * waiting at least what {@code Retry-After} asks; any other 4xx is the caller's fault and final.
 *
 * @param maxAttempts how many times a request is sent at most, the first included
 * @param baseDelay   the backoff ceiling after the first failure, doubling after each
 * @param maxDelay    the longest wait between two attempts, {@code Retry-After} included
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay) {

    public static final RetryPolicy DEFAULT = new RetryPolicy(6, Duration.ofMillis(500), Duration.ofSeconds(30));

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
    }

    /** Whether an answer with this status is worth trying again. */
    public static boolean retryable(int status) {
        return status == 429 || status == 408 || status >= 500;
    }

    /**
     * How long to wait after the {@code failures}-th failed attempt: a random duration up to
     * {@code baseDelay * 2^(failures-1)} (capped), but no less than {@code retryAfter}.
     */
    public Duration backoff(int failures, Optional<Duration> retryAfter, RandomGenerator random) {
        long ceiling = Math.min(maxDelay.toMillis(), baseDelay.toMillis() << Math.min(failures - 1, 30));
        Duration jittered = Duration.ofMillis(ceiling <= 0 ? 0 : random.nextLong(ceiling + 1));
        Duration wait = retryAfter.filter(r -> r.compareTo(jittered) > 0).orElse(jittered);
        return wait.compareTo(maxDelay) > 0 ? maxDelay : wait;
    }

    /** Reads a {@code Retry-After} header: delay seconds or an HTTP date. */
    public static Optional<Duration> parseRetryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return Optional.empty();
        }
        String value = header.trim();
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value))));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toInstant();
                return Optional.of(at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }
}
