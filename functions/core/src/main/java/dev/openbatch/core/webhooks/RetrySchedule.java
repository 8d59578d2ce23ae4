package dev.openbatch.core.webhooks;

import java.time.Duration;

/**
 * When a delivery that did not get a 2xx is tried again: after {@code first}, doubling with each try up
 * to {@code longest}, until {@code period} has passed since the event — then it is given up. A queue
 * message can be hidden for at most 12 hours at a time (SQS's longest visibility timeout), so
 * {@code longest} is at most that; the queue must keep a message longer than {@code period}.
 *
 * @param first   the wait after the first failed try
 * @param longest the longest wait between two tries
 * @param period  how long after the event tries go on
 */
public record RetrySchedule(Duration first, Duration longest, Duration period) {

    /** SQS's longest visibility timeout: how long one message may be hidden at a time. */
    public static final Duration LONGEST_HIDE = Duration.ofHours(12);

    /** How long OpenAI retries a delivery: the bound of every schedule. */
    public static final Duration LONGEST_PERIOD = Duration.ofHours(72);

    /** What a deployment does: 30 s, doubling to an hour between tries, for 72 hours, as OpenAI retries. */
    public static final RetrySchedule DEFAULT =
            new RetrySchedule(Duration.ofSeconds(30), Duration.ofHours(1), LONGEST_PERIOD);

    public RetrySchedule {
        if (first.isNegative()
                || first.isZero()
                || longest.compareTo(first) < 0
                || longest.compareTo(LONGEST_HIDE) > 0) {
            throw new IllegalArgumentException(
                    "webhook retries: the first wait must be positive and at most the longest, which is at most 12 h");
        }
        if (period.isNegative() || period.compareTo(LONGEST_PERIOD) > 0) {
            throw new IllegalArgumentException("webhook retries: tries go on for at most 72 h");
        }
    }

    /** The wait after the {@code tries}-th failed try. */
    public Duration after(int tries) {
        long seconds = first.toSeconds() << Math.min(Math.max(tries, 1) - 1, 30);
        return seconds <= 0 || seconds > longest.toSeconds() ? longest : Duration.ofSeconds(seconds);
    }
}
