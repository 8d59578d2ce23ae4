package dev.openbatch.core.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * An event as OpenAI delivers it to a webhook endpoint (its {@code BatchCompletedWebhookEvent} and
 * siblings): {@code {"id":"evt_…","object":"event","created_at","type":"batch.completed","data":{"id":"batch_…"}}}.
 * The same event keeps its id on every delivery, so a receiver can tell a retry from a new event.
 *
 * @param id        the event's id, the same on every delivery
 * @param object    always {@code event}
 * @param createdAt when the event happened (the batch ended), Unix seconds
 * @param type      {@code batch.completed}, {@code batch.failed}, {@code batch.expired} or {@code batch.cancelled}
 * @param data      what the event is about
 */
public record WebhookEvent(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("created_at") long createdAt,
        @JsonProperty("type") String type,
        @JsonProperty("data") Data data) {

    /** @param id the batch's id */
    public record Data(@JsonProperty("id") String id) {}

    public static WebhookEvent of(String id, long createdAt, String type, String batchId) {
        return new WebhookEvent(id, "event", createdAt, type, new Data(batchId));
    }
}
