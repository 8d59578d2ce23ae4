package dev.openbatch.core.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** OpenAI's answer to deleting a webhook endpoint: {@code {"id","object":"webhook_endpoint.deleted","deleted":true}}. */
public record WebhookEndpointDeleted(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("deleted") boolean deleted) {

    public static WebhookEndpointDeleted of(String id) {
        return new WebhookEndpointDeleted(id, "webhook_endpoint.deleted", true);
    }
}
