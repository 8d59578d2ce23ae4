package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.batches.Batch;
import dev.openbatch.core.Json;
import dev.openbatch.core.keys.ApiKeys;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * API keys in the local runtime, as in the cloud: every request goes through the Lambda authorizer;
 * no key, an unknown or a revoked key is a 401 in OpenAI's envelope, and one tenant's files and
 * batches do not exist for another.
 */
class TenantIsolationEndToEndTest {

    private static final String KEY_A = "sk-team-a-0123456789";
    private static final String KEY_B = "sk-team-b-0123456789";
    private static final String REVOKED = "sk-team-a-revoked";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static LocalRuntime runtime;

    @BeforeAll
    static void start() throws IOException {
        runtime = LocalRuntime.start(LocalRuntimes.isolated("openbatch-tenants")
                .jobConcurrency(8)
                .chunkLines(100)
                .mapConcurrency(4)
                .workers(4)
                .tenants(List.of("team-a", "team-b"))
                .build());
        // Issued as the README says, with any DynamoDB client: the key's SHA-256 and its tenant.
        try (DynamoDbClient dynamo = DynamoDbClient.builder()
                .endpointOverride(runtime.dynamoEndpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .build()) {
            issue(dynamo, KEY_A, "team-a", null);
            issue(dynamo, KEY_B, "team-b", null);
            issue(dynamo, REVOKED, "team-a", 1L);
        }
    }

    @AfterAll
    static void stop() {
        if (runtime != null) {
            runtime.close();
        }
    }

    private static void issue(DynamoDbClient dynamo, String key, String tenant, Long revokedAt) {
        Map<String, AttributeValue> item = new java.util.HashMap<>(
                Map.of("key_hash", AttributeValue.fromS(ApiKeys.hash(key)), "tenant", AttributeValue.fromS(tenant)));
        if (revokedAt != null) {
            item.put("revoked_at", AttributeValue.fromN(revokedAt.toString()));
        }
        dynamo.putItem(b -> b.tableName(LocalRuntime.KEYS_TABLE).item(item));
    }

    private static OpenAIClient client(String key) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(runtime.apiBase().toString())
                .apiKey(key)
                .maxRetries(0)
                .build();
    }

    private record Answer(int status, JsonNode body) {}

    private static Answer call(String method, String path, String key, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(runtime.apiBase() + path))
                .method(
                        method,
                        json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json");
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        HttpResponse<byte[]> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(
                response.statusCode(), response.body().length == 0 ? null : Json.MAPPER.readTree(response.body()));
    }

    @Test
    void noKey_anUnknownKey_andARevokedKey_are401_inOpenAisEnvelope() throws Exception {
        Answer none = call("GET", "/files", null, null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.body().at("/error/message").asText()).startsWith("You didn't provide an API key.");
        assertThat(none.body().at("/error/type").asText()).isEqualTo("invalid_request_error");

        for (String key : new String[] {"sk-never-issued", REVOKED}) {
            Answer refused = call("GET", "/batches", key, null);
            assertThat(refused.status()).as(key).isEqualTo(401);
            assertThat(refused.body().at("/error/code").asText()).isEqualTo("invalid_api_key");
            assertThat(refused.body().at("/error/message").asText()).startsWith("Incorrect API key provided.");
        }
    }

    @Test
    void anotherTenantsFilesAndBatches_doNotExist_forAnything() throws Exception {
        OpenAIClient a = client(KEY_A);
        String jsonl = "{\"custom_id\":\"a-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n";
        String batchId = SdkBatches.submit(a, "/v1/chat/completions", jsonl);
        Batch done = AwaitBatch.ended(a, batchId, Duration.ofMinutes(2));
        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        String fileId = done.inputFileId();
        String outputId = done.outputFileId().orElseThrow();

        Answer missingFile = call("GET", "/files/file-doesnotexist0000000000", KEY_B, null);
        for (String[] request : new String[][] {
            {"GET", "/files/" + fileId},
            {"GET", "/files/" + fileId + "/content"},
            {"GET", "/files/" + outputId},
            {"GET", "/files/" + outputId + "/content"},
            {"DELETE", "/files/" + fileId},
            {"GET", "/batches/" + batchId},
            {"POST", "/batches/" + batchId + "/cancel"}
        }) {
            Answer answer = call(request[0], request[1], KEY_B, null);
            assertThat(answer.status()).as(String.join(" ", request)).isEqualTo(404);
            assertThat(answer.body().at("/error/type").asText())
                    .isEqualTo(missingFile.body().at("/error/type").asText());
        }
        String create =
                "{\"input_file_id\":\"%s\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}";
        Answer asInput = call("POST", "/batches", KEY_B, create.formatted(fileId));
        Answer nothing = call("POST", "/batches", KEY_B, create.formatted("file-doesnotexist0000000000"));
        assertThat(asInput.status()).isEqualTo(nothing.status()).isEqualTo(404);
        assertThat(asInput.body().at("/error/message").asText().replace(fileId, "ID"))
                .isEqualTo(nothing.body().at("/error/message").asText().replace("file-doesnotexist0000000000", "ID"));

        assertThat(call("GET", "/files", KEY_B, null).body().get("data").findValuesAsText("id"))
                .doesNotContain(fileId, outputId);
        assertThat(call("GET", "/batches", KEY_B, null).body().get("data").findValuesAsText("id"))
                .doesNotContain(batchId);
        assertThat(call("GET", "/batches", KEY_A, null).body().get("data").findValuesAsText("id"))
                .contains(batchId);
        assertThat(call("GET", "/files/" + fileId, KEY_A, null).status())
                .as("still there for its owner")
                .isEqualTo(200);
    }
}
