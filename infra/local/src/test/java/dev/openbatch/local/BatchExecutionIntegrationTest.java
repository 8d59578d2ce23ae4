package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import dev.openbatch.reference.Options;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Batches run to their end through the local runtime: the state machine, the queue, the workers, the finalizer. */
class BatchExecutionIntegrationTest {

    private static final LocalRuntimes runtimes = new LocalRuntimes();

    @AfterAll
    static void stop() {
        runtimes.close();
    }

    private static LocalRuntime runtime(
            Options reference, int jobConcurrency, int chunkLines, int workers, Duration window, int deliveries) {
        return runtimes.start(
                LocalRuntimes.options(reference, jobConcurrency, chunkLines, workers, window, deliveries));
    }

    private static OpenAIClient client(LocalRuntime runtime) {
        return LocalRuntimes.client(runtime);
    }

    private static String submit(OpenAIClient client, String endpoint, int count, IntFunction<String> body) {
        return SdkBatches.submit(client, endpoint, count, body);
    }

    private static Batch awaitEnded(OpenAIClient client, String batchId) {
        return AwaitBatch.ended(client, batchId, Duration.ofMinutes(3));
    }

    private static final Map<String, IntFunction<String>> BODIES = Map.of(
            "/v1/chat/completions",
                    i -> "{\"model\":\"" + (i % 50 == 7 ? "error-400" : "m") + "\",\"messages\":"
                            + "[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"line "
                            + i + "\"}]}",
            "/v1/completions", i -> "{\"model\":\"m\",\"prompt\":\"line " + i + "\",\"max_tokens\":5}",
            "/v1/embeddings", i -> "{\"model\":\"e\",\"input\":[\"line " + i + "\",\"again\"]}",
            "/v1/responses", i -> "{\"model\":\"m\",\"input\":\"line " + i + "\",\"x_passthrough\":{\"kept\":true}}");

    @Test
    void twoThousandLines_acrossTheFourEndpoints_endCompleted_eachCustomIdExactlyOnce() {
        LocalRuntime runtime = runtime(Options.defaults(), 32, 100, 8, Duration.ofHours(24), 1);
        OpenAIClient client = client(runtime);
        Map<String, String> batches = new HashMap<>();
        BODIES.forEach((endpoint, body) -> batches.put(endpoint, submit(client, endpoint, 500, body)));

        batches.forEach((endpoint, id) -> {
            Batch batch = awaitEnded(client, id);
            assertThat(batch.status()).as(endpoint).isEqualTo(Batch.Status.COMPLETED);
            Map<String, JsonNode> endings = SdkBatches.endings(client, batch, 500);
            JsonNode first = endings.get(endpoint + "-0");
            assertThat(first.get("response").get("status_code").asInt()).isEqualTo(200);
            assertThat(first.get("id").asText()).startsWith("batch_req_");
            if (endpoint.equals("/v1/chat/completions")) {
                assertThat(batch.requestCounts().orElseThrow().failed()).isEqualTo(10);
                assertThat(endings.get(endpoint + "-7")
                                .get("response")
                                .get("status_code")
                                .asInt())
                        .isEqualTo(400);
                assertThat(first.get("response")
                                .get("body")
                                .get("received")
                                .get("messages")
                                .asInt())
                        .isEqualTo(2);
            } else {
                assertThat(batch.errorFileId()).isEmpty();
            }
        });
    }

    @Test
    void anInvalidFile_endsFailed_withItsErrorsAndLines() {
        LocalRuntime runtime = runtime(Options.defaults(), 4, 10, 2, Duration.ofHours(24), 1);
        OpenAIClient client = client(runtime);
        String batchId =
                submit(client, "/v1/chat/completions", 3, i -> i == 1 ? "\"not an object\"" : "{\"model\":\"m\"}");

        Batch batch = awaitEnded(client, batchId);

        assertThat(batch.status()).isEqualTo(Batch.Status.FAILED);
        assertThat(batch.failedAt()).isPresent();
        Batch.Errors errors = batch.errors().orElseThrow();
        assertThat(errors.data().orElseThrow()).hasSize(1);
        assertThat(errors.data().orElseThrow().getFirst().code()).contains("invalid_type");
        assertThat(errors.data().orElseThrow().getFirst().line()).contains(2L);
        assertThat(batch.outputFileId()).isEmpty();
    }

    @Test
    void cancel_midRun_endsCancelled_withUnsentLinesAsBatchCancelled() {
        LocalRuntime runtime =
                runtime(Options.builder().latency(Duration.ofMillis(50)).build(), 2, 10, 1, Duration.ofHours(24), 1);
        OpenAIClient client = client(runtime);
        String batchId = submit(client, "/v1/embeddings", 200, BODIES.get("/v1/embeddings"));
        while (client.batches().retrieve(batchId).requestCounts().orElseThrow().completed() == 0) {
            AwaitBatch.pause();
        }

        Batch cancelling = client.batches().cancel(batchId);
        assertThat(cancelling.status()).isEqualTo(Batch.Status.CANCELLING);
        Batch batch = awaitEnded(client, batchId);

        assertThat(batch.status()).isEqualTo(Batch.Status.CANCELLED);
        assertThat(batch.cancelledAt()).isPresent();
        Map<String, JsonNode> endings = SdkBatches.endings(client, batch, 200);
        long cancelled = endings.values().stream()
                .filter(l -> !l.get("error").isNull()
                        && l.get("error").get("code").asText().equals("batch_cancelled"))
                .count();
        assertThat(cancelled).isPositive();
        assertThat(batch.requestCounts().orElseThrow().completed()).isPositive();
        assertThat(batch.requestCounts().orElseThrow().failed()).isEqualTo(cancelled);
    }

    @Test
    void a24hBatchPastItsWindow_endsExpired_keepingItsPartialOutput() {
        LocalRuntime runtime =
                runtime(Options.builder().latency(Duration.ofMillis(200)).build(), 1, 5, 1, Duration.ofSeconds(5), 1);
        OpenAIClient client = client(runtime);
        // 12 s of requests one at a time: a worker's start takes a second or two, its window 4 to 5.
        String batchId = submit(client, "/v1/completions", 60, BODIES.get("/v1/completions"));

        Batch batch = awaitEnded(client, batchId);

        assertThat(batch.status()).isEqualTo(Batch.Status.EXPIRED);
        assertThat(batch.expiredAt()).isPresent();
        Map<String, JsonNode> endings = SdkBatches.endings(client, batch, 60);
        assertThat(batch.requestCounts().orElseThrow().completed()).isPositive();
        assertThat(endings.values().stream()
                        .filter(l -> !l.get("error").isNull())
                        .allMatch(l -> l.get("error").get("code").asText().equals("batch_expired")))
                .isTrue();
        assertThat(batch.requestCounts().orElseThrow().failed()).isPositive();
    }
}
