package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.report.ChunkStats;

/**
 * How a chunk's lines ended: written beside its part, last, so that its presence says the part is whole.
 * Written once (first writer wins), so what it says is counted once into the batch, however many
 * runs assembled the part.
 *
 * @param completed lines answered with a 2xx, in the output part
 * @param failed    lines in the error part, of which {@code expired} ran out of time
 * @param expired   lines not sent because the completion window had passed
 * @param usage     the tokens the completed lines' answers report, summed; absent from parts
 *                  written before usage was counted, which count none
 * @param stats     what the lines took, for the batch's report; absent from parts written before
 *                  it was kept
 */
public record PartCounts(
        @JsonProperty("completed") long completed,
        @JsonProperty("failed") long failed,
        @JsonProperty("expired") long expired,

        @JsonProperty("usage") @JsonInclude(JsonInclude.Include.NON_NULL)
        Batch.Usage usage,

        @JsonProperty("stats") @JsonInclude(JsonInclude.Include.NON_NULL)
        ChunkStats stats) {

    public PartCounts {
        usage = usage == null ? Batch.Usage.ZERO : usage;
    }

    /** Counts with no stats kept. */
    public PartCounts(long completed, long failed, long expired, Batch.Usage usage) {
        this(completed, failed, expired, usage, null);
    }

    /** Counts of lines whose answers reported no tokens. */
    public PartCounts(long completed, long failed, long expired) {
        this(completed, failed, expired, Batch.Usage.ZERO);
    }

    /** The counts alone, without the stats. */
    public PartCounts withoutStats() {
        return new PartCounts(completed, failed, expired, usage, null);
    }
}
