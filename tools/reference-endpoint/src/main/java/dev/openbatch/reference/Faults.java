package dev.openbatch.reference;

import java.util.Optional;
import java.util.Random;

/** Draws which fault, if any, a request gets, from one seeded {@link Random} so a run can be repeated. */
final class Faults {

    private final Options options;
    private final Random random;

    Faults(Options options) {
        this.options = options;
        this.random = new Random(options.seed());
    }

    /**
     * One draw per request: the fault probabilities are consecutive slices of [0, 1), so each fault happens
     * at exactly its configured rate, which separate draws per fault would not give.
     */
    synchronized Optional<Fault> draw() {
        double draw = random.nextDouble();
        double sliceEnd = 0;
        for (Fault fault : Fault.values()) {
            sliceEnd += options.probability(fault);
            if (draw < sliceEnd) {
                return Optional.of(fault);
            }
        }
        return Optional.empty();
    }

    /**
     * Whether an injected 429 carries {@code Retry-After}: {@link Options#retryAfter429()} of them do,
     * half by default, so clients must cope without it.
     */
    synchronized boolean withRetryAfter() {
        return random.nextDouble() < options.retryAfter429();
    }
}
