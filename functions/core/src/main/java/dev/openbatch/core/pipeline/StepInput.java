package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What the state machine passes to the validate and finalize steps: claim checks, never lines.
 *
 * @param batchId    the batch
 * @param tenant     its owner
 * @param chunkCount how many chunks the validator cut (finalize, and the Catch once validation has cut them)
 * @param error      the failure the state machine caught, when the run is ending as failed
 */
public record StepInput(
        @JsonProperty("batch_id") String batchId,
        @JsonProperty("tenant") String tenant,
        @JsonProperty("chunk_count") Integer chunkCount,
        @JsonProperty("error") CaughtError error) {

    /** Step Functions' shape of a caught error: {@code {"Error": ..., "Cause": ...}}. */
    public record CaughtError(
            @JsonProperty("Error") String error,
            @JsonProperty("Cause") String cause) {}
}
