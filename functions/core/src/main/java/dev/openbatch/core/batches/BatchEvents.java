package dev.openbatch.core.batches;

import dev.openbatch.core.api.Batch;

/**
 * Told of every status a batch takes, as it takes it — its creation ({@code validating}) and each
 * transition after — with the batch as it then stands: in the cloud, an event on the account's
 * EventBridge bus for operators' rules. Telling must not fail the change it tells of, which has
 * happened already.
 */
@FunctionalInterface
public interface BatchEvents {

    /** For deployments that publish nothing. */
    BatchEvents NONE = (tenant, batch) -> {};

    void changed(String tenant, Batch batch);
}
