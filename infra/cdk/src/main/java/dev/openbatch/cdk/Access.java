package dev.openbatch.cdk;

import java.util.ArrayList;
import java.util.List;
import software.amazon.awscdk.Aws;
import software.amazon.awscdk.services.dynamodb.ITable;
import software.amazon.awscdk.services.iam.Grant;
import software.amazon.awscdk.services.iam.GrantOnPrincipalOptions;
import software.amazon.awscdk.services.iam.IGrantable;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.stepfunctions.StateMachine;

/**
 * Grants of exactly the named actions on exactly the named resources. The S3 grant methods of the
 * CDK give wildcard actions ({@code s3:GetObject*}, {@code s3:List*}) on whole buckets; these name
 * each action, and the key prefix a function works under.
 */
final class Access {

    private Access() {}

    /**
     * Object actions under a key pattern of a bucket, with the bucket's KMS key actions they need
     * when it has one: {@code kms:Decrypt} to read, {@code kms:GenerateDataKey} to write.
     */
    static void objects(IGrantable grantee, IBucket bucket, String keyPattern, String... actions) {
        List<String> named = List.of(actions);
        Grant.addToPrincipal(GrantOnPrincipalOptions.builder()
                .grantee(grantee)
                .actions(named)
                .resourceArns(List.of(bucket.arnForObjects(keyPattern)))
                .build());
        if (bucket.getEncryptionKey() != null) {
            List<String> keyActions = new ArrayList<>();
            if (named.contains("s3:GetObject")) {
                keyActions.add("kms:Decrypt");
            }
            if (named.contains("s3:PutObject")) {
                keyActions.add("kms:GenerateDataKey");
            }
            if (!keyActions.isEmpty()) {
                bucket.getEncryptionKey().grant(grantee, keyActions.toArray(String[]::new));
            }
        }
    }

    /**
     * {@code s3:ListBucket} on the bucket: without it S3 answers a read of a missing object with 403
     * instead of 404, and the functions tell "not there yet" from "not allowed" by that answer.
     */
    static void listing(IGrantable grantee, IBucket bucket) {
        Grant.addToPrincipal(GrantOnPrincipalOptions.builder()
                .grantee(grantee)
                .actions(List.of("s3:ListBucket"))
                .resourceArns(List.of(bucket.getBucketArn()))
                .build());
    }

    /** Item actions on a table (not on its indexes, where they mean nothing). */
    static void items(IGrantable grantee, ITable table, String... actions) {
        Grant.addToPrincipal(GrantOnPrincipalOptions.builder()
                .grantee(grantee)
                .actions(List.of(actions))
                .resourceArns(List.of(table.getTableArn()))
                .build());
    }

    /** {@code dynamodb:Query} on one index of a table: how the tenant's records are listed. */
    static void query(IGrantable grantee, ITable table, String index) {
        Grant.addToPrincipal(GrantOnPrincipalOptions.builder()
                .grantee(grantee)
                .actions(List.of("dynamodb:Query"))
                .resourceArns(List.of(table.getTableArn() + "/index/" + index))
                .build());
    }

    /**
     * Execution actions ({@code states:DescribeExecution}, {@code states:StopExecution}) on the
     * executions of one state machine, and no other's: {@code ...:execution:<its name>:*}.
     */
    static void executions(IGrantable grantee, StateMachine stateMachine, String... actions) {
        Grant.addToPrincipal(GrantOnPrincipalOptions.builder()
                .grantee(grantee)
                .actions(List.of(actions))
                .resourceArns(List.of("arn:" + Aws.PARTITION + ":states:" + Aws.REGION + ":" + Aws.ACCOUNT_ID
                        + ":execution:" + stateMachine.getStateMachineName() + ":*"))
                .build());
    }
}
