package dev.openbatch.cdk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.deployment.CloudLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/**
 * The batch state machine from statemachine/batch.asl.json, the chunk queue and its workers, S3-drop
 * ingestion, and the alarms that say when any of it goes wrong.
 */
class PipelineTemplateTest {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");

    @Test
    void theStateMachine_isStandard_fromTheOneDefinitionFile_loggedAndTracedAsConfigured() {
        Map<String, Object> common = Map.of(
                "StateMachineType", "STANDARD",
                // DefinitionBody.fromFile uploads the file as an asset; CloudFormation substitutes into it.
                "DefinitionS3Location", Map.of("Bucket", Match.anyValue(), "Key", Match.stringLikeRegexp("\\.json$")),
                "LoggingConfiguration",
                        Map.of(
                                "Level",
                                "ERROR",
                                "IncludeExecutionData",
                                true,
                                "Destinations",
                                List.of(Map.of(
                                        "CloudWatchLogsLogGroup",
                                        Map.of(
                                                "LogGroupArn",
                                                Map.of(
                                                        "Fn::GetAtt",
                                                        List.of(
                                                                Match.stringLikeRegexp("^StateMachineLogs"),
                                                                "Arn")))))));
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::StepFunctions::StateMachine",
                        Match.objectLike(Synth.with(common, "TracingConfiguration", Map.of("Enabled", false))));
        Synth.full()
                .template()
                .hasResourceProperties(
                        "AWS::StepFunctions::StateMachine",
                        Match.objectLike(Synth.with(common, "TracingConfiguration", Map.of("Enabled", true))));
        Synth.minimal().template().resourceCountIs("AWS::StepFunctions::StateMachine", 1);
    }

    @Test
    void everyPlaceholderOfTheDefinition_isSubstituted_byTheResourceItNames_andNoneIsLeft() throws IOException {
        String definition = Files.readString(OpenBatchStack.STATE_MACHINE);
        Template template = Synth.minimal().template();
        Capture substitutions = new Capture();
        template.hasResourceProperties(
                "AWS::StepFunctions::StateMachine", Map.of("DefinitionSubstitutions", substitutions));
        Map<String, Object> bySubstitution = substitutions.asObject();

        // An alias's Ref is its ARN, a queue's its URL.
        assertThat(bySubstitution).hasSize(3);
        assertThat(Iam.describe(bySubstitution.get("ValidateFunctionArn"))).isEqualTo("ValidateFunctionAlias");
        assertThat(Iam.describe(bySubstitution.get("FinalizeFunctionArn"))).isEqualTo("FinalizeFunctionAlias");
        assertThat(Iam.describe(bySubstitution.get("ChunkQueueUrl"))).isEqualTo("ChunkQueue");
        String validateAlias = (String) ((Map<?, ?>) bySubstitution.get("ValidateFunctionArn")).get("Ref");
        assertThat(template.findResources("AWS::Lambda::Alias")).containsKey(validateAlias);

        assertThat(placeholders(definition)).isEqualTo(bySubstitution.keySet());
        String substituted = definition;
        for (String name : bySubstitution.keySet()) {
            substituted = substituted.replace("${" + name + "}", "resolved-" + name);
        }
        assertThat(placeholders(substituted)).isEmpty();
        assertThat(substituted).doesNotContain("${");
    }

    private static Set<String> placeholders(String text) {
        Set<String> names = new TreeSet<>();
        Matcher matcher = PLACEHOLDER.matcher(text);
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    @Test
    void theChunkQueue_hidesAMessageSixWorkerTimeouts_andSendsItToTheDeadLetterQueueAfterFiveReceives() {
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::SQS::Queue",
                        Map.of(
                                "VisibilityTimeout",
                                6 * 900,
                                "MessageRetentionPeriod",
                                14 * 24 * 3600,
                                "SqsManagedSseEnabled",
                                true,
                                "RedrivePolicy",
                                Map.of(
                                        "maxReceiveCount",
                                        5,
                                        "deadLetterTargetArn",
                                        Map.of(
                                                "Fn::GetAtt",
                                                List.of(Match.stringLikeRegexp("^ChunkDeadLetterQueue"), "Arn")))));
        Synth.full()
                .template()
                .hasResourceProperties(
                        "AWS::SQS::Queue",
                        Match.objectLike(Map.of("VisibilityTimeout", 6 * 600, "RedrivePolicy", Match.anyValue())));
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::Lambda::Function",
                        Match.objectLike(
                                Map.of("Handler", "dev.openbatch.aws.WorkerHandler::handleRequest", "Timeout", 900)));
    }

    @Test
    void theWorker_timesOutARequestSoThatEveryAttemptFitsInItsOwnTimeout() {
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::Lambda::Function",
                        Match.objectLike(Map.of(
                                "Handler",
                                "dev.openbatch.aws.WorkerHandler::handleRequest",
                                "Timeout",
                                900,
                                "Environment",
                                Map.of(
                                        "Variables",
                                        Match.objectLike(Map.of(
                                                "OPENBATCH_REQUEST_TIMEOUT_SECONDS",
                                                Integer.toString(CloudLimits.longestRequestTimeout(900))))))));
        Synth.full()
                .template()
                .hasResourceProperties(
                        "AWS::Lambda::Function",
                        Match.objectLike(Map.of(
                                "Handler",
                                "dev.openbatch.aws.WorkerHandler::handleRequest",
                                "Timeout",
                                600,
                                "Environment",
                                Map.of(
                                        "Variables",
                                        Match.objectLike(Map.of(
                                                "OPENBATCH_REQUEST_TIMEOUT_SECONDS",
                                                Integer.toString(CloudLimits.longestRequestTimeout(600))))))));
    }

    @Test
    void everyQueue_refusesRequestsNotOverTls() {
        Template template = Synth.minimal().template();
        // The chunk queue and its dead letters, the ingest dead letters, the webhook queue and its dead letters.
        template.resourceCountIs("AWS::SQS::Queue", 5);
        template.resourceCountIs("AWS::SQS::QueuePolicy", 5);
        template.allResourcesProperties(
                "AWS::SQS::QueuePolicy",
                Map.of(
                        "PolicyDocument",
                        Map.of(
                                "Statement",
                                Match.arrayWith(List.of(Match.objectLike(Map.of(
                                        "Effect",
                                        "Deny",
                                        "Action",
                                        "sqs:*",
                                        "Condition",
                                        Map.of("Bool", Map.of("aws:SecureTransport", "false")))))))));
    }

    @Test
    void theWorkersEventSource_takesItsBatchSizeAndConcurrencyFromTheConfiguration_andReportsItemFailures() {
        Map<String, Object> source = Map.of(
                "EventSourceArn",
                        Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp("^ChunkQueue[0-9A-F]{8}$"), "Arn")),
                "FunctionResponseTypes", List.of("ReportBatchItemFailures"));
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::Lambda::EventSourceMapping",
                        Match.objectLike(Synth.with(
                                Synth.with(source, "BatchSize", 1),
                                "ScalingConfig",
                                Map.of("MaximumConcurrency", 20))));
        Synth.full()
                .template()
                .hasResourceProperties(
                        "AWS::Lambda::EventSourceMapping",
                        Match.objectLike(Synth.with(
                                Synth.with(source, "BatchSize", 2),
                                "ScalingConfig",
                                Map.of("MaximumConcurrency", 50))));
    }

    @Test
    void objectsCreatedUnderIncoming_invokeTheIngestAlias_andFailuresAreKept() {
        Template template = Synth.minimal().template();
        template.hasResourceProperties(
                "AWS::Events::Rule",
                Map.of(
                        "EventPattern",
                                Map.of(
                                        "source", List.of("aws.s3"),
                                        "detail-type", List.of("Object Created"),
                                        "detail",
                                                Map.of(
                                                        "bucket",
                                                                Map.of(
                                                                        "name",
                                                                        List.of(Map.of(
                                                                                "Ref",
                                                                                Match.stringLikeRegexp(
                                                                                        "^IngestBucket")))),
                                                        "object",
                                                                Map.of("key", List.of(Map.of("prefix", "incoming/"))))),
                        "Targets",
                                List.of(Match.objectLike(Map.of(
                                        "Arn", Map.of("Ref", Match.stringLikeRegexp("^IngestFunctionAlias")),
                                        "DeadLetterConfig",
                                                Map.of(
                                                        "Arn",
                                                        Map.of(
                                                                "Fn::GetAtt",
                                                                List.of(
                                                                        Match.stringLikeRegexp(
                                                                                "^IngestDeadLetterQueue"),
                                                                        "Arn"))))))));
        template.hasResourceProperties(
                "AWS::Lambda::EventInvokeConfig",
                Map.of(
                        "Qualifier",
                                Map.of(
                                        "Fn::Select",
                                        List.of(
                                                7,
                                                Map.of(
                                                        "Fn::Split",
                                                        List.of(
                                                                ":",
                                                                Map.of(
                                                                        "Ref",
                                                                        Match.stringLikeRegexp(
                                                                                "^IngestFunctionAlias")))))),
                        "MaximumRetryAttempts", 2,
                        "DestinationConfig",
                                Map.of(
                                        "OnFailure",
                                        Map.of(
                                                "Destination",
                                                Map.of(
                                                        "Fn::GetAtt",
                                                        List.of(
                                                                Match.stringLikeRegexp("^IngestDeadLetterQueue"),
                                                                "Arn"))))));
        template.hasResourceProperties(
                "AWS::Lambda::Function",
                Match.objectLike(Map.of(
                        "Handler",
                        "dev.openbatch.aws.IngestHandler::handleRequest",
                        "Environment",
                        Map.of(
                                "Variables",
                                Match.objectLike(Map.of(
                                        "OPENBATCH_INGEST_BUCKET",
                                                Map.of("Ref", Match.stringLikeRegexp("^IngestBucket")),
                                        "OPENBATCH_STATE_MACHINE_ARN",
                                                Map.of("Ref", Match.stringLikeRegexp("^BatchStateMachine"))))))));
    }

    @Test
    void alarms_watchTheDeadLetterQueues_failedExecutions_andWorkerErrors() {
        Template template = Synth.minimal().template();
        template.resourceCountIs("AWS::CloudWatch::Alarm", 6);
        Map<String, Object> anyOne = Map.of(
                "Threshold",
                1,
                "EvaluationPeriods",
                1,
                "ComparisonOperator",
                "GreaterThanOrEqualToThreshold",
                "TreatMissingData",
                "notBreaching");
        template.allResourcesProperties("AWS::CloudWatch::Alarm", Match.objectLike(anyOne));
        template.hasResourceProperties(
                "AWS::CloudWatch::Alarm",
                Match.objectLike(Map.of(
                        "Namespace",
                        "AWS/SQS",
                        "MetricName",
                        "ApproximateNumberOfMessagesVisible",
                        "Dimensions",
                        List.of(Map.of(
                                "Name",
                                "QueueName",
                                "Value",
                                Map.of(
                                        "Fn::GetAtt",
                                        List.of(Match.stringLikeRegexp("^ChunkDeadLetterQueue"), "QueueName")))))));
        template.hasResourceProperties(
                "AWS::CloudWatch::Alarm",
                Match.objectLike(Map.of(
                        "Namespace",
                        "AWS/SQS",
                        "MetricName",
                        "ApproximateNumberOfMessagesVisible",
                        "Dimensions",
                        List.of(Map.of(
                                "Name",
                                "QueueName",
                                "Value",
                                Map.of(
                                        "Fn::GetAtt",
                                        List.of(Match.stringLikeRegexp("^IngestDeadLetterQueue"), "QueueName")))))));
        template.hasResourceProperties(
                "AWS::CloudWatch::Alarm",
                Match.objectLike(Map.of(
                        "Namespace",
                        "AWS/States",
                        "MetricName",
                        "ExecutionsFailed",
                        "Statistic",
                        "Sum",
                        "Dimensions",
                        List.of(Map.of(
                                "Name",
                                "StateMachineArn",
                                "Value",
                                Map.of("Ref", Match.stringLikeRegexp("^BatchStateMachine")))))));
        template.hasResourceProperties(
                "AWS::CloudWatch::Alarm",
                Match.objectLike(Map.of(
                        "Namespace",
                        "AWS/Lambda",
                        "MetricName",
                        "Errors",
                        "Statistic",
                        "Sum",
                        "Dimensions",
                        List.of(Map.of(
                                "Name",
                                "FunctionName",
                                "Value",
                                Map.of("Ref", Match.stringLikeRegexp("^WorkerFunction[0-9A-F]{8}$")))))));
        template.hasResourceProperties(
                "AWS::CloudWatch::Alarm",
                Match.objectLike(Map.of(
                        "Namespace",
                        "AWS/Lambda",
                        "MetricName",
                        "Errors",
                        "Statistic",
                        "Sum",
                        "Dimensions",
                        List.of(Map.of(
                                "Name",
                                "FunctionName",
                                "Value",
                                Map.of("Ref", Match.stringLikeRegexp("^SweeperFunction[0-9A-F]{8}$")))))));
        template.allResourcesProperties("AWS::CloudWatch::Alarm", Map.of("AlarmActions", Match.absent()));
        template.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
    }

    @Test
    void theSweeper_runsEveryFiveMinutes_throughItsAlias_notRetried_andKnowsTheStateMachine() {
        Template template = Synth.minimal().template();
        template.hasResourceProperties(
                "AWS::Events::Rule",
                Map.of(
                        "ScheduleExpression", "rate(5 minutes)",
                        "State", "ENABLED",
                        "Targets",
                                List.of(Match.objectLike(Map.of(
                                        "Arn", Map.of("Ref", Match.stringLikeRegexp("^SweeperFunctionAlias")),
                                        "RetryPolicy", Map.of("MaximumRetryAttempts", 0))))));
        template.hasResourceProperties(
                "AWS::Lambda::Permission",
                Map.of(
                        "Action",
                        "lambda:InvokeFunction",
                        "Principal",
                        "events.amazonaws.com",
                        "FunctionName",
                        Map.of("Ref", Match.stringLikeRegexp("^SweeperFunctionAlias")),
                        "SourceArn",
                        Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp("^SweeperSchedule"), "Arn"))));
        template.hasResourceProperties(
                "AWS::Lambda::Function",
                Match.objectLike(Map.of(
                        "Handler",
                        "dev.openbatch.aws.SweeperHandler::handleRequest",
                        "Timeout",
                        120,
                        "Environment",
                        Map.of(
                                "Variables",
                                Match.objectLike(Map.of(
                                        "OPENBATCH_BATCHES_TABLE",
                                                Map.of("Ref", Match.stringLikeRegexp("^BatchesTable")),
                                        "OPENBATCH_INGEST_BUCKET",
                                                Map.of("Ref", Match.stringLikeRegexp("^IngestBucket")),
                                        "OPENBATCH_STATE_MACHINE_ARN",
                                                Map.of("Ref", Match.stringLikeRegexp("^BatchStateMachine"))))))));
    }

    /**
     * SQS drops a message its retention after it was first sent, in the chunk queue or, keeping that
     * time, in its dead-letter queue: both keep the longest SQS allows, which the sweeper's stall bound
     * must stay under (Sweep.Bounds refuses one that does not).
     */
    @Test
    void theChunkQueueAndItsDeadLetterQueue_keepMessagesTheLongestSqsAllows_theSweepersRetention() {
        Template template = Synth.minimal().template();
        long retention = dev.openbatch.core.pipeline.Sweep.QUEUE_RETENTION.toSeconds();
        assertThat(retention).isEqualTo(14 * 24 * 3600);
        for (String queue : List.of("ChunkQueue", "ChunkDeadLetterQueue")) {
            assertThat(template.findResources(
                            "AWS::SQS::Queue",
                            Map.of("Properties", Match.objectLike(Map.of("MessageRetentionPeriod", retention)))))
                    .as(queue)
                    .anySatisfy((id, q) -> assertThat(id).startsWith(queue));
        }
        assertThat(dev.openbatch.core.pipeline.Sweep.Bounds.DEFAULT.stall().toSeconds())
                .isLessThan(retention);
    }

    @Test
    void withAnAlarmAddress_everyAlarmMailsIt_overATlsOnlyTopic() {
        Template template = Synth.full().template();
        template.hasResourceProperties(
                "AWS::SNS::Subscription",
                Map.of(
                        "Protocol",
                        "email",
                        "Endpoint",
                        "ops@example.com",
                        "TopicArn",
                        Map.of("Ref", Match.stringLikeRegexp("^AlarmTopic"))));
        template.allResourcesProperties(
                "AWS::CloudWatch::Alarm",
                Match.objectLike(
                        Map.of("AlarmActions", List.of(Map.of("Ref", Match.stringLikeRegexp("^AlarmTopic"))))));
        template.hasResourceProperties(
                "AWS::SNS::TopicPolicy",
                Map.of(
                        "PolicyDocument",
                        Map.of(
                                "Statement",
                                List.of(Match.objectLike(Map.of(
                                        "Effect",
                                        "Deny",
                                        "Condition",
                                        Map.of("Bool", Map.of("aws:SecureTransport", "false"))))))));
    }

    @Test
    void logsAreKeptAsConfigured() {
        Synth.minimal().template().allResourcesProperties("AWS::Logs::LogGroup", Map.of("RetentionInDays", 30));
        Synth.full().template().allResourcesProperties("AWS::Logs::LogGroup", Map.of("RetentionInDays", 90));
        Synth.minimal().template().resourceCountIs("AWS::Logs::LogGroup", 10);
    }
}
