package dev.openbatch.stepfunctions;

import static dev.openbatch.stepfunctions.StepFunctionsHarness.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.core.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sfn.model.SfnException;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Step Functions' quotas as the service enforces them, through the real SfnClient: 256 KiB of state
 * (States.DataLimitExceeded, which neither Catch nor Retry sees), 25,000 history events, 40
 * iterations of an INLINE Map at once.
 */
class StepFunctionsLimitsTest {

    private static final String LAMBDA = "arn:aws:states:::lambda:invoke";
    private static final String SQS_WAIT = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";
    /** Under the quota alone, over it twice. */
    private static final String HALF = "x".repeat(150_000);

    @Test
    void aTaskInputOver256KiBAfterParameters_failsWithDataLimitExceeded_whichACatchOfStatesAllDoesNotCatch() {
        AtomicInteger calls = new AtomicInteger();
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of("f", in -> {
            calls.incrementAndGet();
            return in;
        }))) {
            String machine = harness.register("""
                    {"StartAt": "Call", "States": {
                      "Call": {"Type": "Task", "Resource": "%s",
                        "Parameters": {"FunctionName": "f", "Payload": {"a.$": "$.half", "b.$": "$.half"}},
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
                      "Caught": {"Type": "Succeed"}}}""".formatted(LAMBDA));

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, half()));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(execution.error()).isEqualTo("States.DataLimitExceeded");
            assertThat(execution.cause()).contains("'Call'", "input, after Parameters", "262144");
            assertThat(calls).hasValue(0);
        }
    }

    @Test
    void aTaskResultOver256KiB_failsWithDataLimitExceeded_neitherRetriedNorCaughtByStatesAll() {
        AtomicInteger calls = new AtomicInteger();
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of("big", in -> {
            calls.incrementAndGet();
            return Json.MAPPER.createObjectNode().put("text", "x".repeat(300_000));
        }))) {
            String machine = harness.register("""
                    {"StartAt": "Call", "States": {
                      "Call": {"Type": "Task", "Resource": "%s", "Parameters": {"FunctionName": "big"},
                        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3}],
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
                      "Caught": {"Type": "Succeed"}}}""".formatted(LAMBDA));

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, "{}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(execution.error()).isEqualTo("States.DataLimitExceeded");
            assertThat(calls).hasValue(1);
            assertThat(harness.historyTypes(execution.executionArn()))
                    .doesNotContain("TaskStateExited")
                    .endsWith("ExecutionFailed");
        }
    }

    @Test
    void aStateOutputOver256KiBAfterResultPath_failsWithDataLimitExceeded_thoughInputAndResultFitEachAlone() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(
                Map.of("half", in -> Json.MAPPER.createObjectNode().put("text", HALF)))) {
            String machine = harness.register("""
                    {"StartAt": "Call", "States": {
                      "Call": {"Type": "Task", "Resource": "%s", "Parameters": {"FunctionName": "half"},
                        "ResultSelector": {"text.$": "$.Payload.text"}, "ResultPath": "$.result",
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
                      "Caught": {"Type": "Succeed"}}}""".formatted(LAMBDA));

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, half()));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(execution.error()).isEqualTo("States.DataLimitExceeded");
            assertThat(execution.cause()).contains("an output");
        }
    }

    @Test
    void aMapIterationInputOver256KiBAfterItemSelector_failsTheExecution_pastTheMapsCatchOfStatesAll() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String machine = harness.register("""
                    {"StartAt": "Items", "States": {
                      "Items": {"Type": "Map", "ItemsPath": "$.items",
                        "ItemSelector": {"half.$": "$.half", "again.$": "$.half", "item.$": "$$.Map.Item.Value"},
                        "ItemProcessor": {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}},
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "ResultPath": null, "End": true},
                      "Caught": {"Type": "Succeed"}}}""");

            DescribeExecutionResponse execution =
                    harness.awaitEnd(harness.start(machine, "{\"items\": [1, 2], \"half\": \"" + HALF + "\"}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(execution.error()).isEqualTo("States.DataLimitExceeded");
            assertThat(execution.cause()).contains("iteration input, after ItemSelector");
        }
    }

    @Test
    void startExecution_withAnInputOver256KiB_isRefusedByTheApi() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String machine =
                    harness.register("{\"StartAt\": \"Done\", \"States\": {\"Done\": {\"Type\": \"Succeed\"}}}");

            assertThatThrownBy(() -> harness.start(machine, "{\"a\": \"" + "x".repeat(262_144) + "\"}"))
                    .isInstanceOf(SfnException.class)
                    .hasMessageContaining("'input' failed to satisfy constraint")
                    .hasMessageContaining("262144");
        }
    }

    @Test
    void sendTaskSuccess_withAnOutputOver256KiB_isRefused_andTheTaskStillWaits() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String queueUrl = harness.newQueue();
            String machine = harness.register("""
                    {"StartAt": "Process", "States": {"Process": {"Type": "Task", "Resource": "%s",
                      "Parameters": {"QueueUrl": "%s", "MessageBody": {"token.$": "$$.Task.Token"}}, "End": true}}}""".formatted(SQS_WAIT, queueUrl));
            String executionArn = harness.start(machine, "{}");
            String token =
                    StepFunctionsHarness.receiveOne(queueUrl).get("token").asText();

            assertThatThrownBy(() -> harness.sfn.sendTaskSuccess(
                            b -> b.taskToken(token).output("{\"a\": \"" + "x".repeat(262_144) + "\"}")))
                    .isInstanceOf(SfnException.class)
                    .hasMessageContaining("'output' failed to satisfy constraint");
            harness.sfn.sendTaskSuccess(b -> b.taskToken(token).output("{\"small\": true}"));

            assertThat(harness.awaitEnd(executionArn).status()).isEqualTo(ExecutionStatus.SUCCEEDED);
        }
    }

    @Test
    void history_ofACallbackTask_isTheEventsStepFunctionsWrites() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String queueUrl = harness.newQueue();
            String machine = harness.register("""
                    {"StartAt": "Process", "States": {"Process": {"Type": "Task", "Resource": "%s",
                      "Parameters": {"QueueUrl": "%s", "MessageBody": {"token.$": "$$.Task.Token"}}, "End": true}}}""".formatted(SQS_WAIT, queueUrl));
            String executionArn = harness.start(machine, "{}");
            String token =
                    StepFunctionsHarness.receiveOne(queueUrl).get("token").asText();
            harness.sfn.sendTaskSuccess(b -> b.taskToken(token).output("{}"));
            harness.awaitEnd(executionArn);

            List<HistoryEvent> history = harness.history(executionArn);

            assertThat(history)
                    .extracting(HistoryEvent::typeAsString)
                    .containsExactly(
                            "ExecutionStarted",
                            "TaskStateEntered",
                            "TaskScheduled",
                            "TaskStarted",
                            "TaskSubmitted",
                            "TaskSucceeded",
                            "TaskStateExited",
                            "ExecutionSucceeded");
            assertThat(history).extracting(HistoryEvent::id).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
            assertThat(history.get(1).stateEnteredEventDetails().name()).isEqualTo("Process");
            assertThat(history.get(2).taskScheduledEventDetails().resourceType())
                    .isEqualTo("sqs");
        }
    }

    @Test
    void anExecutionReaching25000HistoryEvents_failsWithStatesRuntime_theFailureBeingEvent25000() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String machine = harness.register("""
                    {"StartAt": "Loop", "States": {"Loop": {"Type": "Choice",
                      "Choices": [{"Variable": "$.spin", "BooleanEquals": true, "Next": "Loop"}], "Default": "Done"},
                      "Done": {"Type": "Succeed"}}}""");

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, "{\"spin\": true}"));
            List<HistoryEvent> history = harness.history(execution.executionArn());

            assertThat(execution.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(execution.error()).isEqualTo("States.Runtime");
            assertThat(execution.cause())
                    .isEqualTo("The execution reached the maximum number of history events (25000).");
            assertThat(history).hasSize(25_000);
            HistoryEvent last = history.getLast();
            assertThat(last.id()).isEqualTo(25_000L);
            assertThat(last.typeAsString()).isEqualTo("ExecutionFailed");
            assertThat(last.executionFailedEventDetails().error()).isEqualTo("States.Runtime");
            assertThat(history.get(24_998).typeAsString()).isEqualTo("ChoiceStateExited");
            List<HistoryEvent> newestFirst = harness.sfn
                    .getExecutionHistory(b -> b.executionArn(execution.executionArn())
                            .reverseOrder(true)
                            .maxResults(2))
                    .events();
            assertThat(newestFirst).extracting(HistoryEvent::id).containsExactly(25_000L, 24_999L);
        }
    }

    @Test
    void aFullHistoryInsideAMap_isNotCaughtByTheMapsCatchOfStatesAll() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String machine = harness.register("""
                    {"StartAt": "Items", "States": {
                      "Items": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
                        "ItemProcessor": {"StartAt": "Loop", "States": {"Loop": {"Type": "Choice",
                          "Choices": [{"Variable": "$.spin", "BooleanEquals": true, "Next": "Loop"}], "Default": "Done"},
                          "Done": {"Type": "Succeed"}}},
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
                      "Caught": {"Type": "Succeed"}}}""");

            DescribeExecutionResponse execution =
                    harness.awaitEnd(harness.start(machine, "{\"items\": [{\"spin\": true}, {\"spin\": true}]}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(execution.error()).isEqualTo("States.Runtime");
            assertThat(harness.history(execution.executionArn())).hasSize(25_000);
        }
    }

    @Test
    void anInlineMapWithMaxConcurrencyPathSelectingMoreThan40_failsTheExecution_sayingWhy() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String machine = harness.register("""
                    {"StartAt": "Items", "States": {
                      "Items": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrencyPath": "$.concurrency",
                        "ItemProcessor": {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}},
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
                      "Caught": {"Type": "Succeed"}}}""");

            DescribeExecutionResponse tooMany =
                    harness.awaitEnd(harness.start(machine, "{\"items\": [1], \"concurrency\": 41}"));
            DescribeExecutionResponse forty =
                    harness.awaitEnd(harness.start(machine, "{\"items\": [1], \"concurrency\": 40}"));

            assertThat(tooMany.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(tooMany.error()).isEqualTo("States.Runtime");
            assertThat(tooMany.cause())
                    .contains(
                            "state 'Items'",
                            "MaxConcurrencyPath '$.concurrency' selected 41",
                            "above 40",
                            "INLINE Map");
            assertThat(forty.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
        }
    }

    @Test
    void anInlineMapWithoutMaxConcurrency_runsAtMost40IterationsAtOnce() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String queueUrl = harness.newQueue();
            String machine = harness.register("""
                    {"StartAt": "Items", "States": {
                      "Items": {"Type": "Map", "ItemsPath": "$.items",
                        "ItemProcessor": {"StartAt": "Process", "States": {"Process": {"Type": "Task", "Resource": "%s",
                          "Parameters": {"QueueUrl": "%s", "MessageBody": {"token.$": "$$.Task.Token"}}, "End": true}}},
                        "ResultPath": null, "End": true}}}""".formatted(SQS_WAIT, queueUrl));
            StringBuilder items = new StringBuilder("[0");
            for (int i = 1; i < 45; i++) {
                items.append(',').append(i);
            }
            String executionArn = harness.start(machine, "{\"items\": " + items.append(']') + "}");

            List<String> tokens = new ArrayList<>();
            StepFunctionsHarness.consume(
                    queueUrl,
                    40,
                    (body, index) -> tokens.add(json(body).get("token").asText()));
            List<Message> more = StepFunctionsHarness.sqs()
                    .receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(1))
                    .messages();
            assertThat(more).as("a 41st iteration while 40 run").isEmpty();
            harness.sfn.sendTaskSuccess(b -> b.taskToken(tokens.getFirst()).output("{}"));
            StepFunctionsHarness.consume(
                    queueUrl,
                    1,
                    (body, index) -> tokens.add(json(body).get("token").asText()));

            assertThat(tokens).hasSize(41);
            harness.sfn.stopExecution(b -> b.executionArn(executionArn));
        }
    }

    private static String half() {
        return "{\"half\": \"" + HALF + "\"}";
    }
}
