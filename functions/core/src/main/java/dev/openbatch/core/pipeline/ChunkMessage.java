package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The message a Map iteration puts on the chunk queue, and a worker takes: which chunk of which
 * batch to run, and the task token that reports it done.
 */
public record ChunkMessage(
        @JsonProperty("batch_id") String batchId,
        @JsonProperty("tenant") String tenant,
        @JsonProperty("chunk") Chunk chunk,
        @JsonProperty("task_token") String taskToken) {}
