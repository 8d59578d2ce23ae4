package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.ObjectMappers;
import com.openai.core.http.HttpResponse;
import com.openai.models.batches.Batch;
import dev.openbatch.aws.Settings;
import dev.openbatch.core.Json;
import dev.openbatch.reference.Options;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/batches/{id}/retry} through the local runtime, as a Java user calls it: the SDK has
 * no method for a path of ours, so the JDK's HTTP client sends it with the SDK's base URL and key, and
 * the SDK's own JSON mapper reads the answer as its {@link Batch}. The reference endpoint refuses some
 * lines always ({@code error-400}) and fails others at random ({@code 500}s, more often than the
 * worker's retries outlast), so a batch ends with an error file; its retries run exactly the lines that
 * failed, byte for byte as the input has them, until only the lines refused every time are left.
 */
class RetryFailedLinesIntegrationTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final int LINES = 30;
    private static final Settings.Retries RETRIES =
            new Settings.Retries(Duration.ofSeconds(1), Duration.ofMillis(20), Duration.ZERO);

    private static final LocalRuntimes runtimes = new LocalRuntimes();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterAll
    static void stop() {
        runtimes.close();
    }

    /** Lines as users write them: keys in any order, spaces here and there, escapes kept as written. */
    private static String line(int i) {
        String model = i % 10 == 3 ? "error-400" : "m";
        return i % 2 == 0
                ? "{\"custom_id\":\"line-" + i + "\",\"method\":\"POST\",\"url\":\"" + CHAT
                        + "\",\"body\":{\"model\":\"" + model
                        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9 " + i + "\"}]}}"
                : "{ \"body\": {\"messages\": [{\"content\": \"line " + i + "\", \"role\": \"user\"}], \"model\": \""
                        + model + "\"}, \"url\": \"" + CHAT + "\", \"method\": \"POST\", \"custom_id\": \"line-" + i
                        + "\" }";
    }

    @Test
    void retry_runsExactlyTheFailedLines_byteForByte_andRetriesOfRetriesLeaveOnlyTheLinesRefusedEveryTime()
            throws Exception {
        LocalRuntime runtime = runtimes.start(LocalRuntimes.options(
                        Options.builder().error500(0.7).seed(16).build(), 8, 5, 4, Duration.ofHours(24), 1)
                .withRetries(RETRIES));
        OpenAIClient client = LocalRuntimes.client(runtime);
        List<String> input = new ArrayList<>();
        for (int i = 0; i < LINES; i++) {
            input.add(line(i));
        }
        String batchId = SdkBatches.submit(client, CHAT, String.join("\n", input) + "\n");
        Batch batch = AwaitBatch.ended(client, batchId, Duration.ofMinutes(3));
        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        SdkBatches.endings(client, batch, LINES);
        Set<String> refusedEveryTime = Set.of("line-3", "line-13", "line-23");

        for (int round = 1; ; round++) {
            Set<String> failed =
                    customIds(SdkBatches.lines(client, batch.errorFileId().orElseThrow()));
            assertThat(failed).containsAll(refusedEveryTime);

            Batch retry = retry(runtime, batch.id(), "{\"metadata\":{\"round\":\"" + round + "\"}}");

            assertThat(retry.status()).isEqualTo(Batch.Status.VALIDATING);
            assertThat(retry.endpoint()).isEqualTo(CHAT);
            assertThat(retry.metadata().orElseThrow()._allProperties()).containsOnlyKeys("retry_of", "round");
            assertThat(retry.metadata().orElseThrow()._allProperties().get("retry_of"))
                    .isEqualTo(JsonValue.from(batch.id()));
            String expected = input.stream()
                    .filter(l -> failed.contains(customId(l)))
                    .map(l -> l + "\n")
                    .collect(Collectors.joining());
            assertThat(content(client, retry.inputFileId()))
                    .as("round %d: the retry's input is exactly the failed lines, as the input has them", round)
                    .isEqualTo(expected);
            assertThat(client.files().retrieve(retry.inputFileId()).filename())
                    .isEqualTo("retry-of-" + batch.id() + ".jsonl");

            batch = AwaitBatch.ended(client, retry.id(), Duration.ofMinutes(3));
            assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
            SdkBatches.endings(client, batch, failed.size());
            if (customIds(SdkBatches.lines(client, batch.errorFileId().orElseThrow()))
                    .equals(refusedEveryTime)) {
                break;
            }
            // A line fails its six calls at 70% about once in nine: a few rounds drain the random failures.
            assertThat(round).as("rounds until only the refused lines are left").isLessThan(8);
        }
    }

    @Test
    void retry_ofABatchWithNoFailedLine_is400_inOpenAisEnvelope() throws Exception {
        LocalRuntime runtime =
                runtimes.start(LocalRuntimes.options(Options.defaults(), 8, 5, 2, Duration.ofHours(24), 1));
        OpenAIClient client = LocalRuntimes.client(runtime);
        String batchId = SdkBatches.submit(client, CHAT, ServingRuntime.goodLine("fine") + "\n");
        assertThat(AwaitBatch.ended(client, batchId, Duration.ofMinutes(2)).status())
                .isEqualTo(Batch.Status.COMPLETED);

        java.net.http.HttpResponse<String> refused = post(runtime, "/batches/" + batchId + "/retry", "");

        assertThat(refused.statusCode()).isEqualTo(400);
        JsonNode error = Json.MAPPER.readTree(refused.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asText()).isEqualTo("batch_has_no_failed_requests");
        assertThat(error.get("param").isNull()).isTrue();
        assertThat(post(runtime, "/batches/batch_nonesuch/retry", "").statusCode())
                .isEqualTo(404);
    }

    private Batch retry(LocalRuntime runtime, String batchId, String body) throws Exception {
        java.net.http.HttpResponse<String> response = post(runtime, "/batches/" + batchId + "/retry", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return ObjectMappers.jsonMapper().readValue(response.body(), Batch.class);
    }

    /** A request the SDK has no method for, sent to its base URL with its key. */
    private java.net.http.HttpResponse<String> post(LocalRuntime runtime, String path, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(runtime.apiBase() + path))
                        .header("Authorization", "Bearer sk-local")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    private static String content(OpenAIClient client, String fileId) {
        try (HttpResponse content = client.files().content(fileId);
                InputStream body = content.body()) {
            return new String(body.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> customIds(List<JsonNode> lines) {
        return lines.stream().map(l -> l.get("custom_id").asText()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static String customId(String line) {
        try {
            return Json.MAPPER.readTree(line).get("custom_id").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
