package dev.openbatch.cdk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.deployment.CloudLimits;
import dev.openbatch.deployment.FunctionTimeouts;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/**
 * The webhook sender, its queue and the endpoints table, and the event bus grant: what the stack
 * declares for OpenAI's webhooks and for EventBridge.
 */
class WebhooksTemplateTest {

    private static final String BUS =
            "events:PutEvents on arn:AWS::Partition:events:AWS::Region:AWS::AccountId:event-bus/default";

    private static Set<String> allowed(String handler) {
        Iam iam = new Iam(Synth.minimal().template().toJSON());
        return iam.allowedTo(iam.roleOfFunction(handler));
    }

    @Test
    void theSender_consumesTheWebhookQueue_reportingItemFailures_withItsTimeoutAndTheTableAndQueueItNeeds() {
        Template template = Synth.minimal().template();
        template.hasResourceProperties(
                "AWS::Lambda::Function",
                Match.objectLike(Map.of(
                        "Handler",
                        "dev.openbatch.aws.WebhookSenderHandler::handleRequest",
                        "Timeout",
                        FunctionTimeouts.WEBHOOKS_SECONDS,
                        "Environment",
                        Map.of(
                                "Variables",
                                Match.objectLike(Map.of(
                                        "OPENBATCH_WEBHOOKS_TABLE",
                                        Map.of("Ref", Match.stringLikeRegexp("^WebhooksEndpointsTable")),
                                        "OPENBATCH_WEBHOOK_QUEUE_URL",
                                        Map.of("Ref", Match.stringLikeRegexp("^WebhooksQueue"))))))));
        template.hasResourceProperties(
                "AWS::Lambda::EventSourceMapping",
                Match.objectLike(Map.of(
                        "EventSourceArn",
                        Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp("^WebhooksQueue[0-9A-F]{8}$"), "Arn")),
                        "FunctionResponseTypes",
                        List.of("ReportBatchItemFailures"),
                        "BatchSize",
                        Webhooks.BATCH_SIZE,
                        "ScalingConfig",
                        Map.of("MaximumConcurrency", Webhooks.MAX_CONCURRENCY))));
    }

    @Test
    void theWebhookQueue_outlastsThe72HoursOfRetries_andGoesToItsDeadLetterQueueOnlyPastTwiceTheirTries() {
        assertThat(CloudLimits.RETENTION_SECONDS).isGreaterThan(72 * 3600);
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::SQS::Queue",
                        Match.objectLike(Map.of(
                                "MessageRetentionPeriod",
                                CloudLimits.RETENTION_SECONDS,
                                "VisibilityTimeout",
                                CloudLimits.VISIBILITY_PER_WORKER_TIMEOUT * FunctionTimeouts.WEBHOOKS_SECONDS,
                                "SqsManagedSseEnabled",
                                true,
                                "RedrivePolicy",
                                Map.of(
                                        "deadLetterTargetArn",
                                        Map.of(
                                                "Fn::GetAtt",
                                                List.of(Match.stringLikeRegexp("^WebhooksDeadLetterQueue"), "Arn")),
                                        "maxReceiveCount",
                                        CloudLimits.WEBHOOK_MAX_RECEIVES))));
        assertThat(CloudLimits.WEBHOOK_MAX_RECEIVES)
                .isGreaterThan(CloudLimits.webhookTries(dev.openbatch.core.webhooks.RetrySchedule.DEFAULT));
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::CloudWatch::Alarm",
                        Match.objectLike(Map.of(
                                "AlarmDescription", Match.stringLikeRegexp("^openbatch: webhook deliveries reached"))));
    }

    @Test
    void theEndpointsTable_holdingSigningSecrets_isKmsEncrypted_ownedRecords_andReadOnlyByTheApiAndTheSender() {
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::DynamoDB::Table",
                        Match.objectLike(Map.of(
                                "SSESpecification",
                                Map.of("SSEEnabled", true),
                                "GlobalSecondaryIndexes",
                                List.of(Match.objectLike(Map.of("IndexName", "by_owner"))),
                                "PointInTimeRecoverySpecification",
                                Map.of("PointInTimeRecoveryEnabled", true))));
        assertThat(allowed("WebhookSenderHandler"))
                .contains(
                        "dynamodb:GetItem on WebhooksEndpointsTable.Arn",
                        "dynamodb:Query on WebhooksEndpointsTable.Arn/index/by_owner",
                        "sqs:SendMessage on WebhooksQueue.Arn",
                        "sqs:ChangeMessageVisibility on WebhooksQueue.Arn")
                .noneMatch(line -> line.contains("BatchesTable") || line.contains("DataBucket"));
        assertThat(allowed("ApiHandler"))
                .contains(
                        "dynamodb:GetItem on WebhooksEndpointsTable.Arn",
                        "dynamodb:PutItem on WebhooksEndpointsTable.Arn",
                        "dynamodb:DeleteItem on WebhooksEndpointsTable.Arn");
        for (String handler : List.of("FinalizeHandler", "SweeperHandler")) {
            assertThat(allowed(handler))
                    .as(handler)
                    .contains("sqs:SendMessage on WebhooksQueue.Arn")
                    .noneMatch(line -> line.contains("WebhooksEndpointsTable"));
        }
        for (String handler : List.of("WorkerHandler", "ValidateHandler", "IngestHandler", "AuthorizerHandler")) {
            assertThat(allowed(handler)).as(handler).noneMatch(line -> line.contains("Webhooks"));
        }
    }

    @Test
    void exactlyTheFunctionsThatChangeABatchsStatus_mayPutEventsOnTheDefaultBus_andNothingElseThere() {
        for (String handler :
                List.of("ApiHandler", "ValidateHandler", "FinalizeHandler", "IngestHandler", "SweeperHandler")) {
            assertThat(allowed(handler)).as(handler).contains(BUS);
            assertThat(allowed(handler))
                    .as(handler)
                    .filteredOn(line -> line.startsWith("events:"))
                    .containsExactly(BUS);
        }
        for (String handler :
                List.of("WorkerHandler", "DeadLetterHandler", "AuthorizerHandler", "WebhookSenderHandler")) {
            assertThat(allowed(handler)).as(handler).noneMatch(line -> line.startsWith("events:"));
        }
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::Lambda::Function",
                        Match.objectLike(Map.of(
                                "Handler",
                                "dev.openbatch.aws.FinalizeHandler::handleRequest",
                                "Environment",
                                Map.of("Variables", Match.objectLike(Map.of("OPENBATCH_EVENT_BUS", "default"))))));
    }
}
