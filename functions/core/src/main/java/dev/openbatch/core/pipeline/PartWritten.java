package dev.openbatch.core.pipeline;

/**
 * Told, by the worker, of a chunk whose part it has just written whole: where a batch's results are
 * shown as they grow (an S3 drop's results folder), this is when they grow. A run that races another
 * may tell it of the same part twice, so what it does must be idempotent; and it must not fail the
 * chunk — the batch's final files come whatever it does.
 */
@FunctionalInterface
public interface PartWritten {

    /** For deployments where nothing follows a part's writing. */
    PartWritten NOTHING = (tenant, batchId, index) -> {};

    void written(String tenant, String batchId, int index);
}
