package dev.openbatch.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.aws.Settings;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.deployment.Permissions;
import dev.openbatch.local.iam.IamInterceptor;
import dev.openbatch.local.iam.LocalIam;
import dev.openbatch.stepfunctions.TaskError;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The deployment's {@link Permissions} on the local runtime's resources: each function's calls
 * checked against its role, as in the account. Roles are named after their function
 * ({@code openbatch-validate-role}); a function's calls are made as that role's session named after
 * the function, as Lambda's are.
 */
final class LocalPermissions {

    /** Each local function's role in the declaration. */
    static final Map<String, Permissions.Role> ROLES = Map.of(
            LocalRuntime.API_FUNCTION, Permissions.Role.API,
            LocalRuntime.AUTHORIZER_FUNCTION, Permissions.Role.AUTHORIZER,
            LocalRuntime.VALIDATE_FUNCTION, Permissions.Role.VALIDATE,
            LocalRuntime.FINALIZE_FUNCTION, Permissions.Role.FINALIZE,
            LocalRuntime.WORKER_FUNCTION, Permissions.Role.WORKER,
            LocalRuntime.DEAD_LETTER_FUNCTION, Permissions.Role.DEAD_LETTERS,
            LocalRuntime.INGEST_FUNCTION, Permissions.Role.INGEST,
            LocalRuntime.SWEEPER_FUNCTION, Permissions.Role.SWEEPER,
            LocalRuntime.WEBHOOKS_FUNCTION, Permissions.Role.WEBHOOKS);

    private LocalPermissions() {}

    /** The local runtime's resources, by what they are, as the declaration names them. */
    static LocalIam.Resources resources(Settings settings) {
        List<String> images = Arrays.stream(settings.images().buckets().split(","))
                .map(String::strip)
                .filter(b -> !b.isEmpty())
                .toList();
        Map<Permissions.Bucket, String> buckets = new HashMap<>(Map.of(Permissions.Bucket.DATA, settings.bucket()));
        settings.ingestBucket().ifPresent(bucket -> buckets.put(Permissions.Bucket.INGEST, bucket));
        Map<Permissions.Table, String> tables = new HashMap<>(Map.of(
                Permissions.Table.FILES, settings.filesTable(), Permissions.Table.BATCHES, settings.batchesTable()));
        if (settings.capacityTable() != null) {
            tables.put(Permissions.Table.CAPACITY, settings.capacityTable());
        }
        if (settings.keysTable() != null) {
            tables.put(Permissions.Table.KEYS, settings.keysTable());
        }
        if (settings.webhooks().enabled()) {
            tables.put(Permissions.Table.WEBHOOKS, settings.webhooks().endpointsTable());
        }
        return new LocalIam.Resources(
                settings.region(),
                buckets,
                tables,
                Map.of(
                        Permissions.Queue.CHUNKS,
                        LocalRuntime.CHUNK_QUEUE,
                        Permissions.Queue.CHUNK_DEAD_LETTERS,
                        LocalRuntime.DEAD_LETTER_QUEUE,
                        // Not created locally: failed drops are retried by the S3 watcher, not sent anywhere.
                        Permissions.Queue.INGEST_DEAD_LETTERS,
                        "openbatch-ingest-dlq",
                        Permissions.Queue.WEBHOOKS,
                        LocalRuntime.WEBHOOK_QUEUE),
                settings.stateMachineArn(),
                Map.of(
                        Permissions.Role.VALIDATE,
                        LocalRuntime.VALIDATE_FUNCTION,
                        Permissions.Role.FINALIZE,
                        LocalRuntime.FINALIZE_FUNCTION),
                List.copyOf(JobCatalog.fromJson(settings.jobsJson()).secretArns()),
                images);
    }

    static String roleName(String function) {
        return function + "-role";
    }

    /** What checks a local function's calls against its role. */
    static IamInterceptor interceptor(Permissions permissions, Settings settings, String function) {
        Permissions.Role role = ROLES.get(function);
        if (role == null) {
            throw new IllegalArgumentException("no role is declared for the function " + function);
        }
        LocalIam iam = new LocalIam(permissions, resources(settings));
        return new IamInterceptor(iam.policy(role, roleName(function)), function, iam.resources());
    }

    /** What checks the state machine's own calls (sending chunk messages) against its role. */
    static IamInterceptor stateMachineInterceptor(Permissions permissions, Settings settings) {
        LocalIam iam = new LocalIam(permissions, resources(settings));
        return new IamInterceptor(
                iam.policy(Permissions.Role.STATE_MACHINE, roleName(LocalRuntime.STATE_MACHINE)),
                LocalRuntime.STATE_MACHINE,
                iam.resources());
    }

    /**
     * The state machine's {@code lambda:invoke} of a function, refused as Step Functions reports a
     * refused invoke when its role may not: the task fails with {@code Lambda.AWSLambdaException},
     * Lambda's 403 {@code AccessDeniedException} in its cause.
     */
    static Function<JsonNode, JsonNode> invokedByStateMachine(
            Permissions permissions, Settings settings, String function, Function<JsonNode, JsonNode> handler) {
        LocalIam iam = new LocalIam(permissions, resources(settings));
        LocalIam.Policy policy = iam.policy(Permissions.Role.STATE_MACHINE, roleName(LocalRuntime.STATE_MACHINE));
        String arn = "arn:aws:lambda:" + settings.region() + ":" + LocalIam.ACCOUNT + ":function:" + function;
        return payload -> {
            if (!policy.allows("lambda:InvokeFunction", arn)) {
                throw new TaskError(
                        "Lambda.AWSLambdaException",
                        "User: arn:aws:sts::" + LocalIam.ACCOUNT
                                + ":assumed-role/" + policy.role() + "/" + LocalRuntime.STATE_MACHINE
                                + " is not authorized to perform: lambda:InvokeFunction on resource: " + arn
                                + " because no identity-based policy allows the lambda:InvokeFunction action"
                                + " (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: "
                                + UUID.randomUUID() + "; Proxy: null)");
            }
            return handler.apply(payload);
        };
    }
}
