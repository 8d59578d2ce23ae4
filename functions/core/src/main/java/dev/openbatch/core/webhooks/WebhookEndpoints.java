package dev.openbatch.core.webhooks;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.Ids;
import dev.openbatch.core.Json;
import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.WebhookEndpoint;
import dev.openbatch.core.api.WebhookEndpointDeleted;
import dev.openbatch.core.api.WebhookEndpointTestResult;
import dev.openbatch.core.api.WebhookEvent;
import dev.openbatch.core.api.WebhookEventTypes;
import dev.openbatch.core.http.JsonBody;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * OpenAI's Webhook Endpoints API, for one tenant at a time: an endpoint is created with its URL, name
 * and event types and answered once with its signing secret; it is listed, retrieved, updated,
 * deleted, its secret rotated and a sample event sent to it. A tenant's URL is untrusted: it must be
 * https and lead to the public internet, checked when it is given and again at every delivery.
 */
public final class WebhookEndpoints {

    /** The events openbatch delivers: a batch's end, as OpenAI names them. */
    public static final List<String> EVENT_TYPES =
            List.of("batch.completed", "batch.failed", "batch.expired", "batch.cancelled");

    /** How long a rotated-out secret still signs when the rotation asks to keep it. */
    public static final Duration OLD_SECRET_KEPT = Duration.ofHours(24);

    static final int MAX_NAME = 256;
    static final int MAX_URL = 2048;
    static final int DEFAULT_LIST_LIMIT = 20;
    static final int MAX_LIST_LIMIT = 100;

    private static final Set<String> CREATE = Set.of("url", "name", "event_types");
    private static final Set<String> ROTATE = Set.of("keep_old_secret_active_for_24_hours");
    private static final Set<String> TEST = Set.of("event_type");

    private final EndpointRepository endpoints;
    private final Receivers receivers;
    private final Ids ids;
    private final Clock clock;

    public WebhookEndpoints(EndpointRepository endpoints, Receivers receivers, Ids ids, Clock clock) {
        this.endpoints = endpoints;
        this.receivers = receivers;
        this.ids = ids;
        this.clock = clock;
    }

    /** {@code POST /v1/webhook_endpoints}: every parameter checked before the one write. */
    public WebhookEndpoint create(String tenant, byte[] body) {
        JsonBody request = JsonBody.parse(body, CREATE);
        String url = url(request.requiredString("url"));
        String name = name(request.requiredString("name"));
        JsonNode types = request.get("event_types");
        if (types == null) {
            throw ApiException.missing("event_types");
        }
        long now = clock.instant().getEpochSecond();
        Endpoint endpoint = new Endpoint(
                ids.webhookEndpoint(), name, url, eventTypes(types), now, now, Signatures.newSecret(), null, null);
        endpoints.create(tenant, endpoint);
        return endpoint.view(true);
    }

    public WebhookEndpoint retrieve(String tenant, String id) {
        return find(tenant, id).view(false);
    }

