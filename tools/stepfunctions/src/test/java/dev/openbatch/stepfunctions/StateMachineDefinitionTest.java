package dev.openbatch.stepfunctions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

/** The subset: what is accepted, and each construct outside it refused with the construct and the state named. */
class StateMachineDefinitionTest {

    private static final String LAMBDA = "arn:aws:states:::lambda:invoke";

    @Test
    void substitutions_replaceEveryPlaceholderBeforeParsing() {
        StateMachineDefinition definition = StateMachineDefinition.parse(
                """
                {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                  "Parameters": {"FunctionName": "${Fn}", "Payload": {"bucket": "${Bucket}", "again": "${Fn}"}}, "End": true}}}""".formatted(LAMBDA), Map.of("Fn", "validate", "Bucket", "openbatch-data"));

        assertThat(definition.text())
                .contains("\"FunctionName\": \"validate\"", "\"bucket\": \"openbatch-data\"", "\"again\": \"validate\"")
                .doesNotContain("${");
        assertThat(definition.functionNames()).containsExactly("validate");
    }

    @Test
    void aPlaceholderLeftWithoutSubstitution_isRefused() {
        assertRefused("""
                {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                  "Parameters": {"FunctionName": "${ValidateFunctionArn}"}, "End": true}}}""".formatted(LAMBDA), "placeholder ${ValidateFunctionArn} has no substitution");
    }

    @Test
    void aParallelState_isRefusedNamingTheState() {
        assertRefused(
                """
                {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "Branches": [], "End": true}}}""",
                "state 'Both'",
                "Type 'Parallel' is not supported",
                "supported: [Choice, Fail, Map, Pass, Succeed, Task]");
    }

    @Test
    void aWaitState_isRefused() {
        assertRefused("""
                {"StartAt": "Later", "States": {"Later": {"Type": "Wait", "Seconds": 5, "End": true}}}""", "state 'Later'", "Type 'Wait' is not supported");
    }

    @Test
    void aDistributedMap_isRefused() {
        assertRefused(
                map("{\"Mode\": \"DISTRIBUTED\", \"ExecutionType\": \"STANDARD\"}"),
                "state 'Chunks'",
                "field 'ExecutionType'");
        assertRefused(
                map("{\"Mode\": \"DISTRIBUTED\"}"),
                "state 'Chunks'",
                "ProcessorConfig.Mode 'DISTRIBUTED' is not supported",
                "only INLINE");
    }

    @Test
    void anInlineMap_withOrWithoutProcessorConfig_isAccepted() {
        StateMachineDefinition.parse(map("{\"Mode\": \"INLINE\"}"), Map.of());
        StateMachineDefinition.parse(map(null), Map.of());
    }

    @Test
    void theLegacyMapIterator_isRefused() {
        assertRefused("""
                {"StartAt": "Chunks", "States": {"Chunks": {"Type": "Map",
                  "Iterator": {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}, "End": true}}}""", "state 'Chunks'", "field 'Iterator' in a Map state is not supported");
    }

    @Test
    void anIntrinsicFunction_isRefusedAtParseTime() {
        assertRefused(
                """
                {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                  "Parameters": {"FunctionName": "f", "Payload": {"key.$": "States.Format('chunks/{}', $.id)"}}, "End": true}}}""".formatted(LAMBDA),
                "state 'Call'",
                "intrinsic function States.Format('chunks/{}', $.id) is not supported");
    }

    @Test
    void anUnknownResource_isRefused() {
        assertRefused("""
                {"StartAt": "Put", "States": {"Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                  "Parameters": {"TableName": "t"}, "End": true}}}""", "state 'Put'", "Resource 'arn:aws:states:::dynamodb:putItem' is not supported");
    }

    @Test
    void aLambdaInvokeParameterOutsideTheSubset_isRefused() {
        assertRefused("""
                {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                  "Parameters": {"FunctionName": "f", "InvocationType": "Event"}, "End": true}}}""".formatted(LAMBDA), "state 'Call'", "Parameters field 'InvocationType' is not supported");
    }

    @Test
    void anUnknownFieldInAState_isRefused() {
        assertRefused(
                """
                {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                  "Parameters": {"FunctionName": "f"}, "HeartbeatSecondsPath": "$.t", "End": true}}}""".formatted(LAMBDA), "state 'Call'", "field 'HeartbeatSecondsPath' in a Task state is not supported");
    }

    @Test
    void anInlineMapWithAMaxConcurrencyAbove40_isRefused_naming40() {
        assertRefused(
                map(null).replace("\"ItemsPath\"", "\"MaxConcurrency\": 41, \"ItemsPath\""),
                "state 'Chunks'",
                "MaxConcurrency 41 is above 40",
                "INLINE Map");
    }

    @Test
    void anInlineMapWithAMaxConcurrencyOf40_isAccepted() {
        StateMachineDefinition.parse(
                map(null).replace("\"ItemsPath\"", "\"MaxConcurrency\": 40, \"ItemsPath\""), Map.of());
    }

    @Test
    void aTaskWithBothTimeoutSecondsAndTimeoutSecondsPath_isRefused() {
        assertRefused("""
                {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                  "Parameters": {"FunctionName": "f"}, "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t", "End": true}}}""".formatted(LAMBDA), "state 'Call'", "TimeoutSeconds and TimeoutSecondsPath are exclusive");
    }

