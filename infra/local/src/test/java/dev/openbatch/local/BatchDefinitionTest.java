package dev.openbatch.local;

import static dev.openbatch.stepfunctions.StepFunctionsHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.Json;
import dev.openbatch.stepfunctions.FlakySqs;
import dev.openbatch.stepfunctions.StepFunctionsHarness;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;

/**
 * {@code statemachine/batch.asl.json} itself, with stand-ins for the validator and the finalizer and
 * the test answering the chunk messages as workers do: its history for 100 chunks, its retries of
 * SendMessage, its bound on a chunk's wait, and what the finalizer is given when the run fails.
 */
class BatchDefinitionTest {

    private static final String INPUT = "{\"batch_id\": \"batch_1\", \"tenant\": \"tenant_1\"}";

    private final List<JsonNode> finalizations = new CopyOnWriteArrayList<>();

    @Test
    void aBatchOf100Chunks_writes818HistoryEvents_farUnderThe25000Quota() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(functions(100, 10, 3600))) {
            String queueUrl = harness.newQueue();
            String executionArn = harness.start(register(harness, queueUrl), INPUT);

            StepFunctionsHarness.consume(queueUrl, 100, (body, index) -> answer(harness, body));
            DescribeExecutionResponse execution = harness.awaitEnd(executionArn);
            List<HistoryEvent> history = harness.history(executionArn);

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            Map<String, Long> byType =
                    history.stream().collect(Collectors.groupingBy(HistoryEvent::typeAsString, Collectors.counting()));
            // 1 + Validate 5 + IsValid 2 + Map 4 + 100 × (2 + RunChunk 6) + Finalize 5 + 1
            assertThat(history).hasSize(818);
            assertThat(byType)
                    .containsEntry("MapIterationStarted", 100L)
                    .containsEntry("MapIterationSucceeded", 100L)
                    .containsEntry("TaskSubmitted", 100L)
                    .containsEntry("TaskStateEntered", 102L)
                    .containsEntry("MapStateStarted", 1L)
                    .containsEntry("ChoiceStateEntered", 1L);
            assertThat(history.getLast().id()).isEqualTo(818L);
            assertThat(finalizations)
                    .containsExactly(
                            json("{\"batch_id\": \"batch_1\", \"tenant\": \"tenant_1\", \"chunk_count\": 100}"));
        }
    }

    @Test
    void sendMessageFailingTransiently_isRetriedWithBackoff_andTheBatchFinalizes() {
        FlakySqs sqs = new FlakySqs(
                StepFunctionsHarness.sqs(),
                List.of(
                        FlakySqs.throttled(),
                        FlakySqs.internalError(),
                        FlakySqs.connectionReset(),
                        FlakySqs.requestThrottled()));
        try (StepFunctionsHarness harness = new StepFunctionsHarness(functions(4, 4, 3600), sqs)) {
            String queueUrl = harness.newQueue();
            String executionArn = harness.start(register(harness, queueUrl), INPUT);

            StepFunctionsHarness.consume(queueUrl, 4, (body, index) -> answer(harness, body));
            DescribeExecutionResponse execution = harness.awaitEnd(executionArn);

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(sqs.failedSends).hasValue(4);
            assertThat(harness.history(executionArn).stream()
                            .filter(e -> e.typeAsString().equals("TaskFailed"))
                            .map(e -> e.taskFailedEventDetails().error()))
                    .containsExactlyInAnyOrder(
                            "SQS.AmazonSQSException",
                            "SQS.AmazonSQSException",
                            "SQS.SdkClientException",
                            "SQS.RequestThrottledException");
            assertThat(finalizations).hasSize(1);
            assertThat(finalizations.getFirst().has("error")).isFalse();
        }
    }

    @Test
    void aSendMessageErrorThatIsNotTransient_failsTheBatchThroughMarkFailed_withTheChunkCount() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(functions(3, 3, 3600))) {
            String missingQueue = harness.newQueue() + "-never-created";
            String executionArn = harness.start(register(harness, missingQueue), INPUT);

            DescribeExecutionResponse execution = harness.awaitEnd(executionArn);

            assertThat(execution.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(execution.error()).isEqualTo("BatchFailed");
            assertThat(finalizations).hasSize(1);
            JsonNode failed = finalizations.getFirst();
            assertThat(failed.get("chunk_count").asInt()).isEqualTo(3);
            assertThat(failed.at("/error/Error").asText()).isEqualTo("SQS.QueueDoesNotExistException");
            assertThat(failed.at("/error/Cause").asText()).contains("Service: AmazonSQS");
            assertThat(harness.historyTypes(executionArn)).doesNotContain("TaskSubmitted");
        }
    }

    @Test
    void aChunkWhoseTokenIsNeverAnswered_endsItsWaitAtChunkTimeoutSeconds_andTheBatchStillFinalizesWithItsChunkCount() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(functions(3, 3, 2))) {
            String queueUrl = harness.newQueue();
            String executionArn = harness.start(register(harness, queueUrl), INPUT);
            long started = System.nanoTime();

            StepFunctionsHarness.consume(queueUrl, 3, (body, index) -> {
                if (json(body).at("/chunk/index").asInt() != 1) {
                    answer(harness, body);
                }
            });
            DescribeExecutionResponse execution = harness.awaitEnd(executionArn);
            double seconds = (System.nanoTime() - started) / 1e9;

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(seconds).isBetween(1.5, 10.0);
            assertThat(finalizations)
                    .containsExactly(json("{\"batch_id\": \"batch_1\", \"tenant\": \"tenant_1\", \"chunk_count\": 3}"));
            List<String> types = harness.historyTypes(executionArn);
            assertThat(types).containsOnlyOnce("TaskTimedOut").contains("PassStateEntered");
            assertThat(harness.history(executionArn).stream()
                            .filter(e -> e.typeAsString().equals("TaskScheduled"))
                            .map(e -> e.taskScheduledEventDetails().timeoutInSeconds()))
                    .contains(2L);
        }
    }

    /** The validator cuts {@code chunks} chunks; the finalizer keeps what it is given. */
    private Map<String, Function<JsonNode, JsonNode>> functions(
            int chunks, int maxConcurrency, long chunkTimeoutSeconds) {
        return Map.of(
                "validate",
                in -> {
                    ObjectNode outcome = Json.MAPPER.createObjectNode().put("valid", true);
                    ArrayNode list = outcome.putArray("chunks");
                    for (int i = 0; i < chunks; i++) {
                        list.addObject()
                                .put("index", i)
                                .put("first_request", i * 500 + 1)
                                .put("lines", 500);
                    }
                    return outcome.put("chunk_count", chunks)
                            .put("max_concurrency", maxConcurrency)
                            .put("chunks_at_once", Math.min(maxConcurrency, chunks))
                            .put("chunk_timeout_seconds", chunkTimeoutSeconds);
                },
                "finalize",
                in -> {
                    finalizations.add(in);
                    return Json.MAPPER.createObjectNode().put("status", in.has("error") ? "failed" : "completed");
                });
    }

    private static String register(StepFunctionsHarness harness, String queueUrl) {
        return harness.register(
                definition(),
                Map.of(
                        "ValidateFunctionArn",
                        "validate",
                        "FinalizeFunctionArn",
                        "finalize",
                        "ChunkQueueUrl",
                        queueUrl));
    }

    private static void answer(StepFunctionsHarness harness, String body) {
        String token = json(body).get("task_token").asText();
        harness.sfn.sendTaskSuccess(b -> b.taskToken(token).output("{\"completed\": 500, \"failed\": 0}"));
    }

    static String definition() {
        try (InputStream in = BatchDefinitionTest.class.getResourceAsStream("/statemachine/batch.asl.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
