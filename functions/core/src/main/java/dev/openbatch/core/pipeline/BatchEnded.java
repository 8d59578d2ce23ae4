package dev.openbatch.core.pipeline;

import dev.openbatch.core.api.Batch;

/**
 * Told of a batch the state machine has ended (completed, failed, cancelled or expired), by the
 * finalizer. A retried step tells it again, so what it does must be idempotent.
 */
@FunctionalInterface
public interface BatchEnded {

    /** For deployments where nothing follows a batch's end. */
    BatchEnded NOTHING = (tenant, batch) -> {};

    void ended(String tenant, Batch batch);
}
