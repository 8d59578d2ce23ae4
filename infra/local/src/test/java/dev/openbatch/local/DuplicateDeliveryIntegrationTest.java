package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import dev.openbatch.aws.Settings;
import dev.openbatch.core.Json;
import dev.openbatch.reference.Options;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A standard queue's worst: every chunk message delivered a second time, to another worker
 * sandbox, while its first run is still going. The batch still ends with every custom id exactly
 * once and counts that match its files.
 */
class DuplicateDeliveryIntegrationTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final int LINES = 100;
    private static final int CHUNK_LINES = 20;

    private static final LocalRuntimes runtimes = new LocalRuntimes();

    @AfterAll
    static void stop() {
        runtimes.close();
    }

    private static int chunkIndex(SQSEvent event) {
        try {
            return Json.MAPPER
                    .readTree(event.getRecords().getFirst().getBody())
                    .at("/chunk/index")
                    .asInt();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void everyChunkDeliveredTwiceWhileItsFirstRunGoesOn_endsEveryCustomIdExactlyOnce_withMatchingCounts() {
        Map<Integer, AtomicInteger> running = new ConcurrentHashMap<>();
        AtomicInteger overlapping = new AtomicInteger();
        UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> watched = worker -> (event, context) -> {
            AtomicInteger runs = running.computeIfAbsent(chunkIndex(event), i -> new AtomicInteger());
            if (runs.incrementAndGet() > 1) {
                overlapping.incrementAndGet();
            }
            try {
                return worker.handleRequest(event, context);
            } finally {
                runs.decrementAndGet();
            }
        };
        // Eight sandboxes for the Map's four chunks at once: each duplicate finds one free; a job's
        // concurrency of 64 leaves each of the eight a share worth running (CapacityLeases' minimum).
        LocalRuntime runtime = runtimes.start(
                LocalRuntimes.options(
                                Options.builder().latency(Duration.ofMillis(20)).build(),
                                64,
                                CHUNK_LINES,
                                8,
                                Duration.ofHours(24),
                                1)
                        .withDuplicateDeliveryWhileRunning(true),
                new LocalRuntime.Interceptors(f -> f, f -> f, watched));
        OpenAIClient client = LocalRuntimes.client(runtime);

        Batch batch = AwaitBatch.ended(
                client,
                SdkBatches.submit(
                        client,
                        CHAT,
                        LINES,
                        i -> "{\"model\":\"" + (i % 50 == 7 ? "error-400" : "m")
                                + "\",\"messages\":[{\"role\":\"user\"," + "\"content\":\"line " + i + "\"}]}"),
                Duration.ofMinutes(2));

        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        SdkBatches.endings(client, batch, LINES);
        assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(LINES - 2);
        assertThat(batch.requestCounts().orElseThrow().failed()).isEqualTo(2);
        assertThat(overlapping.get()).as("runs of one chunk that overlapped").isPositive();
        assertThat(runtime.referenceStats().requests())
                .as("the duplicates ran their lines too")
                .isGreaterThan(LINES);
    }

    /**
     * The same, with an endpoint that fails half its requests: the two runs of one chunk may end a
     * line differently (one exhausts its retries, the other does not), and each writes the chunk's
     * part, so the part must be one run's whole, and the batch's counts that part's.
     *
     * <p>Fails today: the later run overwrites the part the first run wrote and counted (seen:
     * counts of 197 completed, an output file of 193 lines).
     */
    @Test
    void twoOverlappingRunsThatEndALineDifferently_stillEndEveryCustomIdExactlyOnce_withCountsThatMatchTheFiles() {
        Map<Integer, AtomicInteger> running = new ConcurrentHashMap<>();
        AtomicInteger overlapping = new AtomicInteger();
        UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> watched = worker -> (event, context) -> {
            AtomicInteger runs = running.computeIfAbsent(chunkIndex(event), i -> new AtomicInteger());
            if (runs.incrementAndGet() > 1) {
                overlapping.incrementAndGet();
            }
            try {
                return worker.handleRequest(event, context);
            } finally {
                runs.decrementAndGet();
            }
        };
        Options flaky = Options.builder()
                .latency(Duration.ofMillis(5))
                .latencyJitter(Duration.ofMillis(20))
                .error500(0.6)
                .seed(7)
                .build();
        LocalRuntime runtime = runtimes.start(
                LocalRuntimes.options(flaky, 8, CHUNK_LINES, 8, Duration.ofHours(24), 1)
                        .withRetries(new Settings.Retries(Duration.ofSeconds(1), Duration.ofMillis(10), Duration.ZERO))
                        .withDuplicateDeliveryWhileRunning(true),
                new LocalRuntime.Interceptors(f -> f, f -> f, watched));
        OpenAIClient client = LocalRuntimes.client(runtime);

        Batch batch = AwaitBatch.ended(
                client,
                SdkBatches.submit(
                        client,
                        CHAT,
                        2 * LINES,
                        i -> "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"line " + i + "\"}]}"),
                Duration.ofMinutes(3));

        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(overlapping.get()).as("runs of one chunk that overlapped").isPositive();
        SdkBatches.endings(client, batch, 2 * LINES);
    }
}
