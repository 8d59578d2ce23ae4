package dev.openbatch.local.iam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.deployment.Permissions;
import dev.openbatch.local.iam.IamInterceptor.Need;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.EventBridgeException;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.SendTaskSuccessRequest;
import software.amazon.awssdk.services.sfn.model.SfnException;
import software.amazon.awssdk.services.sfn.model.StartExecutionRequest;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityRequest;
import software.amazon.awssdk.services.sqs.model.GetQueueUrlRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequest;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * Which IAM actions on which resources each operation needs, and how a call without them is
 * refused: through the real SDK clients, whose calls the refusal stops before they leave (the
 * endpoint answers nothing).
 */
class IamInterceptorTest {

    private static final String STATE_MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:openbatch-batch";
    private static final LocalIam.Resources RESOURCES = new LocalIam.Resources(
            "us-east-1",
            Map.of(Permissions.Bucket.DATA, "openbatch-data", Permissions.Bucket.INGEST, "openbatch-ingest"),
            Map.of(
                    Permissions.Table.FILES,
                    "openbatch-files",
                    Permissions.Table.BATCHES,
                    "openbatch-batches",
                    Permissions.Table.KEYS,
                    "openbatch-keys"),
            Map.of(
                    Permissions.Queue.CHUNKS,
                    "openbatch-chunks",
                    Permissions.Queue.CHUNK_DEAD_LETTERS,
                    "openbatch-chunks-dlq",
                    Permissions.Queue.INGEST_DEAD_LETTERS,
                    "openbatch-ingest-dlq",
                    Permissions.Queue.WEBHOOKS,
                    "openbatch-webhooks"),
            STATE_MACHINE,
            Map.of(Permissions.Role.VALIDATE, "openbatch-validate", Permissions.Role.FINALIZE, "openbatch-finalize"),
            List.of("arn:aws:secretsmanager:us-east-1:000000000000:secret:gpu-AbCdEf"),
            List.of("openbatch-images", "eu-images:210987654321", "own-images:000000000000"));
    /** Nothing listens here: a call that is not refused fails to connect instead. */
    private static final URI NOWHERE = URI.create("http://127.0.0.1:9");

    private static IamInterceptor interceptor(Permissions.Role role, String function) {
        return new IamInterceptor(
                new LocalIam(Permissions.deployed(), RESOURCES).policy(role, function + "-role"), function, RESOURCES);
    }

    private static List<Need> needs(SdkRequest request, String operation) {
        return interceptor(Permissions.Role.API, "openbatch-api").needs(request, operation);
    }

    private static LocalIam.Policy policy(Permissions.Role role) {
        return new LocalIam(Permissions.deployed(), RESOURCES).policy(role, "r");
    }

    // ---- actions and resources ------------------------------------------------------------------

    @Test
    void s3Operations_needTheirObjectOrBucketAction_onTheObjectOrBucketArn() {
        assertThat(needs(GetObjectRequest.builder().bucket("b").key("files/f").build(), "GetObject"))
                .containsExactly(new Need("s3:GetObject", "arn:aws:s3:::b/files/f"));
        assertThat(needs(HeadObjectRequest.builder().bucket("b").key("k").build(), "HeadObject"))
                .containsExactly(new Need("s3:GetObject", "arn:aws:s3:::b/k"));
        assertThat(needs(
                        GetObjectRequest.builder()
                                .bucket("b")
                                .key("k")
                                .versionId("v1")
                                .build(),
                        "GetObject"))
                .containsExactly(new Need("s3:GetObjectVersion", "arn:aws:s3:::b/k"));
        assertThat(needs(PutObjectRequest.builder().bucket("b").key("k").build(), "PutObject"))
                .containsExactly(new Need("s3:PutObject", "arn:aws:s3:::b/k"));
        assertThat(needs(
                        CopyObjectRequest.builder()
                                .sourceBucket("in")
                                .sourceKey("incoming/a")
                                .destinationBucket("out")
                                .destinationKey("files/b")
                                .build(),
                        "CopyObject"))
                .containsExactly(
                        new Need("s3:GetObject", "arn:aws:s3:::in/incoming/a"),
                        new Need("s3:PutObject", "arn:aws:s3:::out/files/b"));
        assertThat(needs(
                        ListObjectsV2Request.builder()
                                .bucket("b")
                                .prefix("batches/")
                                .build(),
                        "ListObjectsV2"))
                .containsExactly(new Need("s3:ListBucket", "arn:aws:s3:::b"));
        assertThat(needs(HeadBucketRequest.builder().bucket("b").build(), "HeadBucket"))
                .containsExactly(new Need("s3:ListBucket", "arn:aws:s3:::b"));
    }

