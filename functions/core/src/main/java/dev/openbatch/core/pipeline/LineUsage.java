package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.api.Batch;

/**
 * The tokens one answered line used, read from its answer's {@code usage} in whichever of OpenAI's
 * two shapes the endpoint speaks: chat completions, completions and embeddings report
 * {@code prompt_tokens}, {@code completion_tokens} and their {@code prompt_tokens_details.cached_tokens}
 * and {@code completion_tokens_details.reasoning_tokens}; responses report {@code input_tokens},
 * {@code output_tokens} and their {@code input_tokens_details} and {@code output_tokens_details}.
 * An answer without usage (a moderation, an endpoint that reports none) uses nothing.
 */
final class LineUsage {

    private LineUsage() {}

    /** The usage of a line's answer body; zero when it reports none. */
    static Batch.Usage of(JsonNode body) {
        JsonNode usage = body == null ? null : body.get("usage");
        if (usage == null || !usage.isObject()) {
            return Batch.Usage.ZERO;
        }
        boolean responses = usage.has("input_tokens") || usage.has("output_tokens");
        long input = count(usage.path(responses ? "input_tokens" : "prompt_tokens"));
        long output = count(usage.path(responses ? "output_tokens" : "completion_tokens"));
        long cached = count(usage.path(responses ? "input_tokens_details" : "prompt_tokens_details")
                .path("cached_tokens"));
        long reasoning = count(usage.path(responses ? "output_tokens_details" : "completion_tokens_details")
                .path("reasoning_tokens"));
        JsonNode total = usage.path("total_tokens");
        return Batch.Usage.of(
                input, cached, output, reasoning, total.isIntegralNumber() ? count(total) : input + output);
    }

    /** A count as reported; anything but a non-negative integer counts nothing. */
    private static long count(JsonNode value) {
        return value.isIntegralNumber() && value.longValue() > 0 ? value.longValue() : 0;
    }
}
