package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One request of a batch's input file, as it is sent: {@code body} is a JSON tree so that fields
 * the service does not know pass through to the model untouched.
 *
 * @param position the 1-based position of the request among the input's requests
 * @param customId the caller's identifier, unique within the batch
 * @param url      the endpoint path, e.g. {@code /v1/chat/completions}
 * @param body     the request body
 */
public record RequestLine(int position, String customId, String url, JsonNode body) {}
