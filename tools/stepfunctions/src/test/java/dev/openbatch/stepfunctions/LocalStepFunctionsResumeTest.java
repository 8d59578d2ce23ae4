package dev.openbatch.stepfunctions;

import static dev.openbatch.stepfunctions.StepFunctionsHarness.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/**
 * Executions kept in a directory go on in a new instance — a new process of the local runtime —
 * from where the previous one stood when it stopped or was killed.
 */
class LocalStepFunctionsResumeTest {

    private static final String LAMBDA = "arn:aws:states:::lambda:invoke";
    private static final String SQS_WAIT = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";
    private static final String MACHINE = "chunks";

    /** The shape of the batch state machine: a Map of SQS callback tasks, then a Lambda task. */
    private static final String MAP_OF_CALLBACKS = """
            {"StartAt": "Chunks", "States": {
              "Chunks": {"Type": "Map", "ItemsPath": "$.chunks", "MaxConcurrency": 2,
                "ItemSelector": {"key.$": "$$.Map.Item.Value"},
                "ItemProcessor": {"StartAt": "Process", "States": {
                  "Process": {"Type": "Task", "Resource": "%s",
                    "Parameters": {"QueueUrl": "${ChunkQueueUrl}", "MessageBody": {"key.$": "$.key", "token.$": "$$.Task.Token"}},
                    "End": true}}},
                "ResultPath": "$.results", "Next": "Finish"},
              "Finish": {"Type": "Task", "Resource": "%s", "Parameters": {"FunctionName": "finish", "Payload.$": "$.results"},
                "OutputPath": "$.Payload", "End": true}}}""".formatted(SQS_WAIT, LAMBDA);

    /** Receives {@code count} messages and answers each chunk key with its task token. */
    private static Map<String, String> tokensOf(String queueUrl, int count) {
        Map<String, String> tokens = new TreeMap<>();
        StepFunctionsHarness.consume(queueUrl, count, (text, index) -> {
            JsonNode body = json(text);
            tokens.put(body.get("key").asText(), body.get("token").asText());
        });
        return tokens;
    }

    private static void succeed(StepFunctionsHarness harness, String token, String key) {
        harness.sfn.sendTaskSuccess(b -> b.taskToken(token).output("{\"done\": \"" + key + "\"}"));
    }

    @Test
    void aMapOfCallbackTasks_stoppedMidway_goesOnInANewInstance_resendingWhatWaited_withTokensThatStillAnswer()
            throws IOException {
        Path executions = Files.createTempDirectory("executions");
        AtomicInteger finishes = new AtomicInteger();
        Map<String, Function<JsonNode, JsonNode>> functions = Map.of("finish", in -> {
            finishes.incrementAndGet();
            return in;
        });
        String queueUrl;
        String executionArn;
        Instant startDate;
        Map<String, String> tokens = new TreeMap<>();
        try (StepFunctionsHarness before = new StepFunctionsHarness(functions, executions)) {
            queueUrl = before.newQueue();
            String machine = before.register(MACHINE, MAP_OF_CALLBACKS, Map.of("ChunkQueueUrl", queueUrl));
            executionArn = before.start(machine, "{\"chunks\": [\"k0\", \"k1\", \"k2\", \"k3\"]}");
            tokens.putAll(tokensOf(queueUrl, 2));
            assertThat(tokens).containsOnlyKeys("k0", "k1");
            succeed(before, tokens.get("k0"), "k0");
            tokens.putAll(tokensOf(queueUrl, 1));
            assertThat(tokens).containsKey("k2");
            startDate = before.sfn
                    .describeExecution(b -> b.executionArn(executionArn))
                    .startDate();
        }

        try (StepFunctionsHarness after = new StepFunctionsHarness(functions, executions)) {
            after.register(MACHINE, MAP_OF_CALLBACKS, Map.of("ChunkQueueUrl", queueUrl));
            assertThat(after.stepFunctions.resumeExecutions()).isEqualTo(1);

            Map<String, String> resent = tokensOf(queueUrl, 2);
            assertThat(resent)
                    .as("what waited is sent again, with its token; what ended is not")
                    .isEqualTo(Map.of("k1", tokens.get("k1"), "k2", tokens.get("k2")));
            succeed(after, tokens.get("k1"), "k1");
            succeed(after, tokens.get("k2"), "k2");
            Map<String, String> last = tokensOf(queueUrl, 1);
            assertThat(last).containsOnlyKeys("k3");
            succeed(after, last.get("k3"), "k3");
            DescribeExecutionResponse execution = after.awaitEnd(executionArn);

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(json(execution.output()))
                    .isEqualTo(
                            json("[{\"done\": \"k0\"}, {\"done\": \"k1\"}, {\"done\": \"k2\"}, {\"done\": \"k3\"}]"));
            assertThat(execution.startDate()).isEqualTo(startDate);
            assertThat(finishes).hasValue(1);
        }
    }

