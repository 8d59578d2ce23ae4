package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One slice of a batch's input, as the state machine maps over it and a worker receives it: a
 * claim check, never the lines themselves.
 *
 * @param index     0-based position among the batch's chunks
 * @param firstRequest the 1-based position, among the input's requests, of the chunk's first one
 *                     (blank lines are not requests, so this is not always a line number)
 * @param lines     how many request lines it holds
 */
public record Chunk(
        @JsonProperty("index") int index,
        @JsonProperty("first_request") int firstRequest,
        @JsonProperty("lines") int lines) {}
