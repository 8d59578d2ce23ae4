package dev.openbatch.core.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.openbatch.core.api.Batch;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/batches/{batch_id}/report}: where a batch's time, tokens and money went. Our
 * extension of OpenAI's Batches API (see docs/report.md); bounded in size whatever the batch's size.
 *
 * @param object         always {@code batch.report}
 * @param batchId        the batch
 * @param status         the batch's status when the report was made
 * @param generatedAt    when it was made, Unix seconds
 * @param requestCounts  lines in total, and those ended in the output and in the errors so far
 * @param usageByModel   the completed lines' tokens by the model their requests name, most requests first
 * @param latencyMs      the endpoint's time for each line's final attempt
 * @param attempts       attempts per line, and the attempts that were retried by why
 * @param errorsByCode   the error lines by code, most first, with examples
 * @param timeline       lines completed, failed and in flight, per interval, from creation on
 * @param phases         the batch's time validating, waiting, running and finalizing
 * @param cost           the orchestration's cost at list prices, beside the GPU's time
 */
public record BatchReport(
        @JsonProperty("object") String object,
        @JsonProperty("batch_id") String batchId,
        @JsonProperty("status") String status,
        @JsonProperty("generated_at") long generatedAt,
        @JsonProperty("request_counts") Batch.RequestCounts requestCounts,
        @JsonProperty("usage_by_model") List<ModelUsage> usageByModel,
        @JsonProperty("latency_ms") Latency latencyMs,
        @JsonProperty("attempts") Attempts attempts,
        @JsonProperty("errors_by_code") List<ChunkStats.ErrorCount> errorsByCode,
        @JsonProperty("timeline") Timeline timeline,
        @JsonProperty("phases") Phases phases,
        @JsonProperty("cost") Cost cost) {

    public static final String OBJECT = "batch.report";

    /** One model's completed lines and their tokens. */
    public record ModelUsage(
            @JsonProperty("model") String model,
            @JsonProperty("requests") long requests,
            @JsonProperty("input_tokens") long inputTokens,
            @JsonProperty("output_tokens") long outputTokens,
            @JsonProperty("total_tokens") long totalTokens) {}

    /** Percentiles of latencies, in milliseconds, each within a histogram bucket (about 19%) of the exact one. */
    public record Latency(
            @JsonProperty("count") long count,
            @JsonProperty("p50") long p50,
            @JsonProperty("p90") long p90,
            @JsonProperty("p99") long p99,
            @JsonProperty("max") long max) {}

    /**
     * @param perLine         how many lines took 1, 2, 3… attempts
     * @param retriesByStatus attempts retried, by the status that caused it, {@code timeout} or {@code connection}
     */
    public record Attempts(
            @JsonProperty("per_line") Map<String, Long> perLine,
            @JsonProperty("retries_by_status") Map<String, Long> retriesByStatus) {}

    /**
     * @param start           the first interval's start, Unix seconds
     * @param intervalSeconds the length of each
     * @param intervals       at most 120, in order
     */
    public record Timeline(
            @JsonProperty("start") long start,
            @JsonProperty("interval_seconds") long intervalSeconds,
            @JsonProperty("intervals") List<Interval> intervals) {}

    /** Lines completed and failed during the interval starting {@code at}, and those at the endpoint at its end. */
    public record Interval(
            @JsonProperty("at") long at,
            @JsonProperty("completed") long completed,
            @JsonProperty("failed") long failed,
            @JsonProperty("in_flight") long inFlight) {}

    /** Seconds in each phase; null for a phase not reached yet. */
    public record Phases(
            @JsonProperty("validating_seconds") Double validatingSeconds,
            @JsonProperty("waiting_seconds") Double waitingSeconds,
            @JsonProperty("running_seconds") Double runningSeconds,
            @JsonProperty("finalizing_seconds") Double finalizingSeconds) {}

    public record Cost(
            @JsonProperty("currency") String currency,
            @JsonProperty("prices") String prices,
            @JsonProperty("items") List<Item> items,
            @JsonProperty("total_usd") double totalUsd,
            @JsonProperty("gpu_seconds") double gpuSeconds) {}

    /** One line of the bill. */
    public record Item(
            @JsonProperty("item") String item,
            @JsonProperty("quantity") double quantity,
            @JsonProperty("usd") double usd) {}
}
