package dev.openbatch.reference;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link ReferenceEndpoint} behaves. The defaults answer at once, without a concurrency cap and
 * without faults: {@code Options.defaults()}, or {@code Options.builder()...build()} to change some.
 *
 * <p>At most one fault is drawn per request: the probabilities share one draw from a {@link java.util.Random}
 * seeded with {@code seed}, so each is the fraction of requests that get that fault, and they may add up to at
 * most 1.
 *
 * @param port            the port to listen on, 0 to pick a free one
 * @param latency         added before answering every inference request
 * @param latencyJitter   up to this much more latency, uniformly at random
 * @param maxConcurrency  requests beyond this many in flight get a 429 at once; 0 for no cap
 * @param error500        probability of {@link Fault#ERROR_500}
 * @param error503        probability of {@link Fault#ERROR_503}
 * @param error429        probability of {@link Fault#ERROR_429}
 * @param retryAfter429   the share of injected 429s that carry {@code Retry-After: 1} (default one half)
 * @param timeout         probability of {@link Fault#TIMEOUT}
 * @param timeoutHold     how long a {@link Fault#TIMEOUT} holds the request before answering
 * @param connectionReset probability of {@link Fault#CONNECTION_RESET}
 * @param truncatedBody   probability of {@link Fault#TRUNCATED_BODY}
 * @param nonJsonBody     probability of {@link Fault#NON_JSON_BODY}
 * @param seed            seeds the draw of faults, so a run's sequence of faults can be repeated
 * @param models          the models it serves, answering OpenAI's 404 {@code model_not_found} to others;
 *                        empty (the default) for any model
 */
public record Options(
        int port,
        Duration latency,
        Duration latencyJitter,
        int maxConcurrency,
        double error500,
        double error503,
        double error429,
        double retryAfter429,
        double timeout,
        Duration timeoutHold,
        double connectionReset,
        double truncatedBody,
        double nonJsonBody,
        long seed,
        List<String> models) {

    public Options {
        models = models == null ? List.of() : List.copyOf(models);
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0..65535, was " + port);
        }
        requireNonNegative("latency", latency);
        requireNonNegative("latencyJitter", latencyJitter);
        requireNonNegative("timeoutHold", timeoutHold);
        if (maxConcurrency < 0) {
            throw new IllegalArgumentException("maxConcurrency must be 0 (no cap) or more, was " + maxConcurrency);
        }
        requireProbability("error500", error500);
        requireProbability("error503", error503);
        requireProbability("error429", error429);
        requireProbability("retryAfter429", retryAfter429);
        requireProbability("timeout", timeout);
        requireProbability("connectionReset", connectionReset);
        requireProbability("truncatedBody", truncatedBody);
        requireProbability("nonJsonBody", nonJsonBody);
        double total = error500 + error503 + error429 + timeout + connectionReset + truncatedBody + nonJsonBody;
        // A small tolerance lets rates such as 0.7 + 0.2 + 0.1 through despite rounding.
        if (total > 1 + 1e-9) {
            throw new IllegalArgumentException("fault probabilities add up to " + total
                    + "; at most 1 is possible, since a request gets at most one fault");
        }
    }

    /** Whether it serves a request naming {@code model}. */
    public boolean serves(String model) {
        return models.isEmpty() || models.contains(model);
    }

    /** No latency, no concurrency cap, no faults, a free port, any model. */
    public static Options defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The probability of one kind of fault. */
    public double probability(Fault fault) {
        return switch (fault) {
            case ERROR_500 -> error500;
            case ERROR_503 -> error503;
            case ERROR_429 -> error429;
            case TIMEOUT -> timeout;
            case CONNECTION_RESET -> connectionReset;
            case TRUNCATED_BODY -> truncatedBody;
            case NON_JSON_BODY -> nonJsonBody;
        };
    }

    private static void requireProbability(String name, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(name + " must be a probability 0..1, was " + p);
        }
    }

    private static void requireNonNegative(String name, Duration duration) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, was " + duration);
        }
    }

    /** Builds {@link Options}, starting from the defaults. */
    public static final class Builder {
        private int port;
        private Duration latency = Duration.ZERO;
        private Duration latencyJitter = Duration.ZERO;
        private int maxConcurrency;
        private double error500;
        private double error503;
        private double error429;
        private double retryAfter429 = 0.5;
        private double timeout;
        private Duration timeoutHold = Duration.ofSeconds(60);
        private double connectionReset;
        private double truncatedBody;
        private double nonJsonBody;
        private long seed;
        private List<String> models = List.of();

        private Builder() {}

        public Builder models(List<String> models) {
            this.models = models;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder latency(Duration latency) {
            this.latency = latency;
            return this;
        }

        public Builder latencyJitter(Duration latencyJitter) {
            this.latencyJitter = latencyJitter;
            return this;
        }

        public Builder maxConcurrency(int maxConcurrency) {
            this.maxConcurrency = maxConcurrency;
            return this;
        }

        public Builder error500(double probability) {
            this.error500 = probability;
            return this;
        }

        public Builder error503(double probability) {
            this.error503 = probability;
            return this;
        }

        public Builder error429(double probability) {
            this.error429 = probability;
            return this;
        }

        public Builder retryAfter429(double share) {
            this.retryAfter429 = share;
            return this;
        }

        public Builder timeout(double probability) {
            this.timeout = probability;
            return this;
        }

        public Builder timeoutHold(Duration timeoutHold) {
            this.timeoutHold = timeoutHold;
            return this;
        }

        public Builder connectionReset(double probability) {
            this.connectionReset = probability;
            return this;
        }

        public Builder truncatedBody(double probability) {
            this.truncatedBody = probability;
            return this;
        }

        public Builder nonJsonBody(double probability) {
            this.nonJsonBody = probability;
            return this;
        }

        /** Sets the probability of one kind of fault. */
        public Builder fault(Fault fault, double probability) {
            return switch (fault) {
                case ERROR_500 -> error500(probability);
                case ERROR_503 -> error503(probability);
                case ERROR_429 -> error429(probability);
                case TIMEOUT -> timeout(probability);
                case CONNECTION_RESET -> connectionReset(probability);
                case TRUNCATED_BODY -> truncatedBody(probability);
                case NON_JSON_BODY -> nonJsonBody(probability);
            };
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Options build() {
            return new Options(
                    port,
                    latency,
                    latencyJitter,
                    maxConcurrency,
                    error500,
                    error503,
                    error429,
                    retryAfter429,
                    timeout,
                    timeoutHold,
                    connectionReset,
                    truncatedBody,
                    nonJsonBody,
                    seed,
                    models);
        }
    }
}