    @Test
    @SuppressWarnings("deprecation") // the request as the SDK's own interceptor leaves it, in its deprecated field
    void aCopy_asTheSdksInterceptorLeavesIt_needsTheSourceNamedInCopySource() {
        assertThat(needs(
                        CopyObjectRequest.builder()
                                .copySource("in/incoming/job-1/a%20b.jsonl?versionId=v1")
                                .destinationBucket("out")
                                .destinationKey("files/b")
                                .build(),
                        "CopyObject"))
                .containsExactly(
                        new Need("s3:GetObjectVersion", "arn:aws:s3:::in/incoming/job-1/a b.jsonl"),
                        new Need("s3:PutObject", "arn:aws:s3:::out/files/b"));
    }

    @Test
    void dynamoDbOperations_needTheirAction_onTheTable_orTheIndexTheyQuery_orEachItemsTable() {
        String batches = "arn:aws:dynamodb:us-east-1:000000000000:table/openbatch-batches";
        assertThat(needs(GetItemRequest.builder().tableName("openbatch-batches").build(), "GetItem"))
                .containsExactly(new Need("dynamodb:GetItem", batches));
        assertThat(needs(
                        UpdateItemRequest.builder()
                                .tableName("openbatch-batches")
                                .build(),
                        "UpdateItem"))
                .containsExactly(new Need("dynamodb:UpdateItem", batches));
        assertThat(needs(
                        QueryRequest.builder()
                                .tableName("openbatch-files")
                                .indexName("by_owner")
                                .build(),
                        "Query"))
                .containsExactly(new Need(
                        "dynamodb:Query",
                        "arn:aws:dynamodb:us-east-1:000000000000:table/openbatch-files/index/by_owner"));
        assertThat(needs(
                        TransactWriteItemsRequest.builder()
                                .transactItems(
                                        TransactWriteItem.builder()
                                                .put(p -> p.tableName("openbatch-files"))
                                                .build(),
                                        TransactWriteItem.builder()
                                                .conditionCheck(c -> c.tableName("openbatch-batches"))
                                                .build())
                                .build(),
                        "TransactWriteItems"))
                .containsExactly(
                        new Need("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:000000000000:table/openbatch-files"),
                        new Need("dynamodb:ConditionCheckItem", batches));
        assertThat(needs(
                        BatchWriteItemRequest.builder()
                                .requestItems(Map.of(
                                        "openbatch-batches",
                                        List.of(WriteRequest.builder()
                                                .deleteRequest(d -> d.key(Map.of("id", AttributeValue.fromS("x"))))
                                                .build())))
                                .build(),
                        "BatchWriteItem"))
                .containsExactly(new Need("dynamodb:BatchWriteItem", batches));
    }

