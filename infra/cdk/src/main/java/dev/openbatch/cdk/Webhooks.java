package dev.openbatch.cdk;

import dev.openbatch.deployment.CloudLimits;
import dev.openbatch.deployment.FunctionTimeouts;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.dynamodb.Table;
import software.amazon.awscdk.services.dynamodb.TableEncryption;
import software.amazon.awscdk.services.lambda.eventsources.SqsEventSource;
import software.amazon.awscdk.services.lambda.eventsources.SqsEventSourceProps;
import software.amazon.awscdk.services.sqs.DeadLetterQueue;
import software.amazon.awscdk.services.sqs.Queue;
import software.constructs.Construct;

/**
 * OpenAI's webhooks: the tenants' endpoints, the queue a batch's end waits on, and the sender that
 * delivers it. The endpoints table holds signing secrets: it is encrypted with KMS (the AWS managed
 * key {@code aws/dynamodb}, every use in CloudTrail) and only the API and the sender may read it. The
 * queue keeps a message 14 days, beyond the 72 hours a delivery is retried; a retried delivery waits
 * hidden in it (up to an hour, SQS allows 12), so its receive limit is twice the tries of 72 hours.
 * The local runtime declares the same: {@code openbatch-webhooks}, its queue and dead-letter queue.
 */
final class Webhooks extends Construct {

    /** Deliveries per invocation, and invocations at once: as the local runtime's. */
    static final int BATCH_SIZE = 10;

    static final int MAX_CONCURRENCY = 2;

    private final Table endpoints;
    private final Queue queue;
    private final Queue deadLetters;
    private final OpenBatchFunction sender;

    Webhooks(
            Construct scope,
            String id,
            OpenBatchFunction.Shared shared,
            Map<String, String> common,
            RemovalPolicy removal) {
        super(scope, id);
        endpoints = OpenBatchStack.ownedRecords(this, "EndpointsTable", removal, null, TableEncryption.AWS_MANAGED);
        deadLetters = OpenBatchStack.queue(
                this, "DeadLetterQueue", Duration.seconds(6 * FunctionTimeouts.WEBHOOKS_SECONDS), null);
        queue = OpenBatchStack.queue(
                this,
                "Queue",
                Duration.seconds(CloudLimits.VISIBILITY_PER_WORKER_TIMEOUT * FunctionTimeouts.WEBHOOKS_SECONDS),
                DeadLetterQueue.builder()
                        .queue(deadLetters)
                        .maxReceiveCount(CloudLimits.WEBHOOK_MAX_RECEIVES)
                        .build());
        sender = new OpenBatchFunction(
                this,
                "SenderFunction",
                shared,
                new OpenBatchFunction.Spec(
                        "WebhookSenderHandler",
                        "openbatch: deliver a batch's end to the tenant's webhook endpoints",
                        512,
                        Duration.seconds(FunctionTimeouts.WEBHOOKS_SECONDS),
                        environment(common),
                        false),
                null);
        sender.alias()
                .addEventSource(new SqsEventSource(
                        queue,
                        SqsEventSourceProps.builder()
                                .batchSize(BATCH_SIZE)
                                .reportBatchItemFailures(true)
                                .maxConcurrency(MAX_CONCURRENCY)
                                .build()));
    }

    /** What a function that manages endpoints or queues events is told: the table and the queue. */
    Map<String, String> environment(Map<String, String> base) {
        Map<String, String> environment = new HashMap<>(base);
        environment.put("OPENBATCH_WEBHOOKS_TABLE", endpoints.getTableName());
        environment.put("OPENBATCH_WEBHOOK_QUEUE_URL", queue.getQueueUrl());
        return environment;
    }

    Table endpoints() {
        return endpoints;
    }

    Queue queue() {
        return queue;
    }

    Queue deadLetters() {
        return deadLetters;
    }

    OpenBatchFunction sender() {
        return sender;
    }
}
