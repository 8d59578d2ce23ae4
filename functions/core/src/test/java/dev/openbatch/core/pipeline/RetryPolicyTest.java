package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final RetryPolicy policy = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(2));

    @Test
    void retryable_are429_408_and5xx_only() {
        assertThat(RetryPolicy.retryable(429)).isTrue();
        assertThat(RetryPolicy.retryable(408)).isTrue();
        assertThat(RetryPolicy.retryable(500)).isTrue();
        assertThat(RetryPolicy.retryable(503)).isTrue();
        for (int status : new int[] {200, 400, 401, 403, 404, 409, 413, 422}) {
            assertThat(RetryPolicy.retryable(status)).as("%d", status).isFalse();
        }
    }

    @Test
    void backoff_isJitteredBelowAnExponentialCeiling_cappedAtMaxDelay() {
        SplittableRandom random = new SplittableRandom(7);
        for (int failures = 1; failures <= 8; failures++) {
            long ceiling = Math.min(2000, 100L << (failures - 1));
            for (int i = 0; i < 50; i++) {
                assertThat(policy.backoff(failures, Optional.empty(), random).toMillis())
                        .isBetween(0L, ceiling);
            }
        }
    }

    @Test
    void backoff_waitsAtLeastRetryAfter_butNoMoreThanMaxDelay() {
        SplittableRandom random = new SplittableRandom(7);
        assertThat(policy.backoff(1, Optional.of(Duration.ofSeconds(1)), random))
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(policy.backoff(1, Optional.of(Duration.ofMinutes(5)), random))
                .isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void retryAfter_readsSecondsAndHttpDates() {
        Instant now = Instant.parse("2026-11-21T12:00:00Z");
        assertThat(RetryPolicy.parseRetryAfter("3", now)).contains(Duration.ofSeconds(3));
        assertThat(RetryPolicy.parseRetryAfter("Sat, 21 Nov 2026 12:00:10 GMT", now))
                .contains(Duration.ofSeconds(10));
        assertThat(RetryPolicy.parseRetryAfter("Sat, 21 Nov 2026 11:00:00 GMT", now))
                .contains(Duration.ZERO);
        assertThat(RetryPolicy.parseRetryAfter("soon", now)).isEmpty();
        assertThat(RetryPolicy.parseRetryAfter(null, now)).isEmpty();
    }
}
