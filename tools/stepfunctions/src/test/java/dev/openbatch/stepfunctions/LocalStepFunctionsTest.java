package dev.openbatch.stepfunctions;

import static dev.openbatch.stepfunctions.StepFunctionsHarness.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.Json;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;
import software.amazon.awssdk.services.sfn.model.ExecutionDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.InvalidDefinitionException;
import software.amazon.awssdk.services.sfn.model.InvalidTokenException;
import software.amazon.awssdk.services.sfn.model.StartExecutionResponse;
import software.amazon.awssdk.services.sfn.model.StateMachineDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.TaskTimedOutException;

/** Executions through the real SfnClient and a real ElasticMQ. */
class LocalStepFunctionsTest {

    private static final String LAMBDA = "arn:aws:states:::lambda:invoke";
    private static final String SQS_WAIT = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";
    private static final String TOKEN_BODY = "\"MessageBody\": {\"token.$\": \"$$.Task.Token\"}";

    @Test
    void lambdaChain_withResultSelectorAndResultPath_shapesEachStatesOutput() {
        Map<String, Function<JsonNode, JsonNode>> functions = Map.of(
                "arn:aws:lambda:us-east-1:000000000000:function:double",
                        in -> object(
                                "n",
                                in.get("n").asInt() * 2,
                                "execution",
                                in.get("execution").asText()),
                "describe",
                        in -> object(
                                "text",
                                in.get("name").asText() + " doubled is "
                                        + in.at("/double/doubled").asInt()));
        try (StepFunctionsHarness harness = new StepFunctionsHarness(functions)) {
            String machine = harness.register(
                    """
                    {"Comment": "two Lambda tasks", "StartAt": "Double", "States": {
                      "Double": {"Type": "Task", "Resource": "%s",
                        "Parameters": {"FunctionName": "${DoubleFunctionArn}",
                                       "Payload": {"n.$": "$.n", "execution.$": "$$.Execution.Name"}},
                        "ResultSelector": {"doubled.$": "$.Payload.n", "by.$": "$.Payload.execution", "status.$": "$.StatusCode"},
                        "ResultPath": "$.double",
                        "Next": "Describe"},
                      "Describe": {"Type": "Task", "Resource": "%s",
                        "Parameters": {"FunctionName": "describe", "Payload.$": "$"},
                        "ResultPath": "$.described",
                        "OutputPath": "$.described.Payload",
                        "End": true}}}""".formatted(LAMBDA, LAMBDA),
                    Map.of("DoubleFunctionArn", "arn:aws:lambda:us-east-1:000000000000:function:double"));

            StartExecutionResponse started = harness.sfn.startExecution(
                    b -> b.stateMachineArn(machine).name("chain-1").input("{\"name\": \"twenty-one\", \"n\": 21}"));
            DescribeExecutionResponse execution = harness.awaitEnd(started.executionArn());

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(json(execution.output())).isEqualTo(json("{\"text\": \"twenty-one doubled is 42\"}"));
            assertThat(execution.name()).isEqualTo("chain-1");
            assertThat(execution.stateMachineArn()).isEqualTo(machine);
            assertThat(started.executionArn()).isEqualTo(machine.replace(":stateMachine:", ":execution:") + ":chain-1");
            assertThat(execution.startDate()).isCloseTo(Instant.now(), within(1, ChronoUnit.MINUTES));
            assertThat(execution.stopDate()).isAfterOrEqualTo(execution.startDate());
        }
    }

