package dev.openbatch.core.pipeline;

import java.time.Duration;

/**
 * One worker's time for a chunk, as its {@link Deadline} gives it: new requests start only while
 * there is time for them to end and for the checkpoint to be written after them; requests still at
 * the endpoint when only the time to write is left are left, uncounted, for the next delivery.
 */
public final class Lifetime {

    /** Never ends. */
    public static final Lifetime UNBOUNDED = new Lifetime(Deadline.NONE, new Margins(Duration.ZERO, Duration.ZERO));

    /**
     * What is kept back from the deadline.
     *
     * @param write time to write the checkpoint and answer the message, after the last line has ended or been left
     * @param drain time, before that, for the lines in flight to end once no new request is sent
     */
    public record Margins(Duration write, Duration drain) {

        /**
         * A tenth of the lifetime (at most 10 s) to write, a fifth (at most 60 s) to drain: in a 900 s Lambda,
         * requests start until 830 s and are left at 890 s.
         */
        public static Margins of(Duration lifetime) {
            return new Margins(
                    min(lifetime.dividedBy(10), Duration.ofSeconds(10)),
                    min(lifetime.dividedBy(5), Duration.ofSeconds(60)));
        }

        private static Duration min(Duration a, Duration b) {
            return a.compareTo(b) <= 0 ? a : b;
        }
    }

    private final Deadline deadline;
    private final long writeNanos;
    private final long stopNanos;

    public Lifetime(Deadline deadline, Margins margins) {
        this.deadline = deadline;
        this.writeNanos = margins.write().toNanos();
        this.stopNanos = margins.write().plus(margins.drain()).toNanos();
    }

    /** The lifetime the deadline leaves now, with margins in proportion to it. */
    public static Lifetime of(Deadline deadline) {
        return new Lifetime(deadline, Margins.of(deadline.remaining()));
    }

    /** Whether a request may start now. */
    public boolean maySend() {
        return deadline.remaining().toNanos() > stopNanos;
    }

    /** Whether a request may start after waiting this long (a retry's backoff). */
    public boolean maySendAfter(Duration wait) {
        return deadline.remaining().toNanos() - wait.toNanos() > stopNanos;
    }

    /** How long the lines in flight may still run; zero or less once they must be left. */
    public Duration untilLeft() {
        return Duration.ofNanos(deadline.remaining().toNanos() - writeNanos);
    }
}
