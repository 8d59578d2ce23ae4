package dev.openbatch.cdk;

import dev.openbatch.deployment.Permissions;
import dev.openbatch.deployment.Permissions.Resource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Aws;
import software.amazon.awscdk.services.dynamodb.ITable;
import software.amazon.awscdk.services.iam.Grant;
import software.amazon.awscdk.services.iam.GrantOnPrincipalOptions;
import software.amazon.awscdk.services.iam.IGrantable;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.lambda.IFunction;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.sqs.IQueue;
import software.amazon.awscdk.services.stepfunctions.StateMachine;

/**
 * The stack's grants, from {@link Permissions}: each statement's actions on exactly the resource
 * it names. The S3 grant methods of the CDK give wildcard actions ({@code s3:GetObject*},
 * {@code s3:List*}) on whole buckets; these name each action, and the key prefix a function works
 * under.
 *
 * @param buckets      the data and ingest buckets
 * @param tables       the files, batches and keys tables
 * @param queues       the queues statements name
 * @param stateMachine the batch state machine
 * @param functions    the functions the state machine invokes, by their role
 * @param secretArns   the jobs' secrets
 * @param imageBuckets the image buckets as configured, {@code bucket} or {@code bucket:account}
 */
record Access(
        Map<Permissions.Bucket, IBucket> buckets,
        Map<Permissions.Table, ITable> tables,
        Map<Permissions.Queue, IQueue> queues,
        StateMachine stateMachine,
        Map<Permissions.Role, IFunction> functions,
        Collection<String> secretArns,
        List<String> imageBuckets) {

    /** Grants a role what the declaration allows it. */
    void grant(IGrantable grantee, List<Permissions.Statement> statements) {
        for (Permissions.Statement statement : statements) {
            grant(grantee, statement);
        }
    }

    private void grant(IGrantable grantee, Permissions.Statement statement) {
        List<String> actions = statement.actions();
        switch (statement.resource()) {
            case Resource.Objects objects -> {
                IBucket bucket = buckets.get(objects.bucket());
                allow(grantee, actions, bucket.arnForObjects(objects.keys()));
                keyActions(grantee, bucket, actions);
            }
            case Resource.WholeBucket whole ->
                allow(grantee, actions, buckets.get(whole.bucket()).getBucketArn());
            case Resource.Items items ->
                allow(grantee, actions, tables.get(items.table()).getTableArn());
            case Resource.Index index ->
                allow(grantee, actions, tables.get(index.table()).getTableArn() + "/index/" + index.index());
            case Resource.MessageQueue queue ->
                allow(grantee, actions, queues.get(queue.queue()).getQueueArn());
            case Resource.StateMachine ignored -> allow(grantee, actions, stateMachine.getStateMachineArn());
            case Resource.Executions ignored ->
                allow(
                        grantee,
                        actions,
                        "arn:" + Aws.PARTITION + ":states:" + Aws.REGION + ":" + Aws.ACCOUNT_ID + ":execution:"
                                + stateMachine.getStateMachineName() + ":*");
            case Resource.Function function ->
                allow(grantee, actions, functions.get(function.function()).getFunctionArn());
            case Resource.JobSecrets ignored -> secretArns.forEach(arn -> allow(grantee, actions, arn));
            case Resource.ImageObjects ignored -> imageBuckets.forEach(b -> imageRead(grantee, actions, b, "/*"));
            case Resource.ImageBuckets ignored -> imageBuckets.forEach(b -> imageRead(grantee, actions, b, ""));
            case Resource.DefaultEventBus ignored ->
                allow(
                        grantee,
                        actions,
                        "arn:" + Aws.PARTITION + ":events:" + Aws.REGION + ":" + Aws.ACCOUNT_ID + ":event-bus/default");
        }
    }

    private static void allow(IGrantable grantee, List<String> actions, String arn) {
        Grant.addToPrincipal(GrantOnPrincipalOptions.builder()
                .grantee(grantee)
                .actions(actions)
                .resourceArns(List.of(arn))
                .build());
    }

    /**
     * The bucket's KMS key actions that object actions need when it has one: {@code kms:Decrypt} to
     * read, {@code kms:GenerateDataKey} to write.
     */
    private static void keyActions(IGrantable grantee, IBucket bucket, List<String> actions) {
        if (bucket.getEncryptionKey() == null) {
            return;
        }
        List<String> keyActions = new ArrayList<>();
        if (actions.contains("s3:GetObject")) {
            keyActions.add("kms:Decrypt");
        }
        if (actions.contains("s3:PutObject")) {
            keyActions.add("kms:GenerateDataKey");
        }
        if (!keyActions.isEmpty()) {
            bucket.getEncryptionKey().grant(grantee, keyActions.toArray(String[]::new));
        }
    }

    /**
     * An image bucket, in any region, named with its owner ({@code bucket:account}) is read only
     * while that account owns it, in IAM as in the worker's requests.
     */
    private static void imageRead(IGrantable grantee, List<String> actions, String configured, String suffix) {
        Permissions.ImageBucket bucket = Permissions.ImageBucket.parse(configured);
        Map<String, Object> owner =
                bucket.owner() == null ? null : Map.of("StringEquals", Map.of("s3:ResourceAccount", bucket.owner()));
        grantee.getGrantPrincipal()
                .addToPrincipalPolicy(PolicyStatement.Builder.create()
                        .actions(actions)
                        .resources(List.of("arn:" + Aws.PARTITION + ":s3:::" + bucket.name() + suffix))
                        .conditions(owner)
                        .build());
    }
}
