package dev.openbatch.core.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * OpenAI's Batch object, with every field OpenAI sends (absent values as null), plus {@code job_id}.
 *
 * @param id               the batch identifier, {@code batch_...}
 * @param object           always {@code batch}
 * @param endpoint         the endpoint every line of the input calls, e.g. {@code /v1/chat/completions}
 * @param model            the model every line names, once validation has read them; null when they name several
 * @param errors           file-level validation errors, when the batch failed validation
 * @param inputFileId      the input file, of purpose {@code batch}
 * @param completionWindow {@code 24h}, or our extension {@code unlimited}
 * @param status           one of {@link Status}
 * @param outputFileId     the file of successful lines' outputs, once written
 * @param errorFileId      the file of failed lines' outputs, once written and only if a line failed
 * @param createdAt        Unix seconds; so are all the timestamps below, null until they happen
 * @param requestCounts    how many lines there are, and how many completed and failed so far
 * @param usage            tokens of the lines answered so far, from {@code in_progress} on; null before
 * @param metadata         up to 16 key-value pairs set by the creator
 * @param jobId            our extension: the job whose inference endpoint runs the batch
 * @param outputExpiresAfter not a field of OpenAI's Batch, and never sent: from {@code output_expires_after},
 *                         the seconds after their creation at which the output and error files expire;
 *                         null when they do not
 */
public record Batch(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("endpoint") String endpoint,
        @JsonProperty("model") String model,
        @JsonProperty("errors") Errors errors,
        @JsonProperty("input_file_id") String inputFileId,
        @JsonProperty("completion_window") String completionWindow,
        @JsonProperty("status") String status,
        @JsonProperty("output_file_id") String outputFileId,
        @JsonProperty("error_file_id") String errorFileId,
        @JsonProperty("created_at") long createdAt,
        @JsonProperty("in_progress_at") Long inProgressAt,
        @JsonProperty("expires_at") Long expiresAt,
        @JsonProperty("finalizing_at") Long finalizingAt,
        @JsonProperty("completed_at") Long completedAt,
        @JsonProperty("failed_at") Long failedAt,
        @JsonProperty("expired_at") Long expiredAt,
        @JsonProperty("cancelling_at") Long cancellingAt,
        @JsonProperty("cancelled_at") Long cancelledAt,
        @JsonProperty("request_counts") RequestCounts requestCounts,
        @JsonProperty("usage") Usage usage,
        @JsonProperty("metadata") Map<String, String> metadata,
        @JsonProperty("job_id") String jobId,
        @JsonIgnore Long outputExpiresAfter) {

    public static final String OBJECT = "batch";

    /** The statuses a batch moves through, as OpenAI names them. */
    public static final class Status {
        public static final String VALIDATING = "validating";
        public static final String FAILED = "failed";
        public static final String IN_PROGRESS = "in_progress";
        public static final String FINALIZING = "finalizing";
        public static final String COMPLETED = "completed";
        public static final String EXPIRED = "expired";
        public static final String CANCELLING = "cancelling";
        public static final String CANCELLED = "cancelled";

        /** The statuses a batch ends in, and never leaves. */
        public static final Set<String> ENDED = Set.of(COMPLETED, FAILED, EXPIRED, CANCELLED);

        private Status() {}
    }

    /** A new batch whose output files do not expire, as it is first stored. */
    public static Batch validating(
            String id,
            String endpoint,
            String inputFileId,
            String completionWindow,
            long createdAt,
            Long expiresAt,
            Map<String, String> metadata,
            String jobId) {
        return validating(id, endpoint, inputFileId, completionWindow, createdAt, expiresAt, metadata, jobId, null);
    }

    /** A new batch, as it is first stored: validating, nothing counted yet. */
    public static Batch validating(
            String id,
            String endpoint,
            String inputFileId,
            String completionWindow,
            long createdAt,
            Long expiresAt,
            Map<String, String> metadata,
            String jobId,
            Long outputExpiresAfter) {
        return new Batch(
                id,
                OBJECT,
                endpoint,
                null,
                null,
                inputFileId,
                completionWindow,
                Status.VALIDATING,
                null,
                null,
                createdAt,
                null,
                expiresAt,
                null,
                null,
                null,
                null,
                null,
                null,
                RequestCounts.ZERO,
                null,
                metadata,
                jobId,
                outputExpiresAfter);
    }

    /** {@code {"object":"list","data":[{code, message, param, line}]}}. */
    public record Errors(
            @JsonProperty("object") String object,
            @JsonProperty("data") List<Error> data) {

        public static Errors of(List<Error> data) {
            return new Errors("list", List.copyOf(data));
        }
    }

    /**
     * One file-level validation error.
     *
     * @param code    a machine-readable code
     * @param message what is wrong, for a person
     * @param param   the name of the parameter at fault, if one is
     * @param line    the 1-based line of the input file at fault, if one is
     */
    public record Error(
            @JsonProperty("code") String code,
            @JsonProperty("message") String message,
            @JsonProperty("param") String param,
            @JsonProperty("line") Integer line) {}

    /** How many lines the batch has, and how many have completed and failed so far. */
    public record RequestCounts(
            @JsonProperty("total") long total,
            @JsonProperty("completed") long completed,
            @JsonProperty("failed") long failed) {

        public static final RequestCounts ZERO = new RequestCounts(0, 0, 0);
    }

    /**
     * Token usage summed over the batch's successful lines, as their endpoint reported it: chat and
     * completions' {@code prompt_tokens} and {@code completion_tokens}, responses' {@code input_tokens}
     * and {@code output_tokens}, embeddings' {@code prompt_tokens}, each with its details.
     */
    public record Usage(
            @JsonProperty("input_tokens") long inputTokens,
            @JsonProperty("input_tokens_details") InputDetails inputTokensDetails,
            @JsonProperty("output_tokens") long outputTokens,
            @JsonProperty("output_tokens_details") OutputDetails outputTokensDetails,
            @JsonProperty("total_tokens") long totalTokens) {

        /** No tokens yet: a batch in progress before any line's answer is counted. */
        public static final Usage ZERO = of(0, 0, 0, 0, 0);

        public static Usage of(long input, long cached, long output, long reasoning, long total) {
            return new Usage(input, new InputDetails(cached), output, new OutputDetails(reasoning), total);
        }

        /** The sum of the two. */
        public Usage plus(Usage other) {
            return of(
                    inputTokens + other.inputTokens,
                    inputTokensDetails.cachedTokens + other.inputTokensDetails.cachedTokens,
                    outputTokens + other.outputTokens,
                    outputTokensDetails.reasoningTokens + other.outputTokensDetails.reasoningTokens,
                    totalTokens + other.totalTokens);
        }

        /** @param cachedTokens input tokens read from the endpoint's prompt cache */
        public record InputDetails(
                @JsonProperty("cached_tokens") long cachedTokens) {}

        /** @param reasoningTokens output tokens the model spent reasoning */
        public record OutputDetails(
                @JsonProperty("reasoning_tokens") long reasoningTokens) {}
    }
}