    @Test
    void aLambdaTaskUnderWayWhenTheInstanceStops_runsAgainInTheNext_andTheExecutionEnds() throws Exception {
        Path executions = Files.createTempDirectory("executions");
        CountDownLatch called = new CountDownLatch(1);
        String definition = """
                {"StartAt": "Validate", "States": {"Validate": {"Type": "Task", "Resource": "%s",
                  "Parameters": {"FunctionName": "validate", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": true}}}""".formatted(LAMBDA);
        String executionArn;
        try (StepFunctionsHarness before = new StepFunctionsHarness(
                Map.of("validate", in -> {
                    called.countDown();
                    try {
                        Thread.sleep(TimeUnit.MINUTES.toMillis(10));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new IllegalStateException("stopped with its process");
                }),
                executions)) {
            String machine = before.register(MACHINE, definition, Map.of());
            executionArn = before.start(machine, "{\"batch\": \"b1\"}");
            assertThat(called.await(20, TimeUnit.SECONDS)).isTrue();
        }

        AtomicInteger calls = new AtomicInteger();
        try (StepFunctionsHarness after = new StepFunctionsHarness(
                Map.of("validate", in -> {
                    calls.incrementAndGet();
                    return Json.MAPPER
                            .createObjectNode()
                            .put("validated", in.get("batch").asText());
                }),
                executions)) {
            after.register(MACHINE, definition, Map.of());
            after.stepFunctions.resumeExecutions();
            DescribeExecutionResponse execution = after.awaitEnd(executionArn);

            assertThat(execution.status())
                    .as("not aborted by its process stopping")
                    .isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(json(execution.output())).isEqualTo(json("{\"validated\": \"b1\"}"));
            assertThat(calls).hasValue(1);
        }
    }

    @Test
    void endedExecutions_areDescribedInANewInstance_andTheirNamesStayTaken() throws IOException {
        Path executions = Files.createTempDirectory("executions");
        String definition = """
                {"StartAt": "Wait", "States": {"Wait": {"Type": "Task", "Resource": "%s",
                  "Parameters": {"QueueUrl": "${ChunkQueueUrl}", "MessageBody": {"token.$": "$$.Task.Token"}}, "End": true}}}""".formatted(SQS_WAIT);
        String queueUrl;
        String succeeded;
        String stopped;
        try (StepFunctionsHarness before = new StepFunctionsHarness(Map.of(), executions)) {
            queueUrl = before.newQueue();
            String machine = before.register(MACHINE, definition, Map.of("ChunkQueueUrl", queueUrl));
            succeeded = before.sfn
                    .startExecution(b -> b.stateMachineArn(machine).name("one").input("{}"))
                    .executionArn();
            StepFunctionsHarness.consume(
                    queueUrl,
                    1,
                    (text, index) -> before.sfn.sendTaskSuccess(
                            b -> b.taskToken(json(text).get("token").asText()).output("{\"answer\": 42}")));
            before.awaitEnd(succeeded);
            stopped = before.sfn
                    .startExecution(b -> b.stateMachineArn(machine).name("two").input("{}"))
                    .executionArn();
            StepFunctionsHarness.receiveOne(queueUrl);
            before.sfn.stopExecution(
                    b -> b.executionArn(stopped).error("Cancelled").cause("by the test"));
        }

        try (StepFunctionsHarness after = new StepFunctionsHarness(Map.of(), executions)) {
            String machine = after.register(MACHINE, definition, Map.of("ChunkQueueUrl", queueUrl));
            assertThat(after.stepFunctions.resumeExecutions()).isZero();

            DescribeExecutionResponse one = after.sfn.describeExecution(b -> b.executionArn(succeeded));
            assertThat(one.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(json(one.output())).isEqualTo(json("{\"answer\": 42}"));
            DescribeExecutionResponse two = after.sfn.describeExecution(b -> b.executionArn(stopped));
            assertThat(two.status()).isEqualTo(ExecutionStatus.ABORTED);
            assertThat(two.error()).isEqualTo("Cancelled");
            assertThat(two.stopDate()).isAfterOrEqualTo(two.startDate());
            assertThatThrownBy(() -> after.sfn.startExecution(
                            b -> b.stateMachineArn(machine).name("one").input("{}")))
                    .isInstanceOf(ExecutionAlreadyExistsException.class);
        }
    }
}