    @Test
    void catchingDataLimitExceededByName_isRefused_asOutsideTheSubset() {
        assertRefused("""
                {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                  "Parameters": {"FunctionName": "f"}, "End": true,
                  "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Done"}]},
                  "Done": {"Type": "Succeed"}}}""".formatted(LAMBDA), "error name 'States.DataLimitExceeded' is not supported");
    }

    @Test
    void aNextNamingNoState_isRefused() {
        assertRefused("""
                {"StartAt": "First", "States": {"First": {"Type": "Pass", "Next": "Second"}}}""", "state 'First'", "Next 'Second' names no state");
    }

    @Test
    void aNextLeavingAMapsItemProcessor_isRefused() {
        assertRefused("""
                {"StartAt": "Chunks", "States": {
                  "Chunks": {"Type": "Map", "ItemProcessor": {"StartAt": "Inner", "States": {
                    "Inner": {"Type": "Pass", "Next": "Outer"}}}, "Next": "Outer"},
                  "Outer": {"Type": "Succeed"}}}""", "state 'Inner'", "Next 'Outer' names no state in the ItemProcessor of state 'Chunks'");
    }

    @Test
    void aMissingStartAt_isRefused() {
        assertRefused("""
                {"States": {"Done": {"Type": "Succeed"}}}""", "the top level", "missing StartAt");
    }

    @Test
    void anUnreachableState_isRefused() {
        assertRefused("""
                {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}, "Orphan": {"Type": "Succeed"}}}""", "state 'Orphan'", "not reachable");
    }

    @Test
    void aStateWithoutNextOrEnd_isRefused() {
        assertRefused("""
                {"StartAt": "First", "States": {"First": {"Type": "Pass"}}}""", "state 'First'", "needs Next or \"End\": true");
    }

    @Test
    void aChoiceOperatorOutsideTheSubset_isRefused() {
        assertRefused("""
                {"StartAt": "Route", "States": {
                  "Route": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 3, "Next": "Done"}]},
                  "Done": {"Type": "Succeed"}}}""", "state 'Route'", "[NumericGreaterThan]", "no other operator is supported");
    }

    @Test
    void anIndexedOrWildcardPath_isRefused() {
        assertRefused("""
                {"StartAt": "First", "States": {"First": {"Type": "Pass", "InputPath": "$.items[0]", "End": true}}}""", "state 'First'", "InputPath path '$.items[0]' is not supported");
    }

    @Test
    void theTaskTokenOutsideACallbackTask_isRefused() {
        assertRefused("""
                {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                  "Parameters": {"FunctionName": "f", "Payload": {"token.$": "$$.Task.Token"}}, "End": true}}}""".formatted(LAMBDA), "state 'Call'", "context path $$.Task.Token is not supported here");
    }

    @Test
    void theMapItemOutsideAnItemSelector_isRefused() {
        assertRefused("""
                {"StartAt": "First", "States": {"First": {"Type": "Pass", "Parameters": {"v.$": "$$.Map.Item.Value"}, "End": true}}}""", "state 'First'", "context path $$.Map.Item.Value is not supported here");
    }

    @Test
    void aStatesErrorNameOutsideTheSubset_isRefused() {
        assertRefused(
                """
                {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s", "Parameters": {"FunctionName": "f"},
                  "Retry": [{"ErrorEquals": ["States.Permissions"]}], "End": true}}}""".formatted(LAMBDA), "state 'Call' Retry[0]", "error name 'States.Permissions' is not supported");
    }

    @Test
    void statesAll_beforeTheLastCatcher_isRefused() {
        assertRefused("""
                {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s", "Parameters": {"FunctionName": "f"},
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}, {"ErrorEquals": ["Other"], "Next": "Done"}],
                  "End": true}, "Done": {"Type": "Succeed"}}}""".formatted(LAMBDA), "state 'Call'", "States.ALL must be in the last entry of Catch");
    }

    @Test
    void aTopLevelFieldOutsideTheSubset_isRefused() {
        assertRefused("""
                {"QueryLanguage": "JSONata", "StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}""", "the top level", "field 'QueryLanguage'");
    }

    @Test
    void register_refusesAFunctionNameThatNamesNoGivenFunction() {
        Map<String, Function<JsonNode, JsonNode>> functions = Map.of("validate", in -> in);
        try (SqsClient sqs = SqsClient.builder().region(Region.US_EAST_1).build();
                LocalStepFunctions stepFunctions = new LocalStepFunctions("us-east-1", functions, sqs)) {
            assertThatThrownBy(() -> stepFunctions.register("openbatch", """
                    {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "%s",
                      "Parameters": {"FunctionName": "finalize"}, "End": true}}}""".formatted(LAMBDA), Map.of()))
                    .isInstanceOf(StepFunctionsException.class)
                    .hasMessageContaining("FunctionName 'finalize' names no function");
        }
    }

    private static String map(String processorConfig) {
        return """
                {"StartAt": "Chunks", "States": {"Chunks": {"Type": "Map", "ItemsPath": "$.chunks",
                  "ItemProcessor": {%s"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}, "End": true}}}""".formatted(processorConfig == null ? "" : "\"ProcessorConfig\": " + processorConfig + ", ");
    }

    private static void assertRefused(String definition, String... fragments) {
        assertThatThrownBy(() -> StateMachineDefinition.parse(definition, Map.of()))
                .isInstanceOfSatisfying(StepFunctionsException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo("InvalidDefinition");
                    assertThat(e.getMessage()).contains(fragments);
                });
    }
}
