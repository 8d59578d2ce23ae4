package dev.openbatch.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * OpenAI's {@code webhook_endpoint}: where a tenant's events are delivered.
 *
 * @param id                the endpoint's id, {@code whe_…}
 * @param object            always {@code webhook_endpoint}
 * @param createdAt         when the endpoint was created, Unix seconds
 * @param eventTypes        the event types delivered to it
 * @param name              a name for people
 * @param signingSecret     the signing secret, {@code whsec_…}: answered only by create and rotate
 *                          (OpenAI's {@code WebhookEndpointWithSecret}), omitted otherwise
 * @param signingSecretHint a masked hint of the signing secret, always answered
 * @param url               the https URL deliveries are POSTed to
 * @param updatedAt         the last change of its configuration or secret, Unix seconds
 */
public record WebhookEndpoint(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("created_at") long createdAt,
        @JsonProperty("event_types") List<String> eventTypes,
        @JsonProperty("name") String name,

        @JsonProperty("signing_secret") @JsonInclude(JsonInclude.Include.NON_NULL)
        String signingSecret,

        @JsonProperty("signing_secret_hint") String signingSecretHint,
        @JsonProperty("url") String url,
        @JsonProperty("updated_at") Long updatedAt) {

    public static final String OBJECT = "webhook_endpoint";

    public WebhookEndpoint {
        eventTypes = List.copyOf(eventTypes);
    }
}
