package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.Settings;
import dev.openbatch.aws.Tables;
import dev.openbatch.deployment.Permissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A function whose role lacks a grant fails locally as it fails in the account: its clients are
 * built as the local runtime builds them ({@link LocalPermissions}), from the deployed declaration
 * with one statement removed, and call the real emulators through the real SDK.
 */
class LocalIamIntegrationTest {

    private static final String BUCKET = "iam-it-data";
    private static final String BATCHES_TABLE = "iam-it-batches";
    private static final String VALIDATOR =
            "arn:aws:sts::000000000000:assumed-role/openbatch-validate-role/openbatch-validate";

    private static Settings settings;

    @BeforeAll
    static void provision() {
        Settings emulators = Emulators.settings();
        settings = Settings.builder()
                .region("us-east-1")
                .bucket(BUCKET)
                .filesTable("iam-it-files")
                .batchesTable(BATCHES_TABLE)
                .jobsJson("{}")
                .endpoints(Map.of(Settings.S3, Emulators.s3Endpoint(), Settings.DYNAMODB, Emulators.dynamoEndpoint()))
                .staticCredentials(emulators.staticCredentials())
                .build();
        // Provisioning is CloudFormation's, not a function's: unchecked.
        try (S3Client s3 = Emulators.clients().s3();
                DynamoDbClient dynamo = Emulators.clients().dynamoDb()) {
            s3.createBucket(b -> b.bucket(BUCKET));
            dynamo.createTable(Tables.ownedRecords(BATCHES_TABLE));
        }
    }

    /** The validator's clients, under the deployed permissions less one action on one resource (none when null). */
    private static AwsClients validator(String action, Permissions.Resource resource) {
        Permissions permissions = action == null
                ? Permissions.deployed()
                : Permissions.deployed().without(Permissions.Role.VALIDATE, action, resource);
        return new AwsClients(
                settings, List.of(LocalPermissions.interceptor(permissions, settings, LocalRuntime.VALIDATE_FUNCTION)));
    }

    private static final Permissions.Resource BATCH_OBJECTS =
            Permissions.objects(Permissions.Bucket.DATA, Permissions.BATCHES);

