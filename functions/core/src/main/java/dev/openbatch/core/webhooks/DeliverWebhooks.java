package dev.openbatch.core.webhooks;

import dev.openbatch.core.Json;
import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The webhook sender's work on one queue message. An event for the tenant becomes one message per
 * endpoint subscribed to its type, so each endpoint is retried on its own; a message for one endpoint
 * is a delivery, signed with the endpoint's secrets of the moment and POSTed. A 2xx ends it; anything
 * else (or no answer) is tried again on the {@link RetrySchedule} with the same event, until the
 * schedule's period has passed since the event.
 */
public final class DeliverWebhooks {

    private static final System.Logger LOG = System.getLogger(DeliverWebhooks.class.getName());
    private static final int PAGE = 100;

    /** What became of a message. */
    public sealed interface Outcome {
        /** Nothing more to do: delivered, fanned out, given up, or its endpoint is gone. */
        record Done(String why) implements Outcome {}

        /** Try again after {@code after}. */
        record Retry(Duration after, String why) implements Outcome {}
    }

    private final EndpointRepository endpoints;
    private final WebhookQueue queue;
    private final Receivers receivers;
    private final RetrySchedule schedule;
    private final Clock clock;

    public DeliverWebhooks(
            EndpointRepository endpoints,
            WebhookQueue queue,
            Receivers receivers,
            RetrySchedule schedule,
            Clock clock) {
        this.endpoints = endpoints;
        this.queue = queue;
        this.receivers = receivers;
        this.schedule = schedule;
        this.clock = clock;
    }

    /**
     * @param message the queue message
     * @param tries   how many times this message has been received, this time included
     */
    public Outcome handle(WebhookMessage message, int tries) throws InterruptedException {
        if (message.endpointId() == null) {
            return fanOut(message);
        }
        Optional<Endpoint> found = endpoints.find(message.tenant(), message.endpointId());
        if (found.isEmpty()
                || !found.get().eventTypes().contains(message.event().type())) {
            return new Outcome.Done("the endpoint is gone or no longer subscribed");
        }
        Endpoint endpoint = found.get();
        long now = clock.instant().getEpochSecond();
        byte[] body = Json.write(message.event());
        String why;
        try {
            int status = receivers.post(
                    endpoint.url(),
                    Signatures.headers(message.event().id(), now, body, endpoint.signingSecrets(now)),
                    body);
            if (status >= 200 && status < 300) {
                return new Outcome.Done("delivered (HTTP " + status + ")");
            }
            why = "the receiver answered HTTP " + status;
        } catch (Receivers.Unreachable e) {
            why = e.getMessage();
        }
        long age = now - message.event().createdAt();
        if (age >= schedule.period().toSeconds()) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "event " + message.event().id() + " to " + endpoint.id() + " of " + message.tenant()
                            + " given up after " + tries + " tries: " + why);
            return new Outcome.Done("given up: " + why);
        }
        Duration wait = schedule.after(tries);
        LOG.log(
                System.Logger.Level.INFO,
                "event " + message.event().id() + " to " + endpoint.id() + ": " + why + "; again in " + wait);
        return new Outcome.Retry(wait, why);
    }

    private Outcome fanOut(WebhookMessage message) {
        int sent = 0;
        String after = null;
        Page<Endpoint> page;
        do {
            page = endpoints.list(message.tenant(), new PageRequest(after, PAGE, false));
            for (Endpoint endpoint : page.items()) {
                if (endpoint.eventTypes().contains(message.event().type())) {
                    queue.send(message.to(endpoint.id()));
                    sent++;
                }
                after = endpoint.id();
            }
        } while (page.hasMore());
        return new Outcome.Done("queued for " + sent + " endpoints");
    }
}
