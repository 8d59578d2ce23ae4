package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.openbatch.aws.Settings;
import dev.openbatch.deployment.Permissions;
import dev.openbatch.stepfunctions.TaskError;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The state machine's own calls, under its role: an invoke it may not make fails the task as Step Functions fails it. */
class LocalPermissionsTest {

    private static final Settings SETTINGS = Settings.builder()
            .region("us-east-1")
            .bucket(LocalRuntime.BUCKET)
            .filesTable(LocalRuntime.FILES_TABLE)
            .batchesTable(LocalRuntime.BATCHES_TABLE)
            .jobsJson("{}")
            .stateMachineArn("arn:aws:states:us-east-1:000000000000:stateMachine:openbatch-batch")
            .endpoints(Map.of(Settings.S3, URI.create("http://127.0.0.1:9")))
            .ingestBucket(Optional.of(LocalRuntime.INGEST_BUCKET))
            .keysTable(LocalRuntime.KEYS_TABLE)
            .build();
    private static final Function<JsonNode, JsonNode> ECHO = payload -> payload;

    @Test
    void theStateMachine_invokesTheFunctionsItsRoleNames() {
        JsonNode payload = JsonNodeFactory.instance.objectNode().put("batch_id", "batch_1");

        assertThat(LocalPermissions.invokedByStateMachine(
                                Permissions.deployed(), SETTINGS, LocalRuntime.VALIDATE_FUNCTION, ECHO)
                        .apply(payload))
                .isEqualTo(payload);
    }

    @Test
    void anInvokeTheStateMachinesRoleMayNotMake_failsTheTask_asLambdasAccessDenied() {
        Permissions less = Permissions.deployed()
                .without(
                        Permissions.Role.STATE_MACHINE,
                        "lambda:InvokeFunction",
                        Permissions.function(Permissions.Role.FINALIZE));
        Function<JsonNode, JsonNode> finalize =
                LocalPermissions.invokedByStateMachine(less, SETTINGS, LocalRuntime.FINALIZE_FUNCTION, ECHO);

        assertThatThrownBy(() -> finalize.apply(JsonNodeFactory.instance.objectNode()))
                .isInstanceOfSatisfying(TaskError.class, e -> {
                    assertThat(e.error()).isEqualTo("Lambda.AWSLambdaException");
                    assertThat(e.getMessage())
                            .startsWith("User: arn:aws:sts::000000000000:assumed-role/"
                                    + "openbatch-batch-role/openbatch-batch is not authorized to perform: lambda:InvokeFunction"
                                    + " on resource: arn:aws:lambda:us-east-1:000000000000:function:openbatch-finalize because no"
                                    + " identity-based policy allows the lambda:InvokeFunction action (Service: AWSLambda;"
                                    + " Status Code: 403; Error Code: AccessDeniedException;");
                });
    }

    @Test
    void everyLocalFunction_hasARole_andAnUndeclaredOneIsRefused() {
        for (String function : LocalPermissions.ROLES.keySet()) {
            assertThat(LocalPermissions.interceptor(Permissions.deployed(), SETTINGS, function))
                    .isNotNull();
        }
        assertThatThrownBy(() -> LocalPermissions.interceptor(Permissions.deployed(), SETTINGS, "openbatch-undeclared"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("openbatch-undeclared");
    }
}
