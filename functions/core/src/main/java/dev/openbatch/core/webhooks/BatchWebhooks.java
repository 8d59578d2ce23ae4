package dev.openbatch.core.webhooks;

import dev.openbatch.core.Ids;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.WebhookEvent;
import dev.openbatch.core.pipeline.BatchEnded;

/**
 * A batch's end as a webhook event (OpenAI's {@code batch.completed}, {@code batch.failed},
 * {@code batch.expired}, {@code batch.cancelled}), put on the webhook queue for the tenant's endpoints;
 * nothing here calls a receiver, so none can delay the batch. Told again (a finalizer run twice), it
 * queues the same event — same id, same body — which a receiver recognises by its {@code webhook-id}.
 */
public final class BatchWebhooks implements BatchEnded {

    private final WebhookQueue queue;

    public BatchWebhooks(WebhookQueue queue) {
        this.queue = queue;
    }

    @Override
    public void ended(String tenant, Batch batch) {
        Long at = switch (batch.status()) {
            case Batch.Status.COMPLETED -> batch.completedAt();
            case Batch.Status.FAILED -> batch.failedAt();
            case Batch.Status.EXPIRED -> batch.expiredAt();
            case Batch.Status.CANCELLED -> batch.cancelledAt();
            default -> null;
        };
        if (at == null) {
            return;
        }
        String type = "batch." + batch.status();
        queue.send(new WebhookMessage(
                tenant, null, WebhookEvent.of(Ids.eventOf(batch.id(), type, at), at, type, batch.id())));
    }
}
