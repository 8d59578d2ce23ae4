package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a chunk's lines ended: written beside its part, last, so that its presence says the part is whole.
 *
 * @param completed lines answered with a 2xx, in the output part
 * @param failed    lines in the error part, of which {@code expired} ran out of time
 * @param expired   lines not sent because the completion window had passed
 */
public record PartCounts(
        @JsonProperty("completed") long completed,
        @JsonProperty("failed") long failed,
        @JsonProperty("expired") long expired) {}
