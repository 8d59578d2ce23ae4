package dev.openbatch.core.webhooks;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.openbatch.core.api.WebhookEvent;

/**
 * A message on the webhook queue: an event of a tenant, for all its subscribed endpoints (no
 * {@code endpoint_id}: the sender fans it out) or for one of them.
 *
 * @param tenant     whose event it is
 * @param endpointId the one endpoint to deliver to, or null for each endpoint subscribed to the event's type
 * @param event      the event, the same on every delivery
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WebhookMessage(
        @JsonProperty("tenant") String tenant,
        @JsonProperty("endpoint_id") String endpointId,
        @JsonProperty("event") WebhookEvent event) {

    public WebhookMessage to(String endpoint) {
        return new WebhookMessage(tenant, endpoint, event);
    }
}
