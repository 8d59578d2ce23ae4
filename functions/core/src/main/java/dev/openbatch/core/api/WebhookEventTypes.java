package dev.openbatch.core.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** OpenAI's list of the event types an endpoint may subscribe to: {@code {"object":"list","data":[…]}}. */
public record WebhookEventTypes(
        @JsonProperty("object") String object,
        @JsonProperty("data") List<String> data) {

    public static WebhookEventTypes of(List<String> types) {
        return new WebhookEventTypes("list", List.copyOf(types));
    }
}
