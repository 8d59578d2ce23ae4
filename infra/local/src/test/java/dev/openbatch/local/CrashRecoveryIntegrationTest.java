package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import com.openai.models.files.FileObject;
import dev.openbatch.aws.Settings;
import dev.openbatch.core.Json;
import dev.openbatch.reference.Options;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.TaskTimedOutException;

/**
 * Steps that fail, stop or repeat as they may in the cloud — a worker stopped mid-chunk, a chunk
 * that fails on every delivery, the validator retried, the finalizer run twice, every task token
 * answered twice — through the whole local runtime: every custom id still ends exactly once, with
 * the same files and counts.
 */
class CrashRecoveryIntegrationTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final int LINES = 100;
    private static final int CHUNK_LINES = 20;
    /** A failed chunk message is delivered again at once, so five deliveries take no time. */
    private static final Settings.Retries RETRIES =
            new Settings.Retries(Duration.ofMinutes(1), Duration.ofMillis(50), Duration.ZERO);

    private static final LocalRuntimes runtimes = new LocalRuntimes();

    @AfterAll
    static void stop() {
        runtimes.close();
    }

    private static LocalRuntime runtime(Options reference, int workers, LocalRuntime.Interceptors interceptors) {
        return runtime(reference, 2, workers, interceptors);
    }

    private static LocalRuntime runtime(
            Options reference, int jobConcurrency, int workers, LocalRuntime.Interceptors interceptors) {
        return runtimes.start(
                // The Map runs every chunk at once, so that each is CHUNK_LINES lines, as the tests name them.
                LocalRuntimes.options(reference, jobConcurrency, CHUNK_LINES, 10, workers, Duration.ofHours(24), 1)
                        .withRetries(RETRIES),
                interceptors);
    }

    private static String body(int i) {
        return "{\"model\":\"" + (i % 50 == 7 ? "error-400" : "m")
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"line " + i + "\"}]}";
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int chunkIndex(SQSEvent event) {
        return json(event.getRecords().getFirst().getBody()).at("/chunk/index").asInt();
    }

    private static UnaryOperator<Function<JsonNode, JsonNode>> same() {
        return f -> f;
    }

    @Test
    void aWorkerStoppedMidChunk_getsItsMessageBack_andTheChunkEndsWithEveryLineOnce() {
        AtomicReference<LocalRuntime> self = new AtomicReference<>();
        AtomicInteger deliveriesOfChunk1 = new AtomicInteger();
        UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> stopsMidChunk = worker -> (event, context) -> {
            if (chunkIndex(event) != 1 || deliveriesOfChunk1.incrementAndGet() > 1) {
                return worker.handleRequest(event, context);
            }
            // One poller, so every request the endpoint sees from now on is this chunk's. Once a few have
            // gone out, the invocation is stopped, as Lambda stops one that runs out of time.
            long before = self.get().referenceStats().requests();
            CompletableFuture<SQSBatchResponse> response = new CompletableFuture<>();
            Thread invocation = Thread.ofVirtual().start(() -> response.complete(worker.handleRequest(event, context)));
            Poll.until(
                    Duration.ofSeconds(20),
                    "lines of chunk 1 at the endpoint",
                    () -> self.get().referenceStats().requests() >= before + 5);
            invocation.interrupt();
            return response.join();
        };
        LocalRuntime runtime = runtime(
                Options.builder().latency(Duration.ofMillis(20)).build(),
                1,
                new LocalRuntime.Interceptors(same(), same(), stopsMidChunk));
        self.set(runtime);
        OpenAIClient client = LocalRuntimes.client(runtime);

        Batch batch = AwaitBatch.ended(
                client,
                SdkBatches.submit(client, CHAT, LINES, CrashRecoveryIntegrationTest::body),
                Duration.ofMinutes(2));

        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        SdkBatches.endings(client, batch, LINES);
        assertThat(batch.requestCounts().orElseThrow().failed()).isEqualTo(2);
        assertThat(deliveriesOfChunk1)
                .as("the stopped chunk's message came back")
                .hasValue(2);
        assertThat(runtime.referenceStats().requests())
                .as("the stopped chunk ran again")
                .isGreaterThanOrEqualTo(LINES + 5);
    }

    @Test
    void aChunkThatFailsOnEveryDelivery_reachesTheDeadLetterQueue_itsLinesEndAsChunkFailed_andTheBatchCompletes() {
        AtomicInteger deliveriesOfChunk1 = new AtomicInteger();
        // Chunk 1's message, as the worker reads it, names a chunk that does not exist: its run fails every time.
        UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> poisoned = worker -> (event, context) -> {
            if (chunkIndex(event) != 1) {
                return worker.handleRequest(event, context);
            }
            deliveriesOfChunk1.incrementAndGet();
            SQSEvent.SQSMessage message = event.getRecords().getFirst();
            ObjectNode body = (ObjectNode) json(message.getBody());
            ((ObjectNode) body.get("chunk")).put("index", 99_999);
            message.setBody(Json.writeString(body));
            return worker.handleRequest(event, context);
        };
        LocalRuntime runtime = runtime(Options.defaults(), 2, new LocalRuntime.Interceptors(same(), same(), poisoned));
        OpenAIClient client = LocalRuntimes.client(runtime);

        Batch batch = AwaitBatch.ended(
                client,
                SdkBatches.submit(
                        client,
                        CHAT,
                        LINES,
                        i -> "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"line " + i + "\"}]}"),
                Duration.ofMinutes(2));

        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        Map<String, JsonNode> endings = SdkBatches.endings(client, batch, LINES);
        assertThat(batch.requestCounts().orElseThrow().failed()).isEqualTo(CHUNK_LINES);
        for (int i = CHUNK_LINES; i < 2 * CHUNK_LINES; i++) {
            JsonNode line = endings.get(CHAT + "-" + i);
            assertThat(line.get("response").isNull()).isTrue();
            assertThat(line.at("/error/code").asText()).isEqualTo("chunk_failed");
        }
        assertThat(deliveriesOfChunk1).as("the queue's receive limit").hasValue(LocalRuntime.MAX_RECEIVES);
        assertThat(runtime.referenceStats().requests()).isEqualTo(LINES - CHUNK_LINES);
    }

    @Test
    void theValidatorRetried_theFinalizerRunTwice_andEveryTokenAnsweredTwice_giveTheSameFilesAndCounts() {
        AtomicReference<LocalRuntime> self = new AtomicReference<>();
        AtomicInteger validations = new AtomicInteger();
        List<JsonNode> finalized = Collections.synchronizedList(new ArrayList<>());
        List<String> secondAnswers = Collections.synchronizedList(new ArrayList<>());
        // Each step does its work, then its answer is lost the first time, so Step Functions' Retry runs it again.
        UnaryOperator<Function<JsonNode, JsonNode>> validator = f -> payload -> {
            JsonNode outcome = f.apply(payload);
            if (validations.incrementAndGet() == 1) {
                throw new IllegalStateException("the validator's answer was lost");
            }
            return outcome;
        };
        UnaryOperator<Function<JsonNode, JsonNode>> finalizer = f -> payload -> {
            JsonNode batch = f.apply(payload);
            finalized.add(batch);
            if (finalized.size() == 1) {
                throw new IllegalStateException("the finalizer's answer was lost");
            }
            return batch;
        };
        UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> answersTwice = worker -> (event, context) -> {
            SQSBatchResponse response = worker.handleRequest(event, context);
            try (SfnClient sfn = sfn(self.get())) {
                for (SQSEvent.SQSMessage message : event.getRecords()) {
                    String token = json(message.getBody()).get("task_token").asText();
                    try {
                        sfn.sendTaskSuccess(
                                b -> b.taskToken(token).output("{\"completed\":0,\"failed\":0,\"expired\":0}"));
                        secondAnswers.add("accepted");
                    } catch (TaskTimedOutException e) {
                        secondAnswers.add("refused");
                    }
                }
            }
            return response;
        };
        LocalRuntime runtime =
                // A job's concurrency that gives both sandboxes a share worth running: a chunk put off for
                // capacity answers no token, and the second answer below would then be the only one.
                runtime(Options.defaults(), 16, 2, new LocalRuntime.Interceptors(validator, finalizer, answersTwice));
        self.set(runtime);
        OpenAIClient client = LocalRuntimes.client(runtime);

        Batch batch = AwaitBatch.ended(
                client,
                SdkBatches.submit(client, CHAT, LINES, CrashRecoveryIntegrationTest::body),
                Duration.ofMinutes(2));

        // The first finalizer ended the batch; its retry comes after Step Functions' interval.
        Poll.until(Duration.ofSeconds(30), "second finalizer run", () -> finalized.size() == 2);
        assertThat(client.batches().retrieve(batch.id())).isEqualTo(batch);
        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        SdkBatches.endings(client, batch, LINES);
        assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(LINES - 2);
        assertThat(validations).hasValue(2);
        assertThat(finalized).hasSize(2);
        for (String field : new String[] {"output_file_id", "error_file_id", "request_counts", "status"}) {
            assertThat(finalized.get(1).get(field))
                    .as(field)
                    .isEqualTo(finalized.get(0).get(field));
        }
        assertThat(finalized.get(1).get("output_file_id").asText())
                .isEqualTo(batch.outputFileId().orElseThrow());
        assertThat(client.files().list().data().stream()
                        .filter(f -> f.purpose().equals(FileObject.Purpose.BATCH_OUTPUT))
                        .map(FileObject::id)
                        .toList())
                .as("one output file and one error file, whichever finalizer wrote them")
                .containsExactlyInAnyOrder(
                        batch.outputFileId().orElseThrow(), batch.errorFileId().orElseThrow());
        assertThat(secondAnswers)
                .as("every chunk's second answer refused")
                .hasSize(LINES / CHUNK_LINES)
                .containsOnly("refused");
        assertThat(runtime.referenceStats().requests()).as("no line sent twice").isEqualTo(LINES);
    }

    private static SfnClient sfn(LocalRuntime runtime) {
        String[] credentials = LocalRuntime.CREDENTIALS.split(":");
        return SfnClient.builder()
                .endpointOverride(runtime.stepFunctionsEndpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create(credentials[0], credentials[1])))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }
}
