package dev.openbatch.core.pipeline;

import java.time.Duration;

/**
 * When the worker running a chunk will be stopped: in Lambda, the invocation's remaining time
 * ({@code Context.getRemainingTimeInMillis()}). Asked again whenever it matters, so it must be cheap.
 */
@FunctionalInterface
public interface Deadline {

    /** For a run that is never stopped (tests, tools): a year. */
    Deadline NONE = () -> Duration.ofDays(365);

    /** How long the worker has left. */
    Duration remaining();
}
