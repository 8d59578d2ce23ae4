package dev.openbatch.core.webhooks;

import dev.openbatch.core.api.WebhookEndpoint;
import java.util.ArrayList;
import java.util.List;

/**
 * A webhook endpoint as it is stored: what the API shows of it, and its signing secrets.
 *
 * @param id                    {@code whe_…}
 * @param name                  a name for people
 * @param url                   where deliveries are POSTed
 * @param eventTypes            the event types delivered to it
 * @param createdAt             Unix seconds
 * @param updatedAt             the last change of its configuration or secret, Unix seconds
 * @param secret                the signing secret, {@code whsec_…}
 * @param previousSecret        the secret it had before its last rotation, while it still signs; else null
 * @param previousSecretExpires when the previous secret stops signing, Unix seconds; null with it
 */
public record Endpoint(
        String id,
        String name,
        String url,
        List<String> eventTypes,
        long createdAt,
        long updatedAt,
        String secret,
        String previousSecret,
        Long previousSecretExpires) {

    public Endpoint {
        eventTypes = List.copyOf(eventTypes);
    }

    /** The secrets deliveries are signed with at {@code now}: the current one, and the previous one while it lasts. */
    public List<String> signingSecrets(long now) {
        List<String> secrets = new ArrayList<>(List.of(secret));
        if (previousSecret != null && previousSecretExpires != null && now < previousSecretExpires) {
            secrets.add(previousSecret);
        }
        return secrets;
    }

    /** As the API shows it; the secret itself only when {@code withSecret} (create and rotate). */
    public WebhookEndpoint view(boolean withSecret) {
        return new WebhookEndpoint(
                id,
                WebhookEndpoint.OBJECT,
                createdAt,
                eventTypes,
                name,
                withSecret ? secret : null,
                Signatures.hint(secret),
                url,
                updatedAt);
    }
}