    @Test
    void sqsStepFunctionsAndSecretsManagerOperations_needTheirAction_onTheQueueStateMachineOrSecret() {
        assertThat(needs(
                        ChangeMessageVisibilityRequest.builder()
                                .queueUrl("http://127.0.0.1:9324/000000000000/openbatch-chunks")
                                .build(),
                        "ChangeMessageVisibility"))
                .containsExactly(
                        new Need("sqs:ChangeMessageVisibility", "arn:aws:sqs:us-east-1:000000000000:openbatch-chunks"));
        assertThat(needs(
                        SendMessageBatchRequest.builder()
                                .queueUrl("http://127.0.0.1:9324/000000000000/openbatch-chunks")
                                .build(),
                        "SendMessageBatch"))
                .containsExactly(new Need("sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:openbatch-chunks"));
        assertThat(needs(
                        GetQueueUrlRequest.builder()
                                .queueName("openbatch-chunks")
                                .build(),
                        "GetQueueUrl"))
                .containsExactly(new Need("sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:000000000000:openbatch-chunks"));
        assertThat(needs(
                        StartExecutionRequest.builder()
                                .stateMachineArn(STATE_MACHINE)
                                .build(),
                        "StartExecution"))
                .containsExactly(new Need("states:StartExecution", STATE_MACHINE));
        // A task's answer is authorized on the state machine whose execution issued the token.
        assertThat(needs(
                        SendTaskSuccessRequest.builder()
                                .taskToken("t")
                                .output("{}")
                                .build(),
                        "SendTaskSuccess"))
                .containsExactly(new Need("states:SendTaskSuccess", STATE_MACHINE));
        assertThat(needs(
                        GetSecretValueRequest.builder()
                                .secretId("arn:aws:secretsmanager:us-east-1:000000000000:secret:gpu-AbCdEf")
                                .build(),
                        "GetSecretValue"))
                .containsExactly(new Need(
                        "secretsmanager:GetSecretValue",
                        "arn:aws:secretsmanager:us-east-1:000000000000:secret:gpu-AbCdEf"));
    }