    public Page<WebhookEndpoint> list(String tenant, String after, Integer limit) {
        int size = PageRequest.limit(limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
        Page<Endpoint> page = endpoints.list(tenant, new PageRequest(after, size, true));
        return new Page<>(page.items().stream().map(e -> e.view(false)).toList(), page.hasMore());
    }

    /**
     * {@code POST /v1/webhook_endpoints/{id}}: the parameters given replace the endpoint's; an update
     * that changes nothing leaves {@code updated_at} as it was, as OpenAI has it.
     */
    public WebhookEndpoint update(String tenant, String id, byte[] body) {
        JsonBody request = JsonBody.parse(orEmpty(body), CREATE);
        Endpoint current = find(tenant, id);
        String url = request.get("url") == null ? current.url() : url(request.requiredString("url"));
        String name = request.get("name") == null ? current.name() : name(request.requiredString("name"));
        List<String> types =
                request.get("event_types") == null ? current.eventTypes() : eventTypes(request.get("event_types"));
        boolean changed =
                !url.equals(current.url()) || !name.equals(current.name()) || !types.equals(current.eventTypes());
        Endpoint updated = new Endpoint(
                current.id(),
                name,
                url,
                types,
                current.createdAt(),
                changed ? clock.instant().getEpochSecond() : current.updatedAt(),
                current.secret(),
                current.previousSecret(),
                current.previousSecretExpires());
        return write(tenant, updated).view(false);
    }

    public WebhookEndpointDeleted delete(String tenant, String id) {
        if (!endpoints.delete(tenant, id)) {
            throw noSuchEndpoint(id);
        }
        return WebhookEndpointDeleted.of(id);
    }

    /**
     * {@code POST /v1/webhook_endpoints/{id}/rotate_secret}: a new secret, answered once; the old one
     * stops signing at once, or signs beside the new one for 24 hours when asked to stay.
     */
    public WebhookEndpoint rotateSecret(String tenant, String id, byte[] body) {
        JsonBody request = JsonBody.parse(orEmpty(body), ROTATE);
        JsonNode keep = request.get("keep_old_secret_active_for_24_hours");
        if (keep != null && !keep.isBoolean()) {
            throw JsonBody.invalidType("keep_old_secret_active_for_24_hours", "a boolean", keep);
        }
        Endpoint current = find(tenant, id);
        long now = clock.instant().getEpochSecond();
        boolean keepOld = keep != null && keep.booleanValue();
        Endpoint rotated = new Endpoint(
                current.id(),
                current.name(),
                current.url(),
                current.eventTypes(),
                current.createdAt(),
                now,
                Signatures.newSecret(),
                keepOld ? current.secret() : null,
                keepOld ? now + OLD_SECRET_KEPT.toSeconds() : null);
        return write(tenant, rotated).view(true);
    }

    /**
     * {@code POST /v1/webhook_endpoints/{id}/test}: a sample event of the type asked for, signed as every
     * delivery is, POSTed to the endpoint now; answers the receiver's status. A receiver that cannot be
     * reached gives no status to answer: that is a 400 saying why.
     */
    public WebhookEndpointTestResult test(String tenant, String id, byte[] body) throws InterruptedException {
        JsonBody request = JsonBody.parse(body, TEST);
        String type = request.requiredString("event_type");
        if (!EVENT_TYPES.contains(type)) {
            throw ApiException.notOneOf(type, EVENT_TYPES, "event_type");
        }
        Endpoint endpoint = find(tenant, id);
        long now = clock.instant().getEpochSecond();
        WebhookEvent event = WebhookEvent.of(ids.event(), now, type, "batch_test");
        byte[] payload = Json.write(event);
        try {
            int status = receivers.post(
                    endpoint.url(),
                    Signatures.headers(event.id(), now, payload, endpoint.signingSecrets(now)),
                    payload);
            return WebhookEndpointTestResult.of(endpoint.id(), type, status);
        } catch (Receivers.Unreachable e) {
            throw ApiException.invalid(
                    "The test event could not be delivered to " + endpoint.url() + ": " + e.getMessage() + ".",
                    null,
                    "webhook_delivery_failed");
        }
    }

    public WebhookEventTypes eventTypes() {
        return WebhookEventTypes.of(EVENT_TYPES);
    }

    /** A call the SDKs make without parameters may come with no body at all. */
    private static byte[] orEmpty(byte[] body) {
        return body.length == 0 ? "{}".getBytes(StandardCharsets.UTF_8) : body;
    }

    private Endpoint write(String tenant, Endpoint endpoint) {
        if (!endpoints.replace(tenant, endpoint)) {
            throw noSuchEndpoint(endpoint.id());
        }
        return endpoint;
    }

    private Endpoint find(String tenant, String id) {
        return endpoints.find(tenant, id).orElseThrow(() -> noSuchEndpoint(id));
    }

    public static ApiException noSuchEndpoint(String id) {
        return ApiException.notFound("No webhook endpoint found with id '" + id + "'.", "webhook_endpoint_id");
    }

    private String url(String url) {
        if (url.length() > MAX_URL) {
            throw ApiException.invalid(
                    "Invalid 'url': string too long. Expected a string with maximum length " + MAX_URL
                            + ", but got a string with length " + url.length() + " instead.",
                    "url",
                    "string_above_max_length");
        }
        try {
            receivers.check(url);
        } catch (Receivers.Unreachable e) {
            throw ApiException.invalid(
                    "Invalid 'url': " + e.getMessage()
                            + "; a webhook endpoint must be an https URL on the public internet.",
                    "url",
                    "invalid_url");
        }
        return url;
    }

    private static String name(String name) {
        if (name.isEmpty() || name.length() > MAX_NAME) {
            throw ApiException.invalid(
                    "Invalid 'name': expected a string of 1 to " + MAX_NAME + " characters, but got one of "
                            + name.length() + ".",
                    "name",
                    name.isEmpty() ? "string_below_min_length" : "string_above_max_length");
        }
        return name;
    }

    private static List<String> eventTypes(JsonNode types) {
        if (!types.isArray()) {
            throw JsonBody.invalidType("event_types", "an array", types);
        }
        if (types.isEmpty()) {
            throw ApiException.invalid(
                    "Invalid 'event_types': empty array. Expected an array with minimum length 1, but got an"
                            + " empty array instead.",
                    "event_types",
                    "empty_array");
        }
        Set<String> chosen = new LinkedHashSet<>();
        for (int i = 0; i < types.size(); i++) {
            JsonNode type = types.get(i);
            String param = "event_types[" + i + "]";
            if (!type.isTextual()) {
                throw JsonBody.invalidType(param, "a string", type);
            }
            if (!EVENT_TYPES.contains(type.textValue())) {
                throw ApiException.notOneOf(type.textValue(), EVENT_TYPES, param);
            }
            chosen.add(type.textValue());
        }
        return new ArrayList<>(chosen);
    }
}
