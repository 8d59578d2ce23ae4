package dev.openbatch.core.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * OpenAI's {@code webhook_endpoint.test}: a sample event was delivered, and this is what the receiver
 * answered.
 *
 * @param object            always {@code webhook_endpoint.test}
 * @param webhookEndpointId the endpoint that received the test
 * @param eventType         the event type sent
 * @param statusCode        the HTTP status the receiver answered with
 * @param success           always true: the request completed; {@code status_code} says how it was received
 */
public record WebhookEndpointTestResult(
        @JsonProperty("object") String object,
        @JsonProperty("webhook_endpoint_id") String webhookEndpointId,
        @JsonProperty("event_type") String eventType,
        @JsonProperty("status_code") int statusCode,
        @JsonProperty("success") boolean success) {

    public static WebhookEndpointTestResult of(String endpointId, String eventType, int statusCode) {
        return new WebhookEndpointTestResult("webhook_endpoint.test", endpointId, eventType, statusCode, true);
    }
}
