package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The message a Map iteration puts on the chunk queue, and a worker takes: which chunk of which
 * batch to run, and the task token that reports it done.
 *
 * @param chunksAtOnce how many of the batch's chunks the Map runs at once (its concurrency, or fewer
 *                     when the batch has fewer chunks); absent in a message sent before it was, 1
 */
public record ChunkMessage(
        @JsonProperty("batch_id") String batchId,
        @JsonProperty("tenant") String tenant,
        @JsonProperty("chunk") Chunk chunk,
        @JsonProperty("task_token") String taskToken,
        @JsonProperty("chunks_at_once") Integer chunksAtOnce) {

    public ChunkMessage {
        chunksAtOnce = chunksAtOnce == null ? 1 : Math.max(1, chunksAtOnce);
    }
}