    private static void put(String... keys) {
        try (S3Client s3 = Emulators.clients().s3()) {
            for (String key : keys) {
                s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString("line\n"));
            }
        }
    }

    private static Set<String> keys(String prefix) {
        try (S3Client s3 = Emulators.clients().s3()) {
            return s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream()
                    .map(o -> o.key())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static DeleteObjectsResponse deleteAll(S3Client s3, String... keys) {
        List<ObjectIdentifier> objects = java.util.Arrays.stream(keys)
                .map(k -> ObjectIdentifier.builder().key(k).build())
                .toList();
        return s3.deleteObjects(
                b -> b.bucket(BUCKET).delete(d -> d.objects(objects).quiet(true)));
    }

    @Test
    void deleteObjects_withoutDeleteObject_succeeds_butEachKeyComesBackAsAccessDenied_andStays() {
        put("batches/b1/chunks/00000.jsonl", "batches/b1/chunks/00001.jsonl");

        try (S3Client s3 = validator("s3:DeleteObject", BATCH_OBJECTS).s3()) {
            DeleteObjectsResponse response =
                    deleteAll(s3, "batches/b1/chunks/00000.jsonl", "batches/b1/chunks/00001.jsonl");

            assertThat(response.sdkHttpResponse().statusCode()).isEqualTo(200);
            assertThat(response.errors())
                    .extracting(S3Error::key, S3Error::code)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple("batches/b1/chunks/00000.jsonl", "AccessDenied"),
                            org.assertj.core.groups.Tuple.tuple("batches/b1/chunks/00001.jsonl", "AccessDenied"));
        }
        assertThat(keys("batches/b1/"))
                .containsExactly("batches/b1/chunks/00000.jsonl", "batches/b1/chunks/00001.jsonl");
    }

    @Test
    void deleteObjects_withTheDeployedGrants_removesTheValidatorsChunks_butNotAFileItMayNotDelete() {
        put("batches/b2/chunks/00000.jsonl", "files/file-b2");

        try (S3Client s3 = validator(null, null).s3()) {
            DeleteObjectsResponse response = deleteAll(s3, "batches/b2/chunks/00000.jsonl", "files/file-b2");

            assertThat(response.errors())
                    .extracting(S3Error::key, S3Error::code)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("files/file-b2", "AccessDenied"));
        }
        assertThat(keys("batches/b2/")).isEmpty();
        assertThat(keys("files/file-b2")).containsExactly("files/file-b2");
    }

    @Test
    void putObject_withoutPutObject_isS3Exception403AccessDenied_andWritesNothing() {
        try (S3Client s3 = validator("s3:PutObject", BATCH_OBJECTS).s3()) {
            assertThatThrownBy(() -> s3.putObject(
                            b -> b.bucket(BUCKET).key("batches/b3/chunks/00000.jsonl"), RequestBody.fromString("x")))
                    .isInstanceOfSatisfying(S3Exception.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(403);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
                        assertThat(e.awsErrorDetails().errorMessage())
                                .isEqualTo(
                                        "User: " + VALIDATOR
                                                + " is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::"
                                                + BUCKET
                                                + "/batches/b3/chunks/00000.jsonl\" because no identity-based policy allows the s3:PutObject action");
                    });
        }
        assertThat(keys("batches/b3/")).isEmpty();
    }

    @Test
    void updateItem_withoutUpdateItem_isDynamoDbExceptionAccessDeniedException() {
        try (DynamoDbClient dynamo = validator("dynamodb:UpdateItem", Permissions.items(Permissions.Table.BATCHES))
                .dynamoDb()) {
            assertThatThrownBy(() -> dynamo.updateItem(b -> b.tableName(BATCHES_TABLE)
                            .key(Map.of("id", AttributeValue.fromS("batch_1")))
                            .updateExpression("SET #s = :s")
                            .expressionAttributeNames(Map.of("#s", "status"))
                            .expressionAttributeValues(Map.of(":s", AttributeValue.fromS("failed")))))
                    .isInstanceOfSatisfying(DynamoDbException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(400);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
                        assertThat(e.awsErrorDetails().errorMessage())
                                .isEqualTo("User: " + VALIDATOR
                                        + " is not authorized to perform: dynamodb:UpdateItem on resource:"
                                        + " arn:aws:dynamodb:us-east-1:000000000000:table/" + BATCHES_TABLE
                                        + " because no identity-based policy allows the dynamodb:UpdateItem action");
                    });
            // The action it keeps still works.
            assertThat(dynamo.getItem(
                                    b -> b.tableName(BATCHES_TABLE).key(Map.of("id", AttributeValue.fromS("batch_1"))))
                            .hasItem())
                    .isFalse();
        }
    }

    @Test
    void aMissingObject_isA404_withListBucket_andA403_without() {
        try (S3Client s3 = validator(null, null).s3()) {
            assertThatThrownBy(() -> s3.getObject(b -> b.bucket(BUCKET).key("files/missing")))
                    .isInstanceOf(NoSuchKeyException.class);
        }
        try (S3Client s3 = validator("s3:ListBucket", Permissions.bucket(Permissions.Bucket.DATA))
                .s3()) {
            assertThatThrownBy(() -> s3.getObject(b -> b.bucket(BUCKET).key("files/missing")))
                    .isInstanceOfSatisfying(S3Exception.class, e -> {
                        assertThat(e).isNotInstanceOf(NoSuchKeyException.class);
                        assertThat(e.statusCode()).isEqualTo(403);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
                        assertThat(e.awsErrorDetails().errorMessage())
                                .isEqualTo("User: " + VALIDATOR
                                        + " is not authorized to perform: s3:ListBucket on resource: \"arn:aws:s3:::"
                                        + BUCKET
                                        + "\" because no identity-based policy allows the s3:ListBucket action");
                    });
            assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("files/missing")))
                    .isInstanceOfSatisfying(
                            S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
            // An object that is there reads as ever.
            put("files/present");
            assertThat(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("files/present"))
                            .asUtf8String())
                    .isEqualTo("line\n");
        }
    }
}