    @Test
    void anOperationNotModelled_isRefusedLoudly_notLetThrough() {
        assertThatThrownBy(() -> needs(
                        software.amazon.awssdk.services.s3.model.PutBucketPolicyRequest.builder()
                                .bucket("b")
                                .build(),
                        "PutBucketPolicy"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PutBucketPolicy");
    }

    // ---- policies -----------------------------------------------------------------------------

    @Test
    void aPatternsStar_matchesAnyKeyUnderItsPrefix_andNothingElse() {
        assertThat(LocalIam.matches("arn:aws:s3:::b/batches/*", "arn:aws:s3:::b/batches/x/chunks/00000.jsonl"))
                .isTrue();
        assertThat(LocalIam.matches("arn:aws:s3:::b/batches/*", "arn:aws:s3:::b/files/x"))
                .isFalse();
        assertThat(LocalIam.matches("arn:aws:s3:::b/batches/*", "arn:aws:s3:::b"))
                .isFalse();
        assertThat(LocalIam.matches("arn:aws:s3:::b", "arn:aws:s3:::b/batches/x"))
                .isFalse();
        assertThat(LocalIam.matches("arn:aws:s3:::b/?", "arn:aws:s3:::b/x")).isTrue();
    }

    @Test
    void eachRole_isAllowedItsDeclaredActions_onTheLocalResources_only() {
        assertThat(policy(Permissions.Role.VALIDATE)
                        .allows("s3:DeleteObject", "arn:aws:s3:::openbatch-data/batches/b/chunks/00000.jsonl"))
                .isTrue();
        assertThat(policy(Permissions.Role.VALIDATE).allows("s3:DeleteObject", "arn:aws:s3:::openbatch-data/files/f"))
                .isFalse();
        assertThat(policy(Permissions.Role.WORKER).allows("states:SendTaskSuccess", STATE_MACHINE))
                .isTrue();
        assertThat(policy(Permissions.Role.API).allows("states:SendTaskSuccess", STATE_MACHINE))
                .isFalse();
        assertThat(policy(Permissions.Role.STATE_MACHINE)
                        .allows(
                                "lambda:InvokeFunction",
                                "arn:aws:lambda:us-east-1:000000000000:function:openbatch-validate"))
                .isTrue();
        assertThat(policy(Permissions.Role.STATE_MACHINE)
                        .allows(
                                "lambda:InvokeFunction",
                                "arn:aws:lambda:us-east-1:000000000000:function:openbatch-worker"))
                .isFalse();
    }

    /** Every local bucket belongs to the local account: one configured with another owner is not readable. */
    @Test
    void anImageBucketWithAnOwner_isReadOnlyWhileThatAccountOwnsIt() {
        LocalIam.Policy worker = policy(Permissions.Role.WORKER);
        assertThat(worker.allows("s3:GetObject", "arn:aws:s3:::openbatch-images/cats/cat.png"))
                .isTrue();
        assertThat(worker.allows("s3:GetObject", "arn:aws:s3:::own-images/cat.png"))
                .isTrue();
        assertThat(worker.allows("s3:GetObject", "arn:aws:s3:::eu-images/cat.png"))
                .isFalse();
        assertThat(worker.allows("s3:ListBucket", "arn:aws:s3:::own-images")).isTrue();
    }

    // ---- refusals, as each service's client throws them ---------------------------------------

    private static final String VALIDATOR =
            "arn:aws:sts::000000000000:assumed-role/openbatch-validate-role/openbatch-validate";

    private static <B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, ?>> B local(
            B builder, IamInterceptor iam) {
        return builder.region(Region.US_EAST_1)
                .endpointOverride(NOWHERE)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .overrideConfiguration(o -> o.addExecutionInterceptor(iam));
    }

    @Test
    void s3_refusesWith403AccessDenied_theResourceQuoted() {
        try (S3Client s3 = local(S3Client.builder(), interceptor(Permissions.Role.VALIDATE, "openbatch-validate"))
                .forcePathStyle(true)
                .build()) {
            assertThatThrownBy(() -> s3.putObject(
                            b -> b.bucket("openbatch-data").key("files/file-1"), RequestBody.fromString("x")))
                    .isInstanceOfSatisfying(
                            S3Exception.class,
                            e -> assertRefusal(
                                    e,
                                    403,
                                    "AccessDenied",
                                    VALIDATOR
                                            + " is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::openbatch-data/files/file-1\""
                                            + " because no identity-based policy allows the s3:PutObject action",
                                    "S3"));
        }
    }

    @Test
    void dynamoDb_refusesWith400AccessDeniedException() {
        try (DynamoDbClient dynamo = local(
                        DynamoDbClient.builder(), interceptor(Permissions.Role.VALIDATE, "openbatch-validate"))
                .build()) {
            assertThatThrownBy(() -> dynamo.putItem(
                            b -> b.tableName("openbatch-batches").item(Map.of("id", AttributeValue.fromS("x")))))
                    .isInstanceOfSatisfying(
                            DynamoDbException.class,
                            e -> assertRefusal(
                                    e,
                                    400,
                                    "AccessDeniedException",
                                    VALIDATOR + " is not authorized to perform: dynamodb:PutItem on resource:"
                                            + " arn:aws:dynamodb:us-east-1:000000000000:table/openbatch-batches"
                                            + " because no identity-based policy allows the dynamodb:PutItem action",
                                    "DynamoDb"));
        }
    }

    @Test
    void stepFunctions_refusesWith400AccessDeniedException_onTheStateMachine() {
        try (SfnClient sfn = local(SfnClient.builder(), interceptor(Permissions.Role.VALIDATE, "openbatch-validate"))
                .build()) {
            assertThatThrownBy(
                            () -> sfn.sendTaskSuccess(b -> b.taskToken("token").output("{}")))
                    .isInstanceOfSatisfying(
                            SfnException.class,
                            e -> assertRefusal(
                                    e,
                                    400,
                                    "AccessDeniedException",
                                    VALIDATOR + " is not authorized to perform: states:SendTaskSuccess on resource: "
                                            + STATE_MACHINE
                                            + " because no identity-based policy allows the states:SendTaskSuccess action",
                                    "Sfn"));
        }
    }

    @Test
    void secretsManager_refusesWith400AccessDeniedException() {
        String secret = "arn:aws:secretsmanager:us-east-1:000000000000:secret:gpu-AbCdEf";
        try (SecretsManagerClient secrets = local(
                        SecretsManagerClient.builder(), interceptor(Permissions.Role.VALIDATE, "openbatch-validate"))
                .build()) {
            assertThatThrownBy(() -> secrets.getSecretValue(b -> b.secretId(secret)))
                    .isInstanceOfSatisfying(
                            SecretsManagerException.class,
                            e -> assertRefusal(
                                    e,
                                    400,
                                    "AccessDeniedException",
                                    VALIDATOR
                                            + " is not authorized to perform: secretsmanager:GetSecretValue on resource: "
                                            + secret
                                            + " because no identity-based policy allows the secretsmanager:GetSecretValue action",
                                    "SecretsManager"));
        }
    }

    @Test
    void sqs_refusesWith403AccessDenied_theActionInLowerCase() {
        try (SqsClient sqs = local(SqsClient.builder(), interceptor(Permissions.Role.VALIDATE, "openbatch-validate"))
                .build()) {
            assertThatThrownBy(() -> sqs.sendMessage(b -> b.queueUrl("http://127.0.0.1:9/000000000000/openbatch-chunks")
                            .messageBody("{}")))
                    .isInstanceOfSatisfying(
                            SqsException.class,
                            e -> assertRefusal(
                                    e,
                                    403,
                                    "AccessDenied",
                                    VALIDATOR + " is not authorized to perform: sqs:sendmessage on resource:"
                                            + " arn:aws:sqs:us-east-1:000000000000:openbatch-chunks"
                                            + " because no identity-based policy allows the sqs:sendmessage action",
                                    "Sqs"));
        }
    }

    @Test
    void putEvents_needsEventsPutEvents_onTheDefaultBus_whichTheFinalizerHas_andTheWorkerIsRefused() {
        String bus = "arn:aws:events:us-east-1:000000000000:event-bus/default";
        assertThat(needs(
                        PutEventsRequest.builder()
                                .entries(PutEventsRequestEntry.builder()
                                        .eventBusName("default")
                                        .source("openbatch")
                                        .build())
                                .build(),
                        "PutEvents"))
                .containsExactly(new Need("events:PutEvents", bus));
        assertThat(policy(Permissions.Role.FINALIZE).allows("events:PutEvents", bus))
                .isTrue();
        assertThat(policy(Permissions.Role.WORKER).allows("events:PutEvents", bus))
                .isFalse();
        try (EventBridgeClient events = local(
                        EventBridgeClient.builder(), interceptor(Permissions.Role.WORKER, "openbatch-worker"))
                .build()) {
            PutEventsRequestEntry entry = PutEventsRequestEntry.builder()
                    .eventBusName("default")
                    .source("openbatch")
                    .detailType("Batch Status Changed")
                    .detail("{}")
                    .build();
            assertThatThrownBy(() -> events.putEvents(b -> b.entries(entry)))
                    .isInstanceOfSatisfying(
                            EventBridgeException.class,
                            e -> assertRefusal(
                                    e,
                                    400,
                                    "AccessDeniedException",
                                    "arn:aws:sts::000000000000:assumed-role/openbatch-worker-role/openbatch-worker"
                                            + " is not authorized to perform: events:PutEvents on resource: " + bus
                                            + " because no identity-based policy allows the events:PutEvents action",
                                    "EventBridge"));
        }
    }

    private static void assertRefusal(AwsServiceException e, int status, String code, String message, String service) {
        assertThat(e.statusCode()).isEqualTo(status);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code);
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("User: " + message);
        assertThat(e.isThrottlingException()).isFalse();
        assertThat(e.getMessage())
                .startsWith(
                        "User: " + message + " (Service: " + service + ", Status Code: " + status + ", Request ID: ");
    }
}