    @Test
    void lambdaTask_thatFailsOnceWithARetry_succeedsOnTheSecondAttempt() {
        AtomicInteger calls = new AtomicInteger();
        Map<String, Function<JsonNode, JsonNode>> functions = Map.of("flaky", in -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("the endpoint is warming up");
            }
            return object("ok", true);
        });
        try (StepFunctionsHarness harness = new StepFunctionsHarness(functions)) {
            String machine = harness.register("""
                    {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                      "Parameters": {"FunctionName": "flaky"},
                      "Retry": [{"ErrorEquals": ["java.lang.IllegalStateException"], "IntervalSeconds": 1,
                                 "MaxAttempts": 2, "BackoffRate": 1.5, "MaxDelaySeconds": 5, "JitterStrategy": "NONE"}],
                      "OutputPath": "$.Payload", "End": true}}}""".formatted(LAMBDA));

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, "{}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(json(execution.output())).isEqualTo(json("{\"ok\": true}"));
            assertThat(calls).hasValue(2);
        }
    }

    @Test
    void lambdaTask_thatKeepsFailing_failsTheExecutionWithTheExceptionClassAndLambdasCause() {
        AtomicInteger calls = new AtomicInteger();
        Map<String, Function<JsonNode, JsonNode>> functions = Map.of("broken", in -> {
            calls.incrementAndGet();
            throw new IllegalStateException("no endpoint");
        });
        try (StepFunctionsHarness harness = new StepFunctionsHarness(functions)) {
            String machine = harness.register("""
                    {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                      "Parameters": {"FunctionName": "broken"},
                      "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                      "End": true}}}""".formatted(LAMBDA));

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, "{}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(execution.error()).isEqualTo("java.lang.IllegalStateException");
            assertThat(json(execution.cause()))
                    .isEqualTo(json(
                            "{\"errorMessage\": \"no endpoint\", \"errorType\": \"java.lang.IllegalStateException\"}"));
            assertThat(calls).hasValue(2);
        }
    }

    /** What the Lambda emulator throws for a failure of its own; the executor knows it only by {@link LambdaError}. */
    private static final class SandboxTimedOut extends RuntimeException implements LambdaError {
        private static final long serialVersionUID = 1L;

        SandboxTimedOut() {
            super("Task timed out after 1.00 seconds");
        }

        @Override
        public String errorType() {
            return "Sandbox.Timedout";
        }
    }

    @Test
    void lambdaTask_whoseFunctionFailsAsLambdaReports_failsWithLambdasErrorType_notTheExceptionClass() {
        Map<String, Function<JsonNode, JsonNode>> functions = Map.of("slow", in -> {
            throw new SandboxTimedOut();
        });
        try (StepFunctionsHarness harness = new StepFunctionsHarness(functions)) {
            String machine = harness.register("""
                    {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                      "Parameters": {"FunctionName": "slow"},
                      "Catch": [{"ErrorEquals": ["Sandbox.Timedout"], "ResultPath": "$.error", "Next": "Caught"}],
                      "End": true},
                      "Caught": {"Type": "Pass", "OutputPath": "$.error", "End": true}}}""".formatted(LAMBDA));

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, "{}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            JsonNode error = json(execution.output());
            assertThat(error.get("Error").asText()).isEqualTo("Sandbox.Timedout");
            assertThat(json(error.get("Cause").asText()))
                    .isEqualTo(json("{\"errorMessage\": \"Task timed out after 1.00 seconds\","
                            + " \"errorType\": \"Sandbox.Timedout\"}"));
        }
    }

    @Test
    void catch_sendsTheErrorToTheRecoveryStateAtItsResultPath() {
        Map<String, Function<JsonNode, JsonNode>> functions = Map.of("validate", in -> {
            throw new IllegalArgumentException("line 3 is not JSON");
        });
        try (StepFunctionsHarness harness = new StepFunctionsHarness(functions)) {
            String machine = harness.register("""
                    {"StartAt": "Validate", "States": {
                      "Validate": {"Type": "Task", "Resource": "%s", "Parameters": {"FunctionName": "validate"},
                        "Catch": [{"ErrorEquals": ["java.lang.IllegalStateException"], "Next": "Wrong"},
                                  {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Recover"}],
                        "End": true},
                      "Wrong": {"Type": "Fail", "Error": "WrongCatcher"},
                      "Recover": {"Type": "Pass",
                        "Parameters": {"batch.$": "$.batch", "error.$": "$.failure.Error", "cause.$": "$.failure.Cause"},
                        "End": true}}}""".formatted(LAMBDA));

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, "{\"batch\": \"batch_1\"}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            JsonNode output = json(execution.output());
            assertThat(output.get("batch").asText()).isEqualTo("batch_1");
            assertThat(output.get("error").asText()).isEqualTo("java.lang.IllegalArgumentException");
            assertThat(json(output.get("cause").asText()).get("errorMessage").asText())
                    .isEqualTo("line 3 is not JSON");
        }
    }

    @Test
    void map_withMaxConcurrency2_neverRunsMoreThanTwoIterationsAtOnce() {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        // Iterations meet in pairs: this proves two run at once, and the counter that never three do.
        CyclicBarrier pairs = new CyclicBarrier(2);
        Map<String, Function<JsonNode, JsonNode>> functions = Map.of("work", in -> {
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                pairs.await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("no second iteration ran beside this one", e);
            } finally {
                inFlight.decrementAndGet();
            }
            return object(
                    "chunk",
                    in.get("prefix").asText() + in.get("value").asText(),
                    "index",
                    in.get("index").asInt());
        });
        try (StepFunctionsHarness harness = new StepFunctionsHarness(functions)) {
            String machine = harness.register("""
                    {"StartAt": "Chunks", "States": {"Chunks": {"Type": "Map", "ItemsPath": "$.chunks",
                      "MaxConcurrency": 2,
                      "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index", "prefix.$": "$.prefix"},
                      "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Work", "States": {
                        "Work": {"Type": "Task", "Resource": "%s", "Parameters": {"FunctionName": "work", "Payload.$": "$"},
                          "OutputPath": "$.Payload", "End": true}}},
                      "ResultPath": "$.results", "End": true}}}""".formatted(LAMBDA));

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(
                    machine, "{\"prefix\": \"chunk-\", \"chunks\": [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(mostInFlight).hasValue(2);
            JsonNode results = json(execution.output()).get("results");
            assertThat(results).hasSize(6);
            for (int i = 0; i < 6; i++) {
                assertThat(results.get(i).get("index").asInt()).isEqualTo(i);
                assertThat(results.get(i).get("chunk").asText()).isEqualTo("chunk-" + (char) ('a' + i));
            }
        }
    }

    @Test
    void map_whoseIterationFails_failsWithThatIterationsError_whichTheMapsCatchHandles() {
        Map<String, Function<JsonNode, JsonNode>> functions = Map.of("work", in -> {
            if (in.asText().equals("bad")) {
                throw new IllegalStateException("chunk bad cannot be read");
            }
            return in;
        });
        try (StepFunctionsHarness harness = new StepFunctionsHarness(functions)) {
            String machine = harness.register("""
                    {"StartAt": "Chunks", "States": {
                      "Chunks": {"Type": "Map", "MaxConcurrency": 1,
                        "ItemProcessor": {"StartAt": "Work", "States": {
                          "Work": {"Type": "Task", "Resource": "%s", "Parameters": {"FunctionName": "work", "Payload.$": "$"},
                            "End": true}}},
                        "Catch": [{"ErrorEquals": ["java.lang.IllegalStateException"], "ResultPath": null, "Next": "Failed"}],
                        "End": true},
                      "Failed": {"Type": "Pass", "Result": "map failed", "End": true}}}""".formatted(LAMBDA));

            DescribeExecutionResponse execution =
                    harness.awaitEnd(harness.start(machine, "[\"good\", \"bad\", \"good\"]"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(json(execution.output())).isEqualTo(json("\"map failed\""));
        }
    }

    @Test
    void map_ofSqsCallbackTasks_completesWhenAConsumerAnswersEveryTokenWithSendTaskSuccess() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String queueUrl = harness.newQueue();
            String machine = harness.register("""
                    {"StartAt": "Chunks", "States": {"Chunks": {"Type": "Map", "ItemsPath": "$.chunks", "MaxConcurrency": 0,
                      "ItemSelector": {"key.$": "$$.Map.Item.Value", "batch.$": "$.batch"},
                      "ItemProcessor": {"StartAt": "Process", "States": {
                        "Process": {"Type": "Task", "Resource": "%s",
                          "Parameters": {"QueueUrl": "${ChunkQueueUrl}",
                                         "MessageBody": {"key.$": "$.key", "batch.$": "$.batch", "taskToken.$": "$$.Task.Token"}},
                          "HeartbeatSeconds": 30, "TimeoutSeconds": 60,
                          "End": true}}},
                      "End": true}}}""".formatted(SQS_WAIT), Map.of("ChunkQueueUrl", queueUrl));

            String executionArn =
                    harness.start(machine, "{\"batch\": \"batch_9\", \"chunks\": [\"k0\", \"k1\", \"k2\", \"k3\"]}");
            StepFunctionsHarness.consume(queueUrl, 4, (text, index) -> {
                JsonNode body = json(text);
                harness.sfn.sendTaskSuccess(b -> b.taskToken(
                                body.get("taskToken").asText())
                        .output(Json.writeString(object(
                                "done",
                                body.get("batch").asText() + "/"
                                        + body.get("key").asText()))));
            });
            DescribeExecutionResponse execution = harness.awaitEnd(executionArn);

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(json(execution.output()))
                    .isEqualTo(
                            json(
                                    "[{\"done\": \"batch_9/k0\"}, {\"done\": \"batch_9/k1\"}, {\"done\": \"batch_9/k2\"}, {\"done\": \"batch_9/k3\"}]"));
        }
    }

    @Test
    void sqsCallbackTask_sendsAStringMessageBodyAsItIs() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String queueUrl = harness.newQueue();
            String machine = harness.register(callbackMachine(queueUrl, "\"MessageBody.$\": \"$.key\"", ""));

            String executionArn = harness.start(machine, "{\"key\": \"chunks/0001.jsonl\"}");
            String[] body = new String[1];
            StepFunctionsHarness.consume(queueUrl, 1, (message, index) -> body[0] = message);
            harness.sfn.stopExecution(b -> b.executionArn(executionArn));

            assertThat(body[0]).isEqualTo("chunks/0001.jsonl");
        }
    }

    @Test
    void sendTaskFailure_isCaughtByItsErrorName() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String queueUrl = harness.newQueue();
            String machine = harness.register(
                    callbackMachine(
                            queueUrl,
                            TOKEN_BODY,
                            "\"Catch\": [{\"ErrorEquals\": [\"ChunkFailed\"], \"ResultPath\": \"$.error\", \"Next\": \"Failed chunk\"}], "));

            String executionArn = harness.start(machine, "{\"chunk\": 7}");
            StepFunctionsHarness.consume(
                    queueUrl,
                    1,
                    (body, index) -> harness.sfn.sendTaskFailure(
                            b -> b.taskToken(json(body).get("token").asText())
                                    .error("ChunkFailed")
                                    .cause("the endpoint answered 500")));
            DescribeExecutionResponse execution = harness.awaitEnd(executionArn);

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(json(execution.output()))
                    .isEqualTo(
                            json(
                                    "{\"chunk\": 7, \"error\": {\"Error\": \"ChunkFailed\", \"Cause\": \"the endpoint answered 500\"}}"));
        }
    }

    @Test
    void sqsCallbackTask_withoutAHeartbeat_failsWithHeartbeatTimeout_andALateAnswerIsTaskTimedOut() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String queueUrl = harness.newQueue();
            String machine = harness.register(
                    callbackMachine(
                            queueUrl,
                            TOKEN_BODY,
                            "\"HeartbeatSeconds\": 1, \"TimeoutSeconds\": 60, "
                                    + "\"Catch\": [{\"ErrorEquals\": [\"States.HeartbeatTimeout\"], \"ResultPath\": \"$.error\", \"Next\": \"Failed chunk\"}], "));

            String executionArn = harness.start(machine, "{}");
            String token =
                    StepFunctionsHarness.receiveOne(queueUrl).get("token").asText();
            DescribeExecutionResponse execution = harness.awaitEnd(executionArn);

            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(json(execution.output()).at("/error/Error").asText()).isEqualTo("States.HeartbeatTimeout");
            assertThatThrownBy(() ->
                            harness.sfn.sendTaskSuccess(b -> b.taskToken(token).output("{}")))
                    .isInstanceOf(TaskTimedOutException.class);
        }
    }

    @Test
    void sendTaskHeartbeat_keepsACallbackTaskAlivePastItsHeartbeatSeconds() throws Exception {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String queueUrl = harness.newQueue();
            String machine = harness.register(callbackMachine(queueUrl, TOKEN_BODY, "\"HeartbeatSeconds\": 1, "));

            String executionArn = harness.start(machine, "{}");
            String token =
                    StepFunctionsHarness.receiveOne(queueUrl).get("token").asText();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
            while (System.nanoTime() < until) {
                harness.sfn.sendTaskHeartbeat(b -> b.taskToken(token));
                Thread.sleep(300);
            }
            assertThat(harness.sfn
                            .describeExecution(b -> b.executionArn(executionArn))
                            .status())
                    .isEqualTo(ExecutionStatus.RUNNING);
            harness.sfn.sendTaskSuccess(b -> b.taskToken(token).output("{\"alive\": true}"));

            DescribeExecutionResponse execution = harness.awaitEnd(executionArn);
            assertThat(execution.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(json(execution.output())).isEqualTo(json("{\"alive\": true}"));
        }
    }

    @Test
    void choice_routesByTheFirstMatchingRule_andFailEndsTheExecutionWithItsErrorAndCause() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String machine = harness.register("""
                    {"StartAt": "Route", "States": {
                      "Route": {"Type": "Choice", "Choices": [
                          {"And": [{"Variable": "$.count", "NumericEquals": 3},
                                   {"Not": {"Variable": "$.skip", "IsPresent": true}}], "Next": "Three"},
                          {"Or": [{"Variable": "$.status", "StringEquals": "cancelled"},
                                  {"Variable": "$.expired", "BooleanEquals": true}], "Next": "Ended"}],
                        "Default": "Unknown"},
                      "Three": {"Type": "Pass", "Result": {"route": "three"}, "End": true},
                      "Ended": {"Type": "Succeed", "OutputPath": "$.status"},
                      "Unknown": {"Type": "Fail", "Error": "UnknownRoute", "Cause": "no rule matched"}}}""");

            DescribeExecutionResponse three = harness.awaitEnd(harness.start(machine, "{\"count\": 3.0}"));
            DescribeExecutionResponse skipped = harness.awaitEnd(harness.start(
                    machine, "{\"count\": 3, \"skip\": false, \"status\": \"open\", \"expired\": false}"));
            DescribeExecutionResponse expired =
                    harness.awaitEnd(harness.start(machine, "{\"count\": 1, \"status\": \"open\", \"expired\": true}"));

            assertThat(three.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(json(three.output())).isEqualTo(json("{\"route\": \"three\"}"));
            assertThat(skipped.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(skipped.error()).isEqualTo("UnknownRoute");
            assertThat(skipped.cause()).isEqualTo("no rule matched");
            assertThat(expired.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(json(expired.output())).isEqualTo(json("\"open\""));
        }
    }

    @Test
    void choice_onAVariableMissingFromTheInput_failsWithStatesRuntime_butIsPresentIsFalse() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String machine = harness.register("""
                    {"StartAt": "Route", "States": {
                      "Route": {"Type": "Choice", "Choices": [
                          {"Variable": "$.cancelled", "IsPresent": true, "Next": "Done"},
                          {"Variable": "$.status", "StringEquals": "open", "Next": "Done"}]},
                      "Done": {"Type": "Succeed"}}}""");

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, "{}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(execution.error()).isEqualTo("States.Runtime");
            assertThat(execution.cause()).contains("Invalid path '$.status'");
        }
    }

    @Test
    void aPathMissingFromTheInput_failsTheExecutionWithStatesRuntime_whichStatesAllDoesNotCatch() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of("f", in -> in))) {
            String machine = harness.register("""
                    {"StartAt": "Call", "States": {
                      "Call": {"Type": "Task", "Resource": "%s", "Parameters": {"FunctionName": "f", "Payload": {"key.$": "$.key"}},
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
                      "Caught": {"Type": "Succeed"}}}""".formatted(LAMBDA));

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, "{\"other\": 1}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(execution.error()).isEqualTo("States.Runtime");
            assertThat(execution.cause()).contains("$.key");
        }
    }

    @Test
    void aResultOver256KiB_failsTheExecutionWithDataLimitExceeded() {
        try (StepFunctionsHarness harness =
                new StepFunctionsHarness(Map.of("big", in -> object("text", "x".repeat(300_000))))) {
            String machine = harness.register("""
                    {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                      "Parameters": {"FunctionName": "big"}, "End": true}}}""".formatted(LAMBDA));

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, "{}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(execution.error()).isEqualTo("States.DataLimitExceeded");
        }
    }

    @Test
    void startExecution_withTheSameNameAndInputWhileItRuns_returnsTheSameExecution() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String machine = harness.register(callbackMachine(harness.newQueue(), TOKEN_BODY, ""));

            StartExecutionResponse first = harness.sfn.startExecution(
                    b -> b.stateMachineArn(machine).name("batch_1").input("{\"a\": 1}"));
            StartExecutionResponse again = harness.sfn.startExecution(
                    b -> b.stateMachineArn(machine).name("batch_1").input("{\"a\": 1}"));

            assertThat(again.executionArn()).isEqualTo(first.executionArn());
            assertThat(again.startDate()).isEqualTo(first.startDate());
        }
    }

    @Test
    void startExecution_withTheSameNameAndADifferentInput_isExecutionAlreadyExists() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String machine = harness.register(callbackMachine(harness.newQueue(), TOKEN_BODY, ""));
            harness.sfn.startExecution(
                    b -> b.stateMachineArn(machine).name("batch_1").input("{\"a\": 1}"));

            assertThatThrownBy(() -> harness.sfn.startExecution(
                            b -> b.stateMachineArn(machine).name("batch_1").input("{\"a\": 2}")))
                    .isInstanceOf(ExecutionAlreadyExistsException.class)
                    .hasMessageContaining("batch_1");
        }
    }

    @Test
    void startExecution_withTheNameOfAnEndedExecution_isExecutionAlreadyExistsWhateverTheInput() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String machine = harness.register("""
                    {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}""");
            String executionArn = harness.sfn
                    .startExecution(
                            b -> b.stateMachineArn(machine).name("batch_1").input("{}"))
                    .executionArn();
            harness.awaitEnd(executionArn);

            assertThatThrownBy(() -> harness.sfn.startExecution(
                            b -> b.stateMachineArn(machine).name("batch_1").input("{}")))
                    .isInstanceOf(ExecutionAlreadyExistsException.class);
        }
    }

    @Test
    void stopExecution_abortsItWithTheGivenErrorAndCause_andItsTokenNoLongerAnswers() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String queueUrl = harness.newQueue();
            String machine = harness.register(callbackMachine(queueUrl, TOKEN_BODY, ""));
            String executionArn = harness.start(machine, "{}");
            String token =
                    StepFunctionsHarness.receiveOne(queueUrl).get("token").asText();

            Instant stopDate = harness.sfn
                    .stopExecution(b ->
                            b.executionArn(executionArn).error("BatchCancelled").cause("by the user"))
                    .stopDate();
            DescribeExecutionResponse execution = harness.sfn.describeExecution(b -> b.executionArn(executionArn));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.ABORTED);
            assertThat(execution.error()).isEqualTo("BatchCancelled");
            assertThat(execution.cause()).isEqualTo("by the user");
            assertThat(execution.stopDate()).isEqualTo(stopDate);
            assertThatThrownBy(() ->
                            harness.sfn.sendTaskSuccess(b -> b.taskToken(token).output("{}")))
                    .isInstanceOf(TaskTimedOutException.class);
        }
    }

    @Test
    void anExecutionPastItsTimeoutSeconds_endsTimedOut() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String machine = harness.register(callbackMachine(harness.newQueue(), TOKEN_BODY, "")
                    .replaceFirst("\\{\"StartAt\"", "{\"TimeoutSeconds\": 1, \"StartAt\""));

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, "{}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.TIMED_OUT);
            assertThat(execution.error()).isEqualTo("States.Timeout");
        }
    }

    @Test
    void describeExecution_ofAnUnknownArn_isExecutionDoesNotExist() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            assertThatThrownBy(() -> harness.sfn.describeExecution(
                            b -> b.executionArn("arn:aws:states:us-east-1:000000000000:execution:openbatch:nobody")))
                    .isInstanceOf(ExecutionDoesNotExistException.class)
                    .hasMessageContaining("nobody");
        }
    }

    @Test
    void startExecution_ofAnUnknownStateMachine_isStateMachineDoesNotExist() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            assertThatThrownBy(() -> harness.start("arn:aws:states:us-east-1:000000000000:stateMachine:nothing", "{}"))
                    .isInstanceOf(StateMachineDoesNotExistException.class);
        }
    }

    @Test
    void sendTaskSuccess_withATokenNeverIssued_isInvalidToken() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            assertThatThrownBy(() -> harness.sfn.sendTaskSuccess(
                            b -> b.taskToken("not-a-token").output("{}")))
                    .isInstanceOf(InvalidTokenException.class);
        }
    }

    @Test
    void createStateMachine_overTheWire_registersAValidDefinitionAndRefusesAnUnsupportedOne() {
        try (StepFunctionsHarness harness = new StepFunctionsHarness(Map.of())) {
            String definition = "{\"StartAt\": \"Done\", \"States\": {\"Done\": {\"Type\": \"Succeed\"}}}";
            String arn = harness.sfn
                    .createStateMachine(b ->
                            b.name("openbatch").definition(definition).roleArn("arn:aws:iam::000000000000:role/sfn"))
                    .stateMachineArn();

            assertThat(arn).isEqualTo("arn:aws:states:us-east-1:000000000000:stateMachine:openbatch");
            assertThat(harness.sfn
                            .describeStateMachine(b -> b.stateMachineArn(arn))
                            .definition())
                    .isEqualTo(definition);
            assertThatThrownBy(
                            () -> harness.sfn.createStateMachine(
                                    b -> b.name("parallel")
                                            .roleArn("arn:aws:iam::000000000000:role/sfn")
                                            .definition(
                                                    "{\"StartAt\": \"Both\", \"States\": {\"Both\": {\"Type\": \"Parallel\", \"Branches\": [], \"End\": true}}}")))
                    .isInstanceOf(InvalidDefinitionException.class)
                    .hasMessageContaining("state 'Both'")
                    .hasMessageContaining("Type 'Parallel' is not supported");
        }
    }

    /**
     * A machine with one SQS callback task, "Process", with the given MessageBody field and extra
     * fields; and a "Failed chunk" Pass when the extra fields catch to it.
     */
    private static String callbackMachine(String queueUrl, String messageBody, String taskFields) {
        String recovery =
                taskFields.contains("Failed chunk") ? ", \"Failed chunk\": {\"Type\": \"Pass\", \"End\": true}" : "";
        return """
                {"StartAt": "Process", "States": {
                  "Process": {"Type": "Task", "Resource": "%s",
                    "Parameters": {"QueueUrl": "%s", %s}, %s"End": true}%s}}""".formatted(SQS_WAIT, queueUrl, messageBody, taskFields, recovery);
    }

    private static ObjectNode object(Object... keysAndValues) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            node.set((String) keysAndValues[i], Json.MAPPER.valueToTree(keysAndValues[i + 1]));
        }
        return node;
    }
}
