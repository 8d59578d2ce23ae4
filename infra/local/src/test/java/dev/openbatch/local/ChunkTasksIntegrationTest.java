package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import dev.openbatch.core.Json;
import dev.openbatch.reference.Options;
import dev.openbatch.stepfunctions.FlakySqs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The Map's chunk tasks under what SQS and the workers do in the cloud, through the whole local
 * runtime: SendMessage throttled or cut off, and a chunk message lost with its task token.
 */
class ChunkTasksIntegrationTest {

    private static final String COMPLETIONS = "/v1/completions";
    private static final LocalRuntimes runtimes = new LocalRuntimes();

    @AfterAll
    static void stop() {
        runtimes.close();
    }

    private static String body(int i) {
        return "{\"model\":\"m\",\"prompt\":\"line " + i + "\",\"max_tokens\":5}";
    }

    @Test
    void sendMessageThrottledAndCutOff_isRetried_andTheBatchCompletesWithEveryLine() {
        AtomicReference<FlakySqs> flaky = new AtomicReference<>();
        UnaryOperator<software.amazon.awssdk.services.sqs.SqsClient> faults = real -> {
            flaky.set(new FlakySqs(
                    real,
                    List.of(
                            FlakySqs.throttled(),
                            FlakySqs.throttled(),
                            FlakySqs.internalError(),
                            FlakySqs.connectionReset())));
            return flaky.get();
        };
        LocalRuntime runtime = runtimes.start(
                LocalRuntimes.options(Options.defaults(), 4, 10, 2, Duration.ofHours(24), 1),
                new LocalRuntime.Interceptors(f -> f, f -> f, w -> w, faults));
        OpenAIClient client = LocalRuntimes.client(runtime);

        Batch batch = AwaitBatch.ended(
                client,
                SdkBatches.submit(client, COMPLETIONS, 40, ChunkTasksIntegrationTest::body),
                Duration.ofMinutes(2));

        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(flaky.get().failedSends).hasValue(4);
        SdkBatches.endings(client, batch, 40);
        assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(40);
    }

    /**
     * A chunk's message taken off the queue and never run (its token lost with it): the 24h
     * batch's chunk task stops waiting at the window, and the run goes on to Finalize with the
     * chunk count, so the finalizer can end that chunk's lines (batch_expired) instead of the batch
     * hanging for 30 days. How the finalizer ends a chunk without a part is the finalizer's
     * (issue-13-worker); here: the finalizer is called at the window, not later, and the batch ends.
     */
    @Test
    void aChunkMessageLostWithItsToken_on24hBatch_reachesFinalizeWithTheChunkCountAtTheWindow_andTheBatchEnds() {
        List<JsonNode> finalizations = new CopyOnWriteArrayList<>();
        List<Instant> finalizedAt = new CopyOnWriteArrayList<>();
        UnaryOperator<Function<JsonNode, JsonNode>> finalizer = f -> payload -> {
            finalizations.add(payload.deepCopy());
            finalizedAt.add(Instant.now());
            return f.apply(payload);
        };
        List<String> dropped = new CopyOnWriteArrayList<>();
        UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> losesChunkZero = worker -> (event, context) -> {
            SQSEvent kept = new SQSEvent();
            kept.setRecords(event.getRecords().stream()
                    .filter(message -> {
                        boolean lost =
                                json(message.getBody()).at("/chunk/index").asInt() == 0;
                        if (lost) {
                            dropped.add(message.getMessageId());
                        }
                        return !lost;
                    })
                    .toList());
            return kept.getRecords().isEmpty()
                    ? SQSBatchResponse.builder()
                            .withBatchItemFailures(List.of())
                            .build()
                    : worker.handleRequest(kept, context);
        };
        Duration window = Duration.ofSeconds(4);
        LocalRuntime runtime = runtimes.start(
                LocalRuntimes.options(Options.defaults(), 4, 5, 2, window, 1),
                new LocalRuntime.Interceptors(f -> f, finalizer, losesChunkZero));
        OpenAIClient client = LocalRuntimes.client(runtime);

        String batchId = SdkBatches.submit(client, COMPLETIONS, 20, ChunkTasksIntegrationTest::body);
        long expiresAt = client.batches().retrieve(batchId).expiresAt().orElseThrow();
        Batch batch = AwaitBatch.ended(client, batchId, Duration.ofMinutes(2));

        assertThat(dropped).hasSize(1);
        assertThat(finalizations).isNotEmpty();
        assertThat(finalizations.getFirst())
                .isEqualTo(json(Json.writeString(Map.of("batch_id", batchId, "tenant", "default", "chunk_count", 4))));
        assertThat(finalizedAt.getFirst().getEpochSecond())
                .as("the finalizer is called at the window's end")
                .isBetween(expiresAt - 1, expiresAt + 10);
        assertThat(Batch.Status.of(batch.status().asString())).isEqualTo(Batch.Status.EXPIRED);
        // Every line once: the lost chunk's lines as batch_expired, the others as they ran.
        assertThat(batch.requestCounts().orElseThrow().total()).isEqualTo(20);
        assertThat(batch.requestCounts().orElseThrow().completed()
                        + batch.requestCounts().orElseThrow().failed())
                .isEqualTo(20);
        finalizations.stream()
                .filter(p -> p.has("error"))
                .forEach(failed -> assertThat(failed.get("chunk_count").asInt())
                        .as("MarkFailed keeps the chunk count")
                        .isEqualTo(4));
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
