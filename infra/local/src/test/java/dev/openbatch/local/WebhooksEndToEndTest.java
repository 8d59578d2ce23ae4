package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.Headers;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.batches.Batch;
import com.openai.models.webhooks.BatchCompletedWebhookEvent;
import com.openai.models.webhooks.UnwrapWebhookEvent;
import com.openai.models.webhooks.WebhookCreateParams;
import com.openai.models.webhooks.WebhookEndpoint;
import com.openai.models.webhooks.WebhookEndpointTestResult;
import com.openai.models.webhooks.WebhookEndpointWithSecret;
import com.openai.models.webhooks.WebhookRotateSecretParams;
import com.openai.models.webhooks.WebhookTestParams;
import com.openai.models.webhooks.WebhookUpdateParams;
import com.openai.models.webhooks.WebhookVerificationParams;
import com.sun.net.httpserver.HttpServer;
import dev.openbatch.core.Json;
import dev.openbatch.core.keys.ApiKeys;
import dev.openbatch.core.webhooks.RetrySchedule;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * OpenAI's webhooks through the local runtime, driven by the official Java SDK: endpoints managed with
 * its {@code webhooks()} methods, a finished batch's event verified by its {@code unwrap}, a tampered
 * body refused, a rotated secret, a receiver that is down at first, a private address refused, another
 * tenant's endpoint absent. The receiver is a JDK HTTP server on 127.0.0.1, which the runtime is told
 * to trust ({@code --webhook-hosts}, {@code --allow-http-webhooks}); retries wait a second, not 30.
 */
class WebhooksEndToEndTest {

    private static final String KEY_A = "sk-hooks-a-0123456789";
    private static final String KEY_B = "sk-hooks-b-0123456789";
    private static final String CHAT = "{\"custom_id\":\"c-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
            + "\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** One request the receiver got. */
    private record Received(String path, Map<String, String> headers, byte[] body) {
        String id() {
            return headers.get("webhook-id");
        }

        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        Headers sdkHeaders() {
            Headers.Builder builder = Headers.builder();
            headers.forEach(builder::put);
            return builder.build();
        }
    }

    private static final List<Received> RECEIVED = new CopyOnWriteArrayList<>();
    /** How many times each event reached {@code /down}: it answers 503 to the first three. */
    private static final Map<String, AtomicInteger> DOWN_TRIES = new ConcurrentHashMap<>();

    private static HttpServer receiver;
    private static LocalRuntime runtime;

