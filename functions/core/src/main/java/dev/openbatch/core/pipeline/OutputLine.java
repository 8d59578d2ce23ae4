package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One line of a batch's output or error file, in OpenAI's format:
 * {@code {"id":"batch_req_...","custom_id":...,"response":{"status_code","request_id","body"},"error":null}},
 * or, for a line that was never answered, {@code "response":null} and an {@code error}.
 *
 * @param id       {@code batch_req_...}, derived from the batch and the line, so a redo gives the same
 * @param customId the caller's identifier
 * @param response what the model answered, if it was asked
 * @param error    why the line was not answered (cancelled, expired, an unusable request)
 */
public record OutputLine(
        @JsonProperty("id") String id,
        @JsonProperty("custom_id") String customId,
        @JsonProperty("response") Response response,
        @JsonProperty("error") Error error) {

    /**
     * @param statusCode the HTTP status the endpoint answered
     * @param requestId  the endpoint's request id ({@code x-request-id}), or ours when it gave none
     * @param body       the endpoint's JSON body, or for a body that was not JSON, an OpenAI error naming that
     */
    public record Response(
            @JsonProperty("status_code") int statusCode,
            @JsonProperty("request_id") String requestId,
            @JsonProperty("body") JsonNode body) {}

    /** {@code {"code","message"}}: e.g. {@code batch_cancelled}, {@code batch_expired}. */
    public record Error(
            @JsonProperty("code") String code,
            @JsonProperty("message") String message) {}

    /** Whether this line belongs in the output file (a 2xx answer) rather than the error file. */
    public boolean succeeded() {
        return response != null && response.statusCode() >= 200 && response.statusCode() < 300;
    }
}
