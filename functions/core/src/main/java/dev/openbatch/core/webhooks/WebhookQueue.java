package dev.openbatch.core.webhooks;

/**
 * The queue between a batch's end and its deliveries: the finalizer puts an event on it and goes on;
 * the webhook sender takes it from there, so no receiver ever delays a batch.
 */
@FunctionalInterface
public interface WebhookQueue {

    /** Queues a message for the sender, delivered at least once. */
    void send(WebhookMessage message);
}