    @BeforeAll
    static void start() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", exchange -> {
            Map<String, String> headers = new HashMap<>();
            exchange.getRequestHeaders()
                    .forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.getFirst()));
            Received got = new Received(
                    exchange.getRequestURI().getPath(),
                    headers,
                    exchange.getRequestBody().readAllBytes());
            RECEIVED.add(got);
            int status = 200;
            if (got.path().equals("/down")) {
                int tries = DOWN_TRIES
                        .computeIfAbsent(got.id(), id -> new AtomicInteger())
                        .incrementAndGet();
                status = tries <= 3 ? 503 : 200;
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        receiver.start();

        runtime = LocalRuntime.start(LocalRuntimes.isolated("openbatch-webhooks")
                .jobConcurrency(8)
                .chunkLines(100)
                .mapConcurrency(4)
                .workers(4)
                .tenants(List.of("hooks-a", "hooks-b"))
                .build()
                .withWebhooks(new LocalRuntime.Webhooks(
                        Set.of("127.0.0.1"),
                        true,
                        new RetrySchedule(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofHours(72)))));
        try (DynamoDbClient dynamo = DynamoDbClient.builder()
                .endpointOverride(runtime.dynamoEndpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .build()) {
            issue(dynamo, KEY_A, "hooks-a");
            issue(dynamo, KEY_B, "hooks-b");
        }
    }

    @AfterAll
    static void stop() {
        if (runtime != null) {
            runtime.close();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
    }

    private static void issue(DynamoDbClient dynamo, String key, String tenant) {
        dynamo.putItem(b -> b.tableName(LocalRuntime.KEYS_TABLE)
                .item(Map.of(
                        "key_hash", AttributeValue.fromS(ApiKeys.hash(key)), "tenant", AttributeValue.fromS(tenant))));
    }

    private static OpenAIClient client(String key) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(runtime.apiBase().toString())
                .apiKey(key)
                .maxRetries(0)
                .build();
    }

    private static String receiverUrl(String path) {
        return "http://127.0.0.1:" + receiver.getAddress().getPort() + path;
    }

    private static WebhookEndpointWithSecret create(OpenAIClient client, String path) {
        return client.webhooks()
                .create(WebhookCreateParams.builder()
                        .url(receiverUrl(path))
                        .name("receiver " + path)
                        .addEventType(WebhookCreateParams.EventType.BATCH_COMPLETED)
                        .build());
    }

    private static UnwrapWebhookEvent unwrap(OpenAIClient client, Received got, byte[] body, String secret) {
        return client.webhooks()
                .unwrap(WebhookVerificationParams.builder()
                        .payload(body)
                        .headers(got.sdkHeaders())
                        .secret(secret)
                        .build());
    }

    private static List<Received> at(String path, String batchId) {
        return RECEIVED.stream()
                .filter(r -> r.path().equals(path))
                .filter(r -> batchId == null
                        || batchId.equals(r.json().at("/data/id").asText()))
                .toList();
    }

    @Test
    void anEndpoint_isCreatedListedRetrievedUpdatedTestedAndDeleted_withTheSdksWebhookMethods() {
        OpenAIClient a = client(KEY_A);
        WebhookEndpointWithSecret created = create(a, "/lifecycle");
        assertThat(created.id()).startsWith("whe_");
        assertThat(created.signingSecret()).startsWith("whsec_");
        assertThat(Base64.getDecoder().decode(created.signingSecret().substring("whsec_".length())))
                .hasSize(32);
        assertThat(created.eventTypes()).containsExactly("batch.completed");
        assertThat(created.signingSecretHint().orElseThrow())
                .endsWith(created.signingSecret()
                        .substring(created.signingSecret().length() - 4));

        WebhookEndpoint retrieved = a.webhooks().retrieve(created.id());
        assertThat(retrieved.url()).isEqualTo(receiverUrl("/lifecycle"));
        assertThat(retrieved._allProperties()).doesNotContainKey("signing_secret");
        assertThat(a.webhooks().list().items()).extracting(WebhookEndpoint::id).contains(created.id());
        assertThat(a.webhooks().eventTypes().list().data())
                .containsExactly("batch.completed", "batch.failed", "batch.expired", "batch.cancelled");

        WebhookEndpoint updated = a.webhooks()
                .update(
                        created.id(),
                        WebhookUpdateParams.builder()
                                .name("renamed")
                                .addEventType(WebhookUpdateParams.EventType.BATCH_COMPLETED)
                                .addEventType(WebhookUpdateParams.EventType.BATCH_FAILED)
                                .build());
        assertThat(updated.name()).isEqualTo("renamed");
        assertThat(updated.eventTypes()).containsExactly("batch.completed", "batch.failed");

        WebhookEndpointTestResult tested = a.webhooks()
                .test(
                        created.id(),
                        WebhookTestParams.builder()
                                .eventType(WebhookTestParams.EventType.BATCH_COMPLETED)
                                .build());
        assertThat(tested.statusCode()).isEqualTo(200);
        assertThat(tested.webhookEndpointId()).isEqualTo(created.id());
        Received test = at("/lifecycle", null).getLast();
        assertThat(unwrap(a, test, test.body(), created.signingSecret()).batchCompleted())
                .isPresent();

        assertThat(a.webhooks().delete(created.id()).deleted()).isTrue();
        assertThatThrownBy(() -> a.webhooks().retrieve(created.id())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void aFinishedBatch_reachesTheEndpoint_verifiedByUnwrap_andATamperedBodyIsRefused() {
        OpenAIClient a = client(KEY_A);
        WebhookEndpointWithSecret endpoint = create(a, "/events");
        String batchId = SdkBatches.submit(a, "/v1/chat/completions", CHAT);
        Batch done = AwaitBatch.ended(a, batchId, Duration.ofMinutes(2));
        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);

        Poll.until(
                Duration.ofSeconds(60),
                "event for " + batchId,
                () -> !at("/events", batchId).isEmpty());
        Received got = at("/events", batchId).getFirst();
        BatchCompletedWebhookEvent event = unwrap(a, got, got.body(), endpoint.signingSecret())
                .batchCompleted()
                .orElseThrow();
        assertThat(event.data().id()).isEqualTo(batchId);
        assertThat(event.id()).startsWith("evt_").isEqualTo(got.id());
        assertThat(event.createdAt()).isEqualTo(done.completedAt().orElseThrow());

        byte[] tampered = new String(got.body(), StandardCharsets.UTF_8)
                .replace(batchId, batchId.substring(0, batchId.length() - 1) + "X")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> unwrap(a, got, tampered, endpoint.signingSecret()))
                .isInstanceOf(com.openai.errors.InvalidWebhookSignatureException.class);
        a.webhooks().delete(endpoint.id());
    }

    @Test
    void aRotatedSecret_keptActive_signsBesideTheNewOne_andWithoutKeepingStopsAtOnce() {
        OpenAIClient a = client(KEY_A);
        WebhookEndpointWithSecret endpoint = create(a, "/rotated");
        WebhookEndpointWithSecret rotated = a.webhooks()
                .rotateSecret(
                        endpoint.id(),
                        WebhookRotateSecretParams.builder()
                                .keepOldSecretActiveFor24Hours(true)
                                .build());
        assertThat(rotated.signingSecret()).startsWith("whsec_").isNotEqualTo(endpoint.signingSecret());
        WebhookTestParams test = WebhookTestParams.builder()
                .eventType(WebhookTestParams.EventType.BATCH_COMPLETED)
                .build();
        assertThat(a.webhooks().test(endpoint.id(), test).statusCode()).isEqualTo(200);
        Received both = at("/rotated", null).getLast();
        assertThat(both.headers().get("webhook-signature").split(" ")).hasSize(2);
        assertThat(unwrap(a, both, both.body(), endpoint.signingSecret()).batchCompleted())
                .isPresent();
        assertThat(unwrap(a, both, both.body(), rotated.signingSecret()).batchCompleted())
                .isPresent();

        WebhookEndpointWithSecret again = a.webhooks().rotateSecret(endpoint.id());
        a.webhooks().test(endpoint.id(), test);
        Received last = at("/rotated", null).getLast();
        assertThat(unwrap(a, last, last.body(), again.signingSecret()).batchCompleted())
                .isPresent();
        assertThatThrownBy(() -> unwrap(a, last, last.body(), rotated.signingSecret()))
                .isInstanceOf(com.openai.errors.InvalidWebhookSignatureException.class);
        a.webhooks().delete(endpoint.id());
    }

    @Test
    void aReceiverDownForItsFirstThreeTries_getsTheEventOnceItIsBack_withTheSameId() {
        OpenAIClient a = client(KEY_A);
        WebhookEndpointWithSecret endpoint = create(a, "/down");
        String batchId = SdkBatches.submit(a, "/v1/chat/completions", CHAT);
        AwaitBatch.ended(a, batchId, Duration.ofMinutes(2));

        Poll.until(
                Duration.ofSeconds(90),
                "fourth try for " + batchId,
                () -> at("/down", batchId).size() >= 4);
        List<Received> tries = at("/down", batchId);
        assertThat(tries).extracting(Received::id).containsOnly(tries.getFirst().id());
        assertThat(unwrap(a, tries.get(3), tries.get(3).body(), endpoint.signingSecret())
                        .batchCompleted())
                .isPresent();
        // A 2xx ends the retries: well past the longest wait (2 s), no fifth try came.
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            AwaitBatch.pause();
        }
        assertThat(at("/down", batchId)).hasSize(4);
        a.webhooks().delete(endpoint.id());
    }

    @Test
    void aPrivateAddress_isRefusedAtCreate_withOpenAisEnvelope() throws Exception {
        OpenAIClient a = client(KEY_A);
        for (String url : List.of("https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/hook")) {
            assertThatThrownBy(() -> a.webhooks()
                            .create(WebhookCreateParams.builder()
                                    .url(url)
                                    .name("inside")
                                    .addEventType(WebhookCreateParams.EventType.BATCH_COMPLETED)
                                    .build()))
                    .as(url)
                    .isInstanceOf(BadRequestException.class);
            HttpResponse<String> raw = HTTP.send(
                    HttpRequest.newBuilder(URI.create(runtime.apiBase() + "/webhook_endpoints"))
                            .header("Authorization", "Bearer " + KEY_A)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"" + url
                                    + "\",\"name\":\"inside\",\"event_types\":[\"batch.completed\"]}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(raw.statusCode()).isEqualTo(400);
            JsonNode error = Json.MAPPER.readTree(raw.body()).get("error");
            assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
            assertThat(error.get("param").asText()).isEqualTo("url");
            assertThat(error.get("code").asText()).isEqualTo("invalid_url");
            assertThat(error.get("message").asText()).contains("not on the public internet");
        }
    }

    /** What the local bus was handed for the batch so far, in order. */
    private static List<JsonNode> busEvents(String batchId) throws IOException {
        List<JsonNode> events = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(runtime.eventLog())) {
            JsonNode event = Json.MAPPER.readTree(line);
            if (event.at("/detail/id").asText().equals(batchId)) {
                events.add(event);
            }
        }
        return events;
    }

    @Test
    void everyStatusChange_ofABatch_isOnTheDefaultBus_asEventBridgeHandsItToARule() throws IOException {
        OpenAIClient a = client(KEY_A);
        String batchId = SdkBatches.submit(a, "/v1/chat/completions", CHAT);
        Batch done = AwaitBatch.ended(a, batchId, Duration.ofMinutes(2));

        // The batch's last event is put after its record has ended, as in the cloud, where a rule sees
        // it later still: read the bus until it is there.
        List<JsonNode> events = busEvents(batchId);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (events.size() < 4 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            events = busEvents(batchId);
        }
        assertThat(events)
                .extracting(e -> e.at("/detail/status").asText())
                .containsExactly("validating", "in_progress", "finalizing", "completed");
        assertThat(events).allSatisfy(event -> {
            assertThat(event.get("source").asText()).isEqualTo("openbatch");
            assertThat(event.get("detail-type").asText()).isEqualTo("Batch Status Changed");
            assertThat(event.get("account").asText()).isEqualTo("000000000000");
            assertThat(event.at("/detail/object").asText()).isEqualTo("batch");
        });
        assertThat(events.getLast().at("/detail/completed_at").asLong())
                .isEqualTo(done.completedAt().orElseThrow());
    }

    @Test
    void anotherTenantsEndpoint_isA404_andNotListed() {
        OpenAIClient a = client(KEY_A);
        OpenAIClient b = client(KEY_B);
        WebhookEndpointWithSecret mine = create(a, "/tenant-a");
        assertThatThrownBy(() -> b.webhooks().retrieve(mine.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> b.webhooks().delete(mine.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> b.webhooks().rotateSecret(mine.id())).isInstanceOf(NotFoundException.class);
        assertThat(b.webhooks().list().items()).extracting(WebhookEndpoint::id).doesNotContain(mine.id());
        assertThat(a.webhooks().retrieve(mine.id()).id()).isEqualTo(mine.id());
        a.webhooks().delete(mine.id());
    }
}
