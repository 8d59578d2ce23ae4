package dev.openbatch.cdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The data and ingest buckets and the three tables: private, encrypted, recoverable. */
class StorageTemplateTest {

    private static final Map<String, Object> PUBLIC_ACCESS_BLOCKED = Map.of(
            "BlockPublicAcls",
            true,
            "BlockPublicPolicy",
            true,
            "IgnorePublicAcls",
            true,
            "RestrictPublicBuckets",
            true);

    @Test
    void theDataBucket_isPrivate_s3Encrypted_andExpiresIntermediateObjectsAndAbandonedUploadParts() {
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::S3::Bucket",
                        Map.of(
                                "PublicAccessBlockConfiguration", PUBLIC_ACCESS_BLOCKED,
                                "BucketEncryption",
                                        Map.of(
                                                "ServerSideEncryptionConfiguration",
                                                List.of(Match.objectLike(Map.of(
                                                        "ServerSideEncryptionByDefault",
                                                        Map.of("SSEAlgorithm", "AES256"))))),
                                "LifecycleConfiguration",
                                        Map.of(
                                                "Rules",
                                                Match.arrayWith(List.of(
                                                        Map.of(
                                                                "Id",
                                                                "intermediate-objects",
                                                                "Prefix",
                                                                "batches/",
                                                                "ExpirationInDays",
                                                                35,
                                                                "Status",
                                                                "Enabled"),
                                                        Map.of(
                                                                "Id",
                                                                "abandoned-upload-parts",
                                                                "Prefix",
                                                                "uploads/",
                                                                "ExpirationInDays",
                                                                1,
                                                                "Status",
                                                                "Enabled"),
                                                        Match.objectLike(Map.of(
                                                                "AbortIncompleteMultipartUpload",
                                                                Map.of("DaysAfterInitiation", 7))))))));
    }

    @Test
    void bothBuckets_refuseEveryRequestNotOverTls12() {
        Template template = Synth.minimal().template();
        template.resourceCountIs("AWS::S3::BucketPolicy", 2);
        template.allResourcesProperties(
                "AWS::S3::BucketPolicy",
                Map.of(
                        "PolicyDocument",
                        Map.of(
                                "Statement",
                                List.of(
                                        Match.objectLike(Map.of(
                                                "Effect",
                                                "Deny",
                                                "Action",
                                                "s3:*",
                                                "Principal",
                                                Map.of("AWS", "*"),
                                                "Condition",
                                                Map.of("Bool", Map.of("aws:SecureTransport", "false")))),
                                        Match.objectLike(Map.of(
                                                "Effect",
                                                "Deny",
                                                "Action",
                                                "s3:*",
                                                "Principal",
                                                Map.of("AWS", "*"),
                                                "Condition",
                                                Map.of("NumericLessThan", Map.of("s3:TlsVersion", 1.2))))))));
        template.allResourcesProperties(
                "AWS::S3::Bucket", Map.of("PublicAccessBlockConfiguration", PUBLIC_ACCESS_BLOCKED));
    }

    @Test
    void theIngestBucket_sendsObjectEventsToEventBridge_withoutACustomResource() {
        Template template = Synth.minimal().template();
        template.hasResourceProperties(
                "AWS::S3::Bucket",
                Map.of(
                        "NotificationConfiguration",
                        Map.of("EventBridgeConfiguration", Map.of("EventBridgeEnabled", true))));
        assertThat(template.findResources("Custom::S3BucketNotifications")).isEmpty();
        assertThat(template.findResources("AWS::Lambda::Function")).hasSize(9);
    }

    @Test
    void withKms_bothBucketsUseTheStacksRotatedKey_withBucketKeys_andKeepTheConfiguredExpiry() {
        Template template = Synth.full().template();
        template.hasResourceProperties("AWS::KMS::Key", Map.of("EnableKeyRotation", true));
        Capture key = new Capture();
        template.allResourcesProperties(
                "AWS::S3::Bucket",
                Map.of(
                        "BucketEncryption",
                        Map.of(
                                "ServerSideEncryptionConfiguration",
                                List.of(Map.of(
                                        "BucketKeyEnabled",
                                        true,
                                        "ServerSideEncryptionByDefault",
                                        Map.of(
                                                "SSEAlgorithm",
                                                "aws:kms",
                                                "KMSMasterKeyID",
                                                Map.of("Fn::GetAtt", List.of(key, "Arn"))))))));
        assertThat(key.asString()).startsWith("DataKey");
        template.hasResourceProperties(
                "AWS::S3::Bucket",
                Map.of(
                        "LifecycleConfiguration",
                        Map.of(
                                "Rules",
                                Match.arrayWith(List.of(
                                        Match.objectLike(Map.of("Prefix", "batches/", "ExpirationInDays", 40)))))));
    }

    @Test
    void theFilesAndBatchesTables_haveTheLocalShape_onDemand_withPointInTimeRecovery() {
        Template template = Synth.minimal().template();
        Map<String, Object> ownedRecords = Map.of(
                "KeySchema", List.of(Map.of("AttributeName", "id", "KeyType", "HASH")),
                "AttributeDefinitions",
                        Match.arrayWith(List.of(
                                Map.of("AttributeName", "id", "AttributeType", "S"),
                                Map.of("AttributeName", "owner", "AttributeType", "S"))),
                "GlobalSecondaryIndexes",
                        Match.arrayWith(List.of(Map.of(
                                "IndexName", "by_owner",
                                "KeySchema",
                                        List.of(
                                                Map.of("AttributeName", "owner", "KeyType", "HASH"),
                                                Map.of("AttributeName", "id", "KeyType", "RANGE")),
                                "Projection", Map.of("ProjectionType", "ALL")))),
                "BillingMode", "PAY_PER_REQUEST",
                "PointInTimeRecoverySpecification", Map.of("PointInTimeRecoveryEnabled", true));
        // The files, batches and webhook endpoints tables.
        assertThat(template.findResources("AWS::DynamoDB::Table", Map.of("Properties", Match.objectLike(ownedRecords))))
                .hasSize(3);
    }

    /** As DynamoDbBatchRepository defines it for the local runtime: the sweeper's sparse index, beside by_owner. */
    @Test
    void theBatchesTable_alone_hasTheSweepIndex_onTheStatusAndTimeOfTheBatchesNotYetEnded() {
        Template template = Synth.minimal().template();
        Map<String, Map<String, Object>> withSweepIndex = template.findResources(
                "AWS::DynamoDB::Table",
                Map.of(
                        "Properties",
                        Match.objectLike(Map.of(
                                "AttributeDefinitions",
                                        Match.arrayWith(List.of(
                                                Map.of("AttributeName", "sweep_status", "AttributeType", "S"),
                                                Map.of("AttributeName", "sweep_since", "AttributeType", "N"))),
                                "GlobalSecondaryIndexes",
                                        Match.arrayWith(List.of(Map.of(
                                                "IndexName", "by_sweep",
                                                "KeySchema",
                                                        List.of(
                                                                Map.of(
                                                                        "AttributeName",
                                                                        "sweep_status",
                                                                        "KeyType",
                                                                        "HASH"),
                                                                Map.of(
                                                                        "AttributeName",
                                                                        "sweep_since",
                                                                        "KeyType",
                                                                        "RANGE")),
                                                "Projection", Map.of("ProjectionType", "ALL"))))))));
        assertThat(withSweepIndex)
                .hasSize(1)
                .allSatisfy((id, table) -> assertThat(id).startsWith("BatchesTable"));
    }

    /** As DynamoDbFileRepository defines it for the local runtime: where the sweeper finds the files that expired. */
    @Test
    void theFilesTable_alone_hasTheExpiryIndex_onTheExpiresAtOfTheFilesThatExpire_withTheirOwner() {
        Template template = Synth.minimal().template();
        Map<String, Map<String, Object>> withExpiryIndex = template.findResources(
                "AWS::DynamoDB::Table",
                Map.of(
                        "Properties",
                        Match.objectLike(Map.of(
                                "AttributeDefinitions",
                                        Match.arrayWith(List.of(
                                                Map.of("AttributeName", "expiring", "AttributeType", "S"),
                                                Map.of("AttributeName", "file_expires_at", "AttributeType", "N"))),
                                "GlobalSecondaryIndexes",
                                        Match.arrayWith(List.of(Map.of(
                                                "IndexName", "by_expiry",
                                                "KeySchema",
                                                        List.of(
                                                                Map.of("AttributeName", "expiring", "KeyType", "HASH"),
                                                                Map.of(
                                                                        "AttributeName",
                                                                        "file_expires_at",
                                                                        "KeyType",
                                                                        "RANGE")),
                                                "Projection",
                                                        Map.of(
                                                                "ProjectionType",
                                                                "INCLUDE",
                                                                "NonKeyAttributes",
                                                                List.of("owner")))))))));
        assertThat(withExpiryIndex)
                .hasSize(1)
                .allSatisfy((id, table) -> assertThat(id).startsWith("FilesTable"));
    }

    @Test
    void onlyTheFilesTable_expiresRecords_uploadsPastTheirExpiresAt() {
        Template template = Synth.minimal().template();
        Map<String, Map<String, Object>> withTtl = template.findResources(
                "AWS::DynamoDB::Table",
                Map.of(
                        "Properties",
                        Match.objectLike(Map.of(
                                "TimeToLiveSpecification", Map.of("AttributeName", "expires_at", "Enabled", true)))));
        assertThat(withTtl).hasSize(1).allSatisfy((id, table) -> assertThat(id).startsWith("FilesTable"));
    }

    @Test
    void theKeysTable_isKeyedByTheKeysHash_onDemand_withPointInTimeRecovery() {
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::DynamoDB::Table",
                        Map.of(
                                "KeySchema", List.of(Map.of("AttributeName", "key_hash", "KeyType", "HASH")),
                                "AttributeDefinitions",
                                        List.of(Map.of("AttributeName", "key_hash", "AttributeType", "S")),
                                "BillingMode", "PAY_PER_REQUEST",
                                "PointInTimeRecoverySpecification", Map.of("PointInTimeRecoveryEnabled", true)));
    }

    @Test
    void theCapacityTable_isKeyedByJob_onDemand_andOnlyTheWorkerKnowsIt() {
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::DynamoDB::Table",
                        Map.of(
                                "KeySchema", List.of(Map.of("AttributeName", "job_id", "KeyType", "HASH")),
                                "AttributeDefinitions",
                                        List.of(Map.of("AttributeName", "job_id", "AttributeType", "S")),
                                "BillingMode", "PAY_PER_REQUEST"));
        Map<String, Map<String, Object>> knowing = Synth.minimal()
                .template()
                .findResources(
                        "AWS::Lambda::Function",
                        Map.of(
                                "Properties",
                                Match.objectLike(Map.of(
                                        "Environment",
                                        Map.of(
                                                "Variables",
                                                Match.objectLike(Map.of(
                                                        "OPENBATCH_CAPACITY_TABLE",
                                                        Map.of("Ref", Match.stringLikeRegexp("^CapacityTable")))))))));
        assertThat(knowing)
                .hasSize(1)
                .allSatisfy((id, function) -> assertThat(id).startsWith("WorkerFunction"));
    }

    @Test
    void data_isKeptWhenTheStackGoes_unlessTheConfigurationSaysOtherwise() {
        for (String type : List.of("AWS::S3::Bucket", "AWS::DynamoDB::Table")) {
            assertThat(Synth.minimal().template().findResources(type))
                    .isNotEmpty()
                    .allSatisfy((id, resource) -> assertThat(resource)
                            .containsEntry("DeletionPolicy", "Retain")
                            .containsEntry("UpdateReplacePolicy", "Retain"));
            assertThat(Synth.full().template().findResources(type))
                    .isNotEmpty()
                    .allSatisfy((id, resource) -> assertThat(resource).containsEntry("DeletionPolicy", "Delete"));
        }
        Synth.minimal()
                .template()
                .allResourcesProperties("AWS::DynamoDB::Table", Map.of("DeletionProtectionEnabled", true));
        Synth.full()
                .template()
                .allResourcesProperties("AWS::DynamoDB::Table", Map.of("DeletionProtectionEnabled", false));
    }
}
