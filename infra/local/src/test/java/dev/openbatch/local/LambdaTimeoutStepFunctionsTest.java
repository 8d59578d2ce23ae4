package dev.openbatch.local;

import static dev.openbatch.stepfunctions.StepFunctionsHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.local.lambda.LocalLambda;
import dev.openbatch.stepfunctions.StepFunctionsHarness;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/** {@code lambda:invoke} of a function that outlives its timeout: the task fails as Lambda reports it. */
class LambdaTimeoutStepFunctionsTest {

    @Test
    void aLambdaTaskPastItsFunctionsTimeout_failsWithSandboxTimedout_andLambdasCause() {
        AtomicInteger calls = new AtomicInteger();
        try (LocalLambda<Function<JsonNode, JsonNode>> slow =
                        new LocalLambda<>("slow", Duration.ofSeconds(1), 10, sandbox -> in -> {
                            calls.incrementAndGet();
                            try {
                                new CountDownLatch(1).await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return in;
                        });
                StepFunctionsHarness harness = new StepFunctionsHarness(
                        Map.of("slow", payload -> slow.invoke((function, context) -> function.apply(payload))))) {
            String machine = harness.register("""
                    {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": {"FunctionName": "slow"},
                      "Retry": [{"ErrorEquals": ["Sandbox.Timedout"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                      "End": true}}}""");

            DescribeExecutionResponse execution = harness.awaitEnd(harness.start(machine, "{}"));

            assertThat(execution.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(execution.error()).isEqualTo("Sandbox.Timedout");
            JsonNode cause = json(execution.cause());
            assertThat(cause.get("errorType").asText()).isEqualTo("Sandbox.Timedout");
            assertThat(cause.get("errorMessage").asText())
                    .matches("RequestId: \\S+ Error: Task timed out after 1\\.00 seconds");
            assertThat(calls).as("retried by the name Lambda gives the error").hasValue(2);
        }
    }
}
