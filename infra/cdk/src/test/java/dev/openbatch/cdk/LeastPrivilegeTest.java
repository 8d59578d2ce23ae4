package dev.openbatch.cdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awscdk.assertions.Match;

/**
 * Each function, and the state machine, may do exactly what it does: the named actions on the
 * named resources, nothing with a wildcard action, nothing on "*" but where AWS's API takes no
 * resource.
 */
class LeastPrivilegeTest {

    /**
     * The actions allowed on "*", and why AWS leaves no choice. CloudWatch Logs' log delivery (the
     * state machine's logging) and X-Ray (tracing) have no resource-level permissions; Lambda places a
     * function's network interfaces with its role's EC2 permissions, and DescribeNetworkInterfaces has
     * none either.
     */
    private static final Set<String> ONLY_ON_ANY_RESOURCE = Set.of(
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses");

    private static Iam iam(Synth synth) {
        return new Iam(synth.template().toJSON());
    }

    private static Synth synth(String config) {
        return config.equals("minimal") ? Synth.minimal() : Synth.full();
    }

    @ParameterizedTest
    @ValueSource(strings = {"minimal", "full"})
    void noStatementAllowsAWildcardAction_butTheKeyPolicysAccountStatement(String config) {
        List<Iam.Statement> statements = iam(synth(config)).allStatements();
        assertThat(statements).isNotEmpty();

        for (Iam.Statement statement : statements) {
            if (!"Allow".equals(statement.effect()) || isKeyPolicyOfTheAccount(statement)) {
                continue;
            }
            assertThat(statement.actions())
                    .as(statement.toString())
                    .isNotEmpty()
                    .noneMatch(a -> a.contains("*"));
        }
    }

    /**
     * A KMS key policy must let the account manage the key ({@code kms:*} for the account's root, on
     * the key itself, which a key policy calls "*"): without it no one could change or delete the key.
     * IAM policies then grant each function its use of the key.
     */
    private static boolean isKeyPolicyOfTheAccount(Iam.Statement statement) {
        return statement.source().endsWith(".KeyPolicy")
                && statement.actions().equals(List.of("kms:*"))
                && statement.resources().equals(List.of("*"))
                && statement.body().get("Principal").equals(Map.of("AWS", "arn:aws:iam::123456789012:root"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"minimal", "full"})
    void onlyActionsWithoutResourceLevelPermissions_areAllowedOnAnyResource(String config) {
        for (Iam.Statement statement : iam(synth(config)).allStatements()) {
            if (!"Allow".equals(statement.effect())
                    || isKeyPolicyOfTheAccount(statement)
                    || !statement.resources().contains("*")) {
                continue;
            }
            assertThat(statement.resources()).as(statement.toString()).containsExactly("*");
            assertThat(ONLY_ON_ANY_RESOURCE).as(statement.toString()).containsAll(statement.actions());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"minimal", "full"})
    void everyDeny_refusesRequestsNotOverTls(String config) {
        List<Iam.Statement> denials = iam(synth(config)).allStatements().stream()
                .filter(s -> "Deny".equals(s.effect()))
                .toList();

        assertThat(denials)
                .isNotEmpty()
                .allSatisfy(deny -> assertThat(deny.body().get("Condition").toString())
                        .containsAnyOf("aws:SecureTransport=false", "s3:TlsVersion=1.2"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"minimal", "full"})
    void rolesHaveNoManagedPolicyAndTrustOnlyTheirService(String config) {
        Synth synth = synth(config);
        synth.template().resourceCountIs("AWS::IAM::Role", 10);
        synth.template()
                .allResourcesProperties(
                        "AWS::IAM::Role",
                        Map.of(
                                "ManagedPolicyArns", Match.absent(),
                                "Policies", Match.absent()));
        Iam iam = iam(synth);
        for (String handler : List.of(
                "ApiHandler",
                "AuthorizerHandler",
                "ValidateHandler",
                "WorkerHandler",
                "FinalizeHandler",
                "IngestHandler",
                "DeadLetterHandler",
                "SweeperHandler",
                "WebhookSenderHandler")) {
            assertThat(trustOf(synth, iam.roleOfFunction(handler)))
                    .as(handler)
                    .isEqualTo(Map.of("Service", "lambda.amazonaws.com"));
        }
        assertThat(trustOf(synth, iam.roleOfStateMachine())).isEqualTo(Map.of("Service", "states.amazonaws.com"));
    }

    @SuppressWarnings("unchecked")
    private static Object trustOf(Synth synth, String roleId) {
        Map<String, Object> role = (Map<String, Object>)
                ((Map<String, Object>) synth.template().toJSON().get("Resources")).get(roleId);
        Map<String, Object> trust =
                (Map<String, Object>) ((Map<String, Object>) role.get("Properties")).get("AssumeRolePolicyDocument");
        List<Map<String, Object>> statements = (List<Map<String, Object>>) trust.get("Statement");
        assertThat(statements).hasSize(1);
        assertThat(statements.getFirst().get("Action")).isEqualTo("sts:AssumeRole");
        return statements.getFirst().get("Principal");
    }

    // ---- exactly what each one does, in the minimal deployment ----------------------------------

    private static final String LOGS = "logs:CreateLogStream on %1$sLogs.Arn\nlogs:PutLogEvents on %1$sLogs.Arn";

    private static Set<String> allowed(Synth synth, String handler) {
        return iam(synth).allowedTo(iam(synth).roleOfFunction(handler));
    }

    private static Set<String> lines(String function, String text) {
        return Set.copyOf((LOGS.formatted(function) + "\n" + text.strip())
                .lines()
                .map(String::strip)
                .toList());
    }

    @Test
    void theApi_managesFilesAndUploadParts_andBatches_startsExecutions_andReadsRunningBatchesResults() {
        assertThat(allowed(Synth.minimal(), "ApiHandler"))
                .containsExactlyInAnyOrderElementsOf(lines("ApiFunction", """
                s3:GetObject on DataBucket.Arn/files/*
                s3:PutObject on DataBucket.Arn/files/*
                s3:DeleteObject on DataBucket.Arn/files/*
                s3:GetObject on DataBucket.Arn/uploads/*
                s3:PutObject on DataBucket.Arn/uploads/*
                s3:DeleteObject on DataBucket.Arn/uploads/*
                s3:GetObject on DataBucket.Arn/batches/*
                s3:PutObject on DataBucket.Arn/batches/*/snapshots/*
                s3:ListBucket on DataBucket.Arn
                dynamodb:GetItem on FilesTable.Arn
                dynamodb:PutItem on FilesTable.Arn
                dynamodb:UpdateItem on FilesTable.Arn
                dynamodb:DeleteItem on FilesTable.Arn
                dynamodb:Query on FilesTable.Arn/index/by_owner
                dynamodb:GetItem on BatchesTable.Arn
                dynamodb:PutItem on BatchesTable.Arn
                dynamodb:UpdateItem on BatchesTable.Arn
                dynamodb:Query on BatchesTable.Arn/index/by_owner
                states:StartExecution on BatchStateMachine
                dynamodb:GetItem on WebhooksEndpointsTable.Arn
                dynamodb:PutItem on WebhooksEndpointsTable.Arn
                dynamodb:DeleteItem on WebhooksEndpointsTable.Arn
                dynamodb:Query on WebhooksEndpointsTable.Arn/index/by_owner
                events:PutEvents on arn:AWS::Partition:events:AWS::Region:AWS::AccountId:event-bus/default
                """));
    }

    @Test
    void theAuthorizer_onlyReadsAKeyByItsHash() {
        assertThat(allowed(Synth.minimal(), "AuthorizerHandler"))
                .containsExactlyInAnyOrderElementsOf(lines("AuthorizerFunction", "dynamodb:GetItem on KeysTable.Arn"));
    }

    /**
     * A refused file's chunks are removed with DeleteObjects, which needs s3:DeleteObject on each key;
     * a run again reads the input's cut under batches/.
     */
    @Test
    void theValidator_readsTheInputFile_writesChunks_removesARefusedFilesChunks_andMovesTheBatch() {
        assertThat(allowed(Synth.minimal(), "ValidateHandler"))
                .containsExactlyInAnyOrderElementsOf(lines("ValidateFunction", """
                s3:GetObject on DataBucket.Arn/files/*
                s3:GetObject on DataBucket.Arn/batches/*
                s3:PutObject on DataBucket.Arn/batches/*
                s3:DeleteObject on DataBucket.Arn/batches/*
                s3:ListBucket on DataBucket.Arn
                dynamodb:GetItem on BatchesTable.Arn
                dynamodb:UpdateItem on BatchesTable.Arn
                events:PutEvents on arn:AWS::Partition:events:AWS::Region:AWS::AccountId:event-bus/default
                """));
    }

    /**
     * The queue actions but {@code sqs:SendMessage} are the CDK's SQS event source grant: what Lambda's
     * poller does with the worker's role; {@code sqs:SendMessage} puts off a chunk whose job has no
     * capacity to spare.
     */
    @Test
    void theWorker_readsChunks_writesParts_countsThem_leasesCapacity_andAnswersItsTask_orSendsItsChunkOn() {
        assertThat(allowed(Synth.minimal(), "WorkerHandler"))
                .containsExactlyInAnyOrderElementsOf(lines("WorkerFunction", """
                s3:GetObject on DataBucket.Arn/batches/*
                s3:PutObject on DataBucket.Arn/batches/*
                s3:GetObject on DataBucket.Arn/drops/*
                s3:ListBucket on DataBucket.Arn
                s3:GetObject on IngestBucket.Arn/results/*
                s3:PutObject on IngestBucket.Arn/results/*
                s3:ListBucket on IngestBucket.Arn
                dynamodb:GetItem on BatchesTable.Arn
                dynamodb:UpdateItem on BatchesTable.Arn
                dynamodb:GetItem on CapacityTable.Arn
                dynamodb:PutItem on CapacityTable.Arn
                states:SendTaskSuccess on BatchStateMachine
                sqs:SendMessage on ChunkQueue.Arn
                sqs:ReceiveMessage on ChunkQueue.Arn
                sqs:DeleteMessage on ChunkQueue.Arn
                sqs:ChangeMessageVisibility on ChunkQueue.Arn
                sqs:GetQueueAttributes on ChunkQueue.Arn
                sqs:GetQueueUrl on ChunkQueue.Arn
                """));
    }

    @Test
    void theDeadLetterConsumer_writesAFailedChunksPart_countsIt_andAnswersItsTask_butReadsNoSecretNorImage() {
        assertThat(allowed(Synth.minimal(), "DeadLetterHandler"))
                .containsExactlyInAnyOrderElementsOf(lines("DeadLetterFunction", """
                s3:GetObject on DataBucket.Arn/batches/*
                s3:PutObject on DataBucket.Arn/batches/*
                s3:ListBucket on DataBucket.Arn
                dynamodb:GetItem on BatchesTable.Arn
                dynamodb:UpdateItem on BatchesTable.Arn
                states:SendTaskSuccess on BatchStateMachine
                sqs:ReceiveMessage on ChunkDeadLetterQueue.Arn
                sqs:DeleteMessage on ChunkDeadLetterQueue.Arn
                sqs:ChangeMessageVisibility on ChunkDeadLetterQueue.Arn
                sqs:GetQueueAttributes on ChunkDeadLetterQueue.Arn
                sqs:GetQueueUrl on ChunkDeadLetterQueue.Arn
                """));
    }

    @Test
    void theFinalizer_readsParts_completesMissingOnes_writesOutputFiles_andADroppedBatchsResultsBesideItsDrop() {
        assertThat(allowed(Synth.minimal(), "FinalizeHandler"))
                .containsExactlyInAnyOrderElementsOf(lines("FinalizeFunction", """
                s3:GetObject on DataBucket.Arn/batches/*
                s3:PutObject on DataBucket.Arn/batches/*
                s3:GetObject on DataBucket.Arn/files/*
                s3:PutObject on DataBucket.Arn/files/*
                s3:GetObject on DataBucket.Arn/drops/*
                s3:ListBucket on DataBucket.Arn
                s3:GetObject on IngestBucket.Arn/results/*
                s3:PutObject on IngestBucket.Arn/results/*
                s3:DeleteObject on IngestBucket.Arn/results/*
                s3:ListBucket on IngestBucket.Arn
                dynamodb:GetItem on FilesTable.Arn
                dynamodb:PutItem on FilesTable.Arn
                dynamodb:GetItem on BatchesTable.Arn
                dynamodb:UpdateItem on BatchesTable.Arn
                sqs:SendMessage on WebhooksQueue.Arn
                events:PutEvents on arn:AWS::Partition:events:AWS::Region:AWS::AccountId:event-bus/default
                """));
    }

    @Test
    void theIngester_copiesDropsIn_registersFileAndBatch_startsIt_andWritesRefusalsBesideTheDrop() {
        assertThat(allowed(Synth.minimal(), "IngestHandler"))
                .containsExactlyInAnyOrderElementsOf(lines("IngestFunction", """
                s3:GetObject on IngestBucket.Arn/incoming/*
                s3:GetObject on IngestBucket.Arn/results/*
                s3:PutObject on IngestBucket.Arn/results/*
                s3:DeleteObject on IngestBucket.Arn/results/*
                s3:ListBucket on IngestBucket.Arn
                s3:GetObject on DataBucket.Arn/files/*
                s3:PutObject on DataBucket.Arn/files/*
                s3:PutObject on DataBucket.Arn/drops/*
                dynamodb:GetItem on FilesTable.Arn
                dynamodb:PutItem on FilesTable.Arn
                dynamodb:GetItem on BatchesTable.Arn
                dynamodb:PutItem on BatchesTable.Arn
                dynamodb:UpdateItem on BatchesTable.Arn
                states:StartExecution on BatchStateMachine
                sqs:SendMessage on IngestDeadLetterQueue.Arn
                sqs:GetQueueAttributes on IngestDeadLetterQueue.Arn
                sqs:GetQueueUrl on IngestDeadLetterQueue.Arn
                events:PutEvents on arn:AWS::Partition:events:AWS::Region:AWS::AccountId:event-bus/default
                """));
    }

    /**
     * The sweep index queried and its batches marked; runs started, looked at and stopped (only this
     * state machine's executions); and what ending a batch failed needs, as the finalizer's Catch does
     * it: the batch record, and a dropped batch's results beside its drop. Files past their expires_at
     * are found in the files table's by_expiry index and removed, record and bytes.
     */
    @Test
    void theSweeper_queriesTheSweepIndex_startsLooksAtAndStopsRuns_andEndsADroppedBatchsResultsBesideItsDrop() {
        assertThat(allowed(Synth.minimal(), "SweeperHandler"))
                .containsExactlyInAnyOrderElementsOf(lines("SweeperFunction", """
                dynamodb:Query on BatchesTable.Arn/index/by_sweep
                dynamodb:GetItem on BatchesTable.Arn
                dynamodb:UpdateItem on BatchesTable.Arn
                states:StartExecution on BatchStateMachine
                states:DescribeExecution on arn:AWS::Partition:states:AWS::Region:AWS::AccountId:execution:BatchStateMachine.Name:*
                states:StopExecution on arn:AWS::Partition:states:AWS::Region:AWS::AccountId:execution:BatchStateMachine.Name:*
                s3:GetObject on DataBucket.Arn/drops/*
                s3:GetObject on DataBucket.Arn/files/*
                s3:DeleteObject on DataBucket.Arn/files/*
                dynamodb:Query on FilesTable.Arn/index/by_expiry
                dynamodb:DeleteItem on FilesTable.Arn
                s3:ListBucket on DataBucket.Arn
                s3:GetObject on IngestBucket.Arn/results/*
                s3:PutObject on IngestBucket.Arn/results/*
                s3:DeleteObject on IngestBucket.Arn/results/*
                s3:ListBucket on IngestBucket.Arn
                sqs:SendMessage on WebhooksQueue.Arn
                events:PutEvents on arn:AWS::Partition:events:AWS::Region:AWS::AccountId:event-bus/default
                """));
    }

    /**
     * The endpoints read (their secrets with them), a delivery per endpoint queued, and the event source's
     * queue actions, ChangeMessageVisibility among them: a retried delivery waits hidden until its next try.
     */
    @Test
    void theWebhookSender_readsTheTenantsEndpoints_queuesTheirDeliveries_andHidesARetriedOne() {
        assertThat(allowed(Synth.minimal(), "WebhookSenderHandler"))
                .containsExactlyInAnyOrderElementsOf(lines("WebhooksSenderFunction", """
                dynamodb:GetItem on WebhooksEndpointsTable.Arn
                dynamodb:Query on WebhooksEndpointsTable.Arn/index/by_owner
                sqs:SendMessage on WebhooksQueue.Arn
                sqs:ReceiveMessage on WebhooksQueue.Arn
                sqs:DeleteMessage on WebhooksQueue.Arn
                sqs:ChangeMessageVisibility on WebhooksQueue.Arn
                sqs:GetQueueAttributes on WebhooksQueue.Arn
                sqs:GetQueueUrl on WebhooksQueue.Arn
                """));
    }

    @Test
    void theStateMachine_invokesItsTwoFunctions_andSendsChunks() {
        Iam iam = iam(Synth.minimal());
        assertThat(iam.allowedTo(iam.roleOfStateMachine()))
                .containsExactlyInAnyOrder(
                        "lambda:InvokeFunction on ValidateFunctionAlias",
                        "lambda:InvokeFunction on FinalizeFunctionAlias",
                        "sqs:SendMessage on ChunkQueue.Arn",
                        "logs:CreateLogDelivery on *",
                        "logs:GetLogDelivery on *",
                        "logs:UpdateLogDelivery on *",
                        "logs:DeleteLogDelivery on *",
                        "logs:ListLogDeliveries on *",
                        "logs:PutResourcePolicy on *",
                        "logs:DescribeResourcePolicies on *",
                        "logs:DescribeLogGroups on *");
    }

    // ---- what options add -----------------------------------------------------------------------

    @Test
    void withEveryOption_theWorkerMayAlsoReadItsSecretAndTheImageBuckets_useTheKey_joinTheVpc_andTrace() {
        Set<String> added = new TreeSet<>(allowed(Synth.full(), "WorkerHandler"));
        added.removeAll(allowed(Synth.minimal(), "WorkerHandler"));

        assertThat(allowed(Synth.full(), "WorkerHandler")).containsAll(allowed(Synth.minimal(), "WorkerHandler"));
        assertThat(added)
                .containsExactlyInAnyOrder(
                        """
                kms:Decrypt on DataKey.Arn
                kms:GenerateDataKey on DataKey.Arn
                secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:123456789012:secret:openbatch/gpu-AbCdEf
                s3:GetObject on arn:AWS::Partition:s3:::images-us/*
                s3:ListBucket on arn:AWS::Partition:s3:::images-us
                s3:GetObject on arn:AWS::Partition:s3:::images-eu/* if {StringEquals={s3:ResourceAccount=210987654321}}
                s3:ListBucket on arn:AWS::Partition:s3:::images-eu if {StringEquals={s3:ResourceAccount=210987654321}}
                ec2:CreateNetworkInterface on *
                ec2:DescribeNetworkInterfaces on *
                ec2:DescribeSubnets on *
                ec2:DeleteNetworkInterface on *
                ec2:AssignPrivateIpAddresses on *
                ec2:UnassignPrivateIpAddresses on *
                xray:PutTraceSegments on *
                xray:PutTelemetryRecords on *
                """.strip().lines().map(String::strip).toArray(String[]::new));
    }

    @Test
    void aJobThatIsAPool_letsTheWorkerReadEachEndpointsSecret_andNoOther() {
        Synth pool = Synth.of("""
                {"region": "eu-west-1",
                 "jobs": {"default_job": "job-pool",
                          "jobs": [{"id": "job-pool", "tenants": ["team-a"], "endpoints": [
                            {"base_url": "https://gpu-1.internal/v1", "models": ["llama"], "concurrency": 64,
                             "auth": {"header": "Authorization",
                                      "secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gpu-1-AbCdEf"}},
                            {"base_url": "https://gpu-2.internal/v1", "models": ["llama", "qwen"], "concurrency": 32,
                             "auth": {"header": "Authorization",
                                      "secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gpu-2-AbCdEf"}},
                            {"base_url": "https://gpu-3.internal/v1", "concurrency": 16}]}]}}""");
        Set<String> added = new TreeSet<>(allowed(pool, "WorkerHandler"));
        added.removeAll(allowed(Synth.minimal(), "WorkerHandler"));

        assertThat(added)
                .containsExactlyInAnyOrder(
                        "secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:123456789012:secret:gpu-1-AbCdEf",
                        "secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:123456789012:secret:gpu-2-AbCdEf");
    }

    @Test
    void withAKey_eachFunctionMayDecryptWhatItReads_andEncryptWhatItWrites() {
        Synth full = Synth.full();
        assertThat(allowed(full, "ApiHandler"))
                .contains("kms:Decrypt on DataKey.Arn", "kms:GenerateDataKey on DataKey.Arn");
        assertThat(allowed(full, "ValidateHandler"))
                .contains("kms:Decrypt on DataKey.Arn", "kms:GenerateDataKey on DataKey.Arn");
        assertThat(allowed(full, "AuthorizerHandler")).noneMatch(line -> line.startsWith("kms:"));
        assertThat(allowed(Synth.minimal(), "ApiHandler")).noneMatch(line -> line.startsWith("kms:"));
    }

    @Test
    void onlyTheWorker_mayReadImagesOrSecrets_orJoinTheVpc() {
        Synth full = Synth.full();
        for (String handler : List.of(
                "ApiHandler",
                "AuthorizerHandler",
                "ValidateHandler",
                "FinalizeHandler",
                "IngestHandler",
                "DeadLetterHandler",
                "SweeperHandler",
                "WebhookSenderHandler")) {
            assertThat(allowed(full, handler))
                    .as(handler)
                    .noneMatch(line ->
                            line.contains("images-") || line.startsWith("secretsmanager:") || line.startsWith("ec2:"));
        }
    }
}
