package dev.openbatch.cdk;

import dev.openbatch.deployment.CloudLimits;
import dev.openbatch.deployment.DeploymentConfig;
import dev.openbatch.deployment.FunctionTimeouts;
import dev.openbatch.deployment.Permissions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awscdk.Annotations;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.aws_apigatewayv2_authorizers.HttpLambdaAuthorizer;
import software.amazon.awscdk.aws_apigatewayv2_authorizers.HttpLambdaAuthorizerProps;
import software.amazon.awscdk.aws_apigatewayv2_authorizers.HttpLambdaResponseType;
import software.amazon.awscdk.aws_apigatewayv2_integrations.HttpLambdaIntegration;
import software.amazon.awscdk.services.apigatewayv2.AddRoutesOptions;
import software.amazon.awscdk.services.apigatewayv2.HttpApi;
import software.amazon.awscdk.services.apigatewayv2.HttpMethod;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.Dashboard;
import software.amazon.awscdk.services.cloudwatch.GraphWidget;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.IWidget;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.cloudwatch.actions.SnsAction;
import software.amazon.awscdk.services.dynamodb.Attribute;
import software.amazon.awscdk.services.dynamodb.AttributeType;
import software.amazon.awscdk.services.dynamodb.BillingMode;
import software.amazon.awscdk.services.dynamodb.GlobalSecondaryIndexProps;
import software.amazon.awscdk.services.dynamodb.PointInTimeRecoverySpecification;
import software.amazon.awscdk.services.dynamodb.ProjectionType;
import software.amazon.awscdk.services.dynamodb.Table;
import software.amazon.awscdk.services.dynamodb.TableEncryption;
import software.amazon.awscdk.services.ec2.ISecurityGroup;
import software.amazon.awscdk.services.ec2.ISubnet;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.Subnet;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ec2.VpcAttributes;
import software.amazon.awscdk.services.events.EventPattern;
import software.amazon.awscdk.services.events.Rule;
import software.amazon.awscdk.services.events.Schedule;
import software.amazon.awscdk.services.events.targets.LambdaFunction;
import software.amazon.awscdk.services.events.targets.LambdaFunctionProps;
import software.amazon.awscdk.services.iam.IGrantable;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.EventInvokeConfigOptions;
import software.amazon.awscdk.services.lambda.destinations.SqsDestination;
import software.amazon.awscdk.services.lambda.eventsources.SqsEventSource;
import software.amazon.awscdk.services.lambda.eventsources.SqsEventSourceProps;
import software.amazon.awscdk.services.logs.CfnLogGroup;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.CfnBucket;
import software.amazon.awscdk.services.s3.LifecycleRule;
import software.amazon.awscdk.services.sns.Topic;
import software.amazon.awscdk.services.sns.subscriptions.EmailSubscription;
import software.amazon.awscdk.services.sqs.DeadLetterQueue;
import software.amazon.awscdk.services.sqs.Queue;
import software.amazon.awscdk.services.sqs.QueueEncryption;
import software.amazon.awscdk.services.stepfunctions.DefinitionBody;
import software.amazon.awscdk.services.stepfunctions.LogLevel;
import software.amazon.awscdk.services.stepfunctions.LogOptions;
import software.amazon.awscdk.services.stepfunctions.StateMachine;
import software.amazon.awscdk.services.stepfunctions.StateMachineType;
import software.constructs.Construct;
import software.constructs.IConstruct;

/**
 * openbatch in one AWS account: the same functions and the same state machine file the local
 * runtime runs, wired to API Gateway, S3, DynamoDB, SQS and Step Functions. Construct ids follow the
 * local runtime's resource names ({@code openbatch-data} is {@code DataBucket}, {@code
 * openbatch-chunks} is {@code ChunkQueue}, ...); CloudFormation names the physical resources.
 */
public final class OpenBatchStack extends Stack {

    /** How long the dead-letter consumer may take: it writes one part and answers one task. */
    static final int DEAD_LETTER_TIMEOUT_SECONDS = FunctionTimeouts.DEAD_LETTER_SECONDS;

    /** Where the build puts the functions' Lambda zip, from infra/cdk, where the CDK runs. */
    public static final Path FUNCTIONS_ZIP = Path.of("../../functions/aws/target/openbatch-functions.zip");
    /** The one orchestration definition. */
    public static final Path STATE_MACHINE = Path.of("../../statemachine/batch.asl.json");

    /** S3-drop submission: drops under {@code incoming/}, results under {@code results/}. */
    static final String INCOMING = "incoming/";
    /**
     * The sparse index of the batches not yet ended, on (sweep_status, sweep_since), where the sweeper
     * finds the ones due: see DynamoDbBatchRepository in functions/aws.
     */
    static final String BY_SWEEP = Permissions.BY_SWEEP;
    /** How often the sweeper runs; the local runtime's default period is the same. */
    static final Duration SWEEP_PERIOD = Duration.minutes(5);
    /** A chunk message received this many times goes to the dead-letter queue, as locally. */
    static final int MAX_RECEIVES = CloudLimits.MAX_RECEIVES;
    /** API Gateway gives an integration at most 30 s; the function stops first. */
    static final Duration API_TIMEOUT = Duration.seconds(FunctionTimeouts.API_SECONDS);

    /** The CDK warnings this stack acknowledges, each with its reason. */
    private final Map<String, String> acknowledged = new TreeMap<>();

    private final StateMachine stateMachine;

    public OpenBatchStack(Construct scope, String id, StackProps props, DeploymentConfig config) {
        super(scope, id, props);
        RemovalPolicy dataRemoval = config.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

        // ---- storage ---------------------------------------------------------------------------
        Key dataKey = config.kms()
                ? Key.Builder.create(this, "DataKey")
                        .description("openbatch: the data and ingest buckets")
                        .enableKeyRotation(true)
                        .removalPolicy(dataRemoval)
                        .build()
                : null;
        Bucket dataBucket = bucket(
                "DataBucket",
                dataKey,
                dataRemoval,
                List.of(
                        LifecycleRule.builder()
                                .id("intermediate-objects")
                                .prefix("batches/")
                                .expiration(Duration.days(config.intermediateExpiryDays()))
                                .build(),
                        // An upload expires an hour after it is created (as OpenAI's): parts left a day are abandoned.
                        LifecycleRule.builder()
                                .id("abandoned-upload-parts")
                                .prefix("uploads/")
                                .expiration(Duration.days(1))
                                .build(),
                        LifecycleRule.builder()
                                .id("incomplete-uploads")
                                .abortIncompleteMultipartUploadAfter(Duration.days(7))
                                .build()));
        Bucket ingestBucket = bucket(
                "IngestBucket",
                dataKey,
                dataRemoval,
                List.of(LifecycleRule.builder()
                        .id("incomplete-uploads")
                        .abortIncompleteMultipartUploadAfter(Duration.days(7))
                        .build()));
        // Object-created events to EventBridge, set on the bucket itself: the CDK's eventBridgeEnabled
        // would add a custom resource whose role may put notifications on every bucket ("*").
        ((CfnBucket) ingestBucket.getNode().getDefaultChild())
                .setNotificationConfiguration(CfnBucket.NotificationConfigurationProperty.builder()
                        .eventBridgeConfiguration(CfnBucket.EventBridgeConfigurationProperty.builder()
                                .eventBridgeEnabled(true)
                                .build())
                        .build());

        // An upload past its expires_at (an hour after its creation) is gone: DynamoDB removes the record.
        // A file that expires is found by the sweeper in by_expiry and removed, record and bytes; its
        // expiry is not the TTL attribute, which would remove the record alone, its bytes left behind.
        // A batch's expires_at ends its completion window, not its record.
        Table filesTable = ownedRecords("FilesTable", dataRemoval, "expires_at");
        filesTable.addGlobalSecondaryIndex(GlobalSecondaryIndexProps.builder()
                .indexName(Permissions.BY_EXPIRY)
                .partitionKey(Attribute.builder()
                        .name("expiring")
                        .type(AttributeType.STRING)
                        .build())
                .sortKey(Attribute.builder()
                        .name("file_expires_at")
                        .type(AttributeType.NUMBER)
                        .build())
                .projectionType(ProjectionType.INCLUDE)
                .nonKeyAttributes(List.of("owner"))
                .build());
        Table batchesTable = ownedRecords("BatchesTable", dataRemoval, null);
        batchesTable.addGlobalSecondaryIndex(GlobalSecondaryIndexProps.builder()
                .indexName(BY_SWEEP)
                .partitionKey(Attribute.builder()
                        .name("sweep_status")
                        .type(AttributeType.STRING)
                        .build())
                .sortKey(Attribute.builder()
                        .name("sweep_since")
                        .type(AttributeType.NUMBER)
                        .build())
                .projectionType(ProjectionType.ALL)
                .build());
        Table keysTable = Table.Builder.create(this, "KeysTable")
                .partitionKey(Attribute.builder()
                        .name("key_hash")
                        .type(AttributeType.STRING)
                        .build())
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .pointInTimeRecoverySpecification(pointInTimeRecovery())
                .deletionProtection(config.retainData())
                .removalPolicy(dataRemoval)
                .build();
        // A record per job: each worker's lease on the job's endpoint, which keeps the job's concurrency
        // across all workers (see DynamoDbCapacityStore in functions/aws). Leases last seconds: no backups.
        Table capacityTable = Table.Builder.create(this, "CapacityTable")
                .partitionKey(Attribute.builder()
                        .name("job_id")
                        .type(AttributeType.STRING)
                        .build())
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .deletionProtection(config.retainData())
                .removalPolicy(dataRemoval)
                .build();

        // ---- queues ----------------------------------------------------------------------------
        // Six times its consumer's timeout, as for the chunk queue.
        Queue chunkDeadLetters = queue("ChunkDeadLetterQueue", Duration.seconds(6 * DEAD_LETTER_TIMEOUT_SECONDS), null);
        Duration workerTimeout = Duration.seconds(config.worker().timeoutSeconds());
        // Six times the worker's timeout, as AWS advises for an SQS event source: a message a worker
        // still holds is not handed to another, even across the event source's own retries.
        Queue chunkQueue = queue(
                "ChunkQueue",
                Duration.seconds(
                        CloudLimits.chunkVisibilitySeconds(config.worker().timeoutSeconds())),
                DeadLetterQueue.builder()
                        .queue(chunkDeadLetters)
                        .maxReceiveCount(MAX_RECEIVES)
                        .build());
        Queue ingestDeadLetters = queue("IngestDeadLetterQueue", Duration.seconds(30), null);

        // ---- functions -------------------------------------------------------------------------
        if (!Files.isRegularFile(FUNCTIONS_ZIP)) {
            throw new IllegalStateException("the functions' Lambda zip is not built: " + FUNCTIONS_ZIP.toAbsolutePath()
                    + " (build the reactor first, e.g. mvn -pl infra/cdk -am package)");
        }
        OpenBatchFunction.Shared shared = new OpenBatchFunction.Shared(
                Code.fromAsset(FUNCTIONS_ZIP.toString()), config.tracing(), config.logRetentionDays(), dataRemoval);
        Map<String, String> common = new HashMap<>(Map.of(
                "OPENBATCH_BUCKET", dataBucket.getBucketName(),
                "OPENBATCH_FILES_TABLE", filesTable.getTableName(),
                "OPENBATCH_BATCHES_TABLE", batchesTable.getTableName(),
                "OPENBATCH_JOBS", config.jobsJson(),
                "OPENBATCH_CHUNK_LINES", Integer.toString(config.chunkLines()),
                "OPENBATCH_MAP_CONCURRENCY", Integer.toString(config.mapConcurrency())));

        // The functions that change a batch's status publish each change on the account's default bus.
        Map<String, String> publishing = with(common, "OPENBATCH_EVENT_BUS", "default");
        Webhooks webhooks = new Webhooks(this, "Webhooks", shared, common, dataRemoval);

        OpenBatchFunction validate = new OpenBatchFunction(
                this,
                "ValidateFunction",
                shared,
                new OpenBatchFunction.Spec(
                        "ValidateHandler",
                        "openbatch: check a batch's input and cut it into chunks",
                        config.memoryMb(),
                        Duration.seconds(FunctionTimeouts.VALIDATE_SECONDS),
                        publishing,
                        false),
                null);

        Map<String, String> finalizeEnvironment =
                webhooks.environment(with(publishing, "OPENBATCH_INGEST_BUCKET", ingestBucket.getBucketName()));
        OpenBatchFunction finalize = new OpenBatchFunction(
                this,
                "FinalizeFunction",
                shared,
                new OpenBatchFunction.Spec(
                        "FinalizeHandler",
                        "openbatch: join the chunks' parts into the output and error files",
                        config.memoryMb(),
                        Duration.seconds(FunctionTimeouts.FINALIZE_SECONDS),
                        finalizeEnvironment,
                        false),
                null);

        // ---- the state machine -----------------------------------------------------------------
        LogGroup stateMachineLogs = LogGroup.Builder.create(this, "StateMachineLogs")
                .removalPolicy(dataRemoval)
                .build();
        ((CfnLogGroup) stateMachineLogs.getNode().getDefaultChild()).setRetentionInDays(config.logRetentionDays());
        stateMachine = StateMachine.Builder.create(this, "BatchStateMachine")
                .stateMachineType(StateMachineType.STANDARD)
                .definitionBody(DefinitionBody.fromFile(STATE_MACHINE.toString()))
                .definitionSubstitutions(Map.of(
                        "ValidateFunctionArn", validate.alias().getFunctionArn(),
                        "FinalizeFunctionArn", finalize.alias().getFunctionArn(),
                        "ChunkQueueUrl", chunkQueue.getQueueUrl()))
                // Logging to CloudWatch adds the log-delivery actions (logs:CreateLogDelivery and its kin)
                // on "*" to the state machine's role: that API names no resource.
                .logs(LogOptions.builder()
                        .destination(stateMachineLogs)
                        .level(LogLevel.ERROR)
                        // the state carries claim checks only: ids and chunk descriptors, no request
                        .includeExecutionData(true)
                        .build())
                // Tracing adds the X-Ray actions on "*": X-Ray's API names no resource.
                .tracingEnabled(config.tracing())
                .build();

        // ---- the worker ------------------------------------------------------------------------
        Map<String, String> workerEnvironment = new HashMap<>(common);
        workerEnvironment.put(
                "OPENBATCH_REQUEST_TIMEOUT_SECONDS",
                Integer.toString(config.worker().requestTimeoutSeconds()));
        workerEnvironment.put("OPENBATCH_CAPACITY_TABLE", capacityTable.getTableName());
        if (!config.imageBuckets().isEmpty()) {
            workerEnvironment.put("OPENBATCH_IMAGE_BUCKETS", String.join(",", config.imageBuckets()));
        }
        if (!config.imageTrustedHosts().isEmpty()) {
            workerEnvironment.put("OPENBATCH_IMAGE_TRUSTED_HOSTS", String.join(",", config.imageTrustedHosts()));
        }
        OpenBatchFunction worker = new OpenBatchFunction(
                this,
                "WorkerFunction",
                shared,
                new OpenBatchFunction.Spec(
                        "WorkerHandler",
                        "openbatch: run a chunk's requests against the job's inference endpoint",
                        config.worker().memoryMb(),
                        workerTimeout,
                        workerEnvironment,
                        false),
                placement(config));
        worker.alias()
                .addEventSource(new SqsEventSource(
                        chunkQueue,
                        SqsEventSourceProps.builder()
                                .batchSize(config.worker().batchSize())
                                .reportBatchItemFailures(true)
                                .maxConcurrency(config.worker().maxConcurrency())
                                .build()));

        // ---- the dead-letter queue's consumer --------------------------------------------------
        // A chunk that failed on every delivery ends its lines as chunk_failed and answers its task,
        // so the batch still finalizes. It reads no job secret and calls no endpoint.
        OpenBatchFunction deadLetters = new OpenBatchFunction(
                this,
                "DeadLetterFunction",
                shared,
                new OpenBatchFunction.Spec(
                        "DeadLetterHandler",
                        "openbatch: end a chunk that failed on every delivery as chunk_failed",
                        512,
                        Duration.seconds(DEAD_LETTER_TIMEOUT_SECONDS),
                        common,
                        false),
                null);
        deadLetters
                .alias()
                .addEventSource(new SqsEventSource(
                        chunkDeadLetters,
                        SqsEventSourceProps.builder()
                                .batchSize(1)
                                .reportBatchItemFailures(true)
                                .build()));

        // ---- the API ---------------------------------------------------------------------------
        OpenBatchFunction apiFunction = new OpenBatchFunction(
                this,
                "ApiFunction",
                shared,
                new OpenBatchFunction.Spec(
                        "ApiHandler",
                        "openbatch: the OpenAI Files and Batches API",
                        config.memoryMb(),
                        API_TIMEOUT,
                        webhooks.environment(
                                with(publishing, "OPENBATCH_STATE_MACHINE_ARN", stateMachine.getStateMachineArn())),
                        true),
                null);

        OpenBatchFunction authorizer = new OpenBatchFunction(
                this,
                "AuthorizerFunction",
                shared,
                new OpenBatchFunction.Spec(
                        "AuthorizerHandler",
                        "openbatch: API keys to tenants",
                        config.memoryMb(),
                        Duration.seconds(FunctionTimeouts.AUTHORIZER_SECONDS),
                        with(common, "OPENBATCH_KEYS_TABLE", keysTable.getTableName()),
                        true),
                null);

        HttpApi api = HttpApi.Builder.create(this, "Api")
                .description("openbatch: OpenAI-compatible Files and Batches API")
                .build();
        HttpLambdaIntegration apiIntegration = new HttpLambdaIntegration("ApiIntegration", apiFunction.alias());
        api.addRoutes(AddRoutesOptions.builder()
                .path("/v1/{proxy+}")
                .methods(List.of(HttpMethod.ANY))
                .integration(apiIntegration)
                .authorizer(new HttpLambdaAuthorizer(
                        "ApiKeyAuthorizer",
                        authorizer.alias(),
                        HttpLambdaAuthorizerProps.builder()
                                .authorizerName("openbatch-api-keys")
                                .responseTypes(List.of(HttpLambdaResponseType.SIMPLE))
                                .identitySource(List.of("$request.header.Authorization"))
                                .resultsCacheTtl(Duration.seconds(config.authorizerCacheSeconds()))
                                .build()))
                .build());
        // The console (docs/console.md): a page and its assets, no data; its calls to /v1 carry the key.
        for (String path : List.of("/console", "/console/{proxy+}")) {
            api.addRoutes(AddRoutesOptions.builder()
                    .path(path)
                    .methods(List.of(HttpMethod.GET))
                    .integration(apiIntegration)
                    .build());
        }

        // ---- S3-drop submission ----------------------------------------------------------------
        OpenBatchFunction ingest = new OpenBatchFunction(
                this,
                "IngestFunction",
                shared,
                new OpenBatchFunction.Spec(
                        "IngestHandler",
                        "openbatch: a JSONL file dropped under incoming/ becomes a batch",
                        config.memoryMb(),
                        Duration.seconds(FunctionTimeouts.INGEST_SECONDS),
                        with(
                                with(publishing, "OPENBATCH_INGEST_BUCKET", ingestBucket.getBucketName()),
                                "OPENBATCH_STATE_MACHINE_ARN",
                                stateMachine.getStateMachineArn()),
                        false),
                null);
        // A drop whose ingest fails after Lambda's retries is kept, not lost: never silence.
        ingest.alias()
                .configureAsyncInvoke(EventInvokeConfigOptions.builder()
                        .retryAttempts(2)
                        .onFailure(new SqsDestination(ingestDeadLetters))
                        .build());
        Rule.Builder.create(this, "IngestRule")
                .description("openbatch: objects created under incoming/ of the ingest bucket")
                .eventPattern(EventPattern.builder()
                        .source(List.of("aws.s3"))
                        .detailType(List.of("Object Created"))
                        .detail(Map.of(
                                "bucket", Map.of("name", List.of(ingestBucket.getBucketName())),
                                "object", Map.of("key", List.of(Map.of("prefix", INCOMING)))))
                        .build())
                .targets(List.of(new LambdaFunction(
                        ingest.alias(),
                        LambdaFunctionProps.builder()
                                .deadLetterQueue(ingestDeadLetters)
                                .maxEventAge(Duration.hours(24))
                                .retryAttempts(185)
                                .build())))
                .build();

        // ---- the sweeper ---------------------------------------------------------------------------
        // Every five minutes: starts a batch whose start was lost, gives a batch whose run ended or stalled
        // a new run (stopping the old one), bounds an unlimited batch, and ends failed a batch out of runs
        // (writing a dropped batch's results beside its drop, as the finalizer does).
        OpenBatchFunction sweeper = new OpenBatchFunction(
                this,
                "SweeperFunction",
                shared,
                new OpenBatchFunction.Spec(
                        "SweeperHandler",
                        "openbatch: start, run again or end the batches that would hang",
                        512,
                        Duration.seconds(FunctionTimeouts.SWEEPER_SECONDS),
                        with(
                                with(
                                        webhooks.environment(publishing),
                                        "OPENBATCH_INGEST_BUCKET",
                                        ingestBucket.getBucketName()),
                                "OPENBATCH_STATE_MACHINE_ARN",
                                stateMachine.getStateMachineArn()),
                        false),
                null);
        Rule.Builder.create(this, "SweeperSchedule")
                .description("openbatch: the sweeper, every five minutes")
                .schedule(Schedule.rate(SWEEP_PERIOD))
                // A sweep that fails is not retried: the next one comes in five minutes and does the same.
                .targets(List.of(new LambdaFunction(
                        sweeper.alias(),
                        LambdaFunctionProps.builder().retryAttempts(0).build())))
                .build();

        // ---- what each role may do: the one declaration, as the local runtime enforces it ------
        Access access = new Access(
                Map.of(Permissions.Bucket.DATA, dataBucket, Permissions.Bucket.INGEST, ingestBucket),
                Map.of(
                        Permissions.Table.FILES,
                        filesTable,
                        Permissions.Table.BATCHES,
                        batchesTable,
                        Permissions.Table.KEYS,
                        keysTable,
                        Permissions.Table.CAPACITY,
                        capacityTable,
                        Permissions.Table.WEBHOOKS,
                        webhooks.endpoints()),
                Map.of(
                        Permissions.Queue.CHUNKS,
                        chunkQueue,
                        Permissions.Queue.CHUNK_DEAD_LETTERS,
                        chunkDeadLetters,
                        Permissions.Queue.INGEST_DEAD_LETTERS,
                        ingestDeadLetters,
                        Permissions.Queue.WEBHOOKS,
                        webhooks.queue()),
                stateMachine,
                Map.of(Permissions.Role.VALIDATE, validate.alias(), Permissions.Role.FINALIZE, finalize.alias()),
                config.jobCatalog().secretArns(),
                config.imageBuckets());
        Permissions permissions = Permissions.deployed();
        Map<Permissions.Role, IGrantable> roles = Map.ofEntries(
                Map.entry(Permissions.Role.API, apiFunction.role()),
                Map.entry(Permissions.Role.AUTHORIZER, authorizer.role()),
                Map.entry(Permissions.Role.VALIDATE, validate.role()),
                Map.entry(Permissions.Role.FINALIZE, finalize.role()),
                Map.entry(Permissions.Role.WORKER, worker.role()),
                Map.entry(Permissions.Role.DEAD_LETTERS, deadLetters.role()),
                Map.entry(Permissions.Role.INGEST, ingest.role()),
                Map.entry(Permissions.Role.SWEEPER, sweeper.role()),
                Map.entry(Permissions.Role.WEBHOOKS, webhooks.sender().role()),
                Map.entry(Permissions.Role.STATE_MACHINE, stateMachine));
        for (Permissions.Role role : Permissions.Role.values()) {
            access.grant(roles.get(role), permissions.of(role));
        }

        // ---- alarms, dashboard, outputs --------------------------------------------------------
        Topic alarms = config.alarmEmail() == null
                ? null
                : Topic.Builder.create(this, "AlarmTopic")
                        .displayName("openbatch alarms")
                        .enforceSsl(true)
                        .build();
        if (alarms != null) {
            alarms.addSubscription(new EmailSubscription(config.alarmEmail()));
        }
        alarm(
                "ChunkDeadLettersAlarm",
                "openbatch: chunk messages reached the dead-letter queue",
                chunkDeadLetters.metricApproximateNumberOfMessagesVisible(fiveMinutes("Maximum")),
                alarms);
        alarm(
                "IngestDeadLettersAlarm",
                "openbatch: S3 drops could not be ingested",
                ingestDeadLetters.metricApproximateNumberOfMessagesVisible(fiveMinutes("Maximum")),
                alarms);
        alarm(
                "WebhookDeadLettersAlarm",
                "openbatch: webhook deliveries reached the dead-letter queue (the sender failed, not a receiver)",
                webhooks.deadLetters().metricApproximateNumberOfMessagesVisible(fiveMinutes("Maximum")),
                alarms);
        alarm(
                "StateMachineFailuresAlarm",
                "openbatch: batch executions failed (not invalid input: a fault)",
                stateMachine.metricFailed(fiveMinutes("Sum")),
                alarms);
        alarm(
                "WorkerErrorsAlarm",
                "openbatch: worker invocations failed (crashed or timed out)",
                worker.function().metricErrors(fiveMinutes("Sum")),
                alarms);
        alarm(
                "SweeperErrorsAlarm",
                "openbatch: the sweeper failed (batches that would hang are not being moved)",
                sweeper.function().metricErrors(fiveMinutes("Sum")),
                alarms);
        dashboard(apiFunction, worker, chunkQueue, chunkDeadLetters);

        output("ApiBaseUrl", api.getApiEndpoint() + "/v1", "the base URL for the OpenAI SDKs and curl");
        output("ConsoleUrl", api.getApiEndpoint() + "/console", "the batch console, in a browser");
        output("DataBucketName", dataBucket.getBucketName(), "files, chunks, parts and outputs");
        output(
                "IngestBucketName",
                ingestBucket.getBucketName(),
                "S3-drop submission: put JSONL under incoming/<job_id>/");
        output("KeysTableName", keysTable.getTableName(), "API keys: put their SHA-256 and tenant here");
        output("StateMachineArn", stateMachine.getStateMachineArn(), "the batch state machine");
    }

    /** Silences a CDK warning on a construct, on purpose and saying why; the tests hold the list. */
    void acknowledge(IConstruct construct, String warning, String reason) {
        Annotations.of(construct).acknowledgeWarning(warning, reason);
        acknowledged.put(warning, reason);
    }

    Map<String, String> acknowledgedWarnings() {
        return Map.copyOf(acknowledged);
    }

    private Bucket bucket(String id, Key key, RemovalPolicy removal, List<LifecycleRule> lifecycle) {
        return Bucket.Builder.create(this, id)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                // A bucket policy that refuses every request not over TLS 1.2 or newer.
                .enforceSsl(true)
                .minimumTlsVersion(1.2)
                .encryption(key == null ? BucketEncryption.S3_MANAGED : BucketEncryption.KMS)
                .encryptionKey(key)
                .bucketKeyEnabled(key != null)
                .lifecycleRules(lifecycle)
                .removalPolicy(removal)
                .build();
    }

    /** The shape of the files and batches tables: see OwnedTable in functions/aws. */
    private Table ownedRecords(String id, RemovalPolicy removal, String expiryAttribute) {
        return ownedRecords(this, id, removal, expiryAttribute, null);
    }

    /** A table of owned records in {@code scope}, encrypted at rest as asked (null: DynamoDB's default). */
    static Table ownedRecords(
            Construct scope, String id, RemovalPolicy removal, String expiryAttribute, TableEncryption encryption) {
        Attribute recordId =
                Attribute.builder().name("id").type(AttributeType.STRING).build();
        Table.Builder builder = Table.Builder.create(scope, id);
        if (encryption != null) {
            builder.encryption(encryption);
        }
        Table table = builder.partitionKey(recordId)
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .pointInTimeRecoverySpecification(pointInTimeRecovery())
                .timeToLiveAttribute(expiryAttribute)
                .deletionProtection(removal == RemovalPolicy.RETAIN)
                .removalPolicy(removal)
                .build();
        table.addGlobalSecondaryIndex(GlobalSecondaryIndexProps.builder()
                .indexName(Permissions.BY_OWNER)
                .partitionKey(Attribute.builder()
                        .name("owner")
                        .type(AttributeType.STRING)
                        .build())
                .sortKey(recordId)
                .projectionType(ProjectionType.ALL)
                .build());
        return table;
    }

    private static PointInTimeRecoverySpecification pointInTimeRecovery() {
        return PointInTimeRecoverySpecification.builder()
                .pointInTimeRecoveryEnabled(true)
                .build();
    }

    private Queue queue(String id, Duration visibility, DeadLetterQueue deadLetters) {
        return queue(this, id, visibility, deadLetters);
    }

    /** A queue in {@code scope}: kept 14 days, encrypted, TLS only. */
    static Queue queue(Construct scope, String id, Duration visibility, DeadLetterQueue deadLetters) {
        return Queue.Builder.create(scope, id)
                .visibilityTimeout(visibility)
                .retentionPeriod(Duration.seconds(CloudLimits.RETENTION_SECONDS))
                .encryption(QueueEncryption.SQS_MANAGED)
                .enforceSsl(true)
                .deadLetterQueue(deadLetters)
                .build();
    }

    /** The worker's place in an existing VPC, when the endpoints are private. */
    private OpenBatchFunction.Placement placement(DeploymentConfig config) {
        DeploymentConfig.VpcPlacement vpc = config.vpc();
        if (vpc == null) {
            return null;
        }
        List<ISubnet> subnets = new ArrayList<>();
        for (String subnetId : vpc.subnetIds()) {
            ISubnet subnet = Subnet.fromSubnetId(this, "WorkerSubnet-" + subnetId, subnetId);
            acknowledge(
                    subnet,
                    "@aws-cdk/aws-ec2:noSubnetRouteTableId",
                    "the worker's network interfaces go into the subnet; nothing here reads its route table");
            subnets.add(subnet);
        }
        List<ISecurityGroup> groups = new ArrayList<>();
        for (String groupId : vpc.securityGroupIds()) {
            groups.add(SecurityGroup.fromSecurityGroupId(this, "WorkerSecurityGroup-" + groupId, groupId));
        }
        return new OpenBatchFunction.Placement(
                Vpc.fromVpcAttributes(
                        this,
                        "WorkerVpc",
                        VpcAttributes.builder()
                                .vpcId(vpc.vpcId())
                                .availabilityZones(vpc.availabilityZones())
                                .build()),
                subnets,
                groups);
    }

    private static Map<String, String> with(Map<String, String> environment, String name, String value) {
        Map<String, String> copy = new HashMap<>(environment);
        copy.put(name, value);
        return copy;
    }

    private static MetricOptions fiveMinutes(String statistic) {
        return MetricOptions.builder()
                .period(Duration.minutes(5))
                .statistic(statistic)
                .build();
    }

    private void alarm(String id, String description, IMetric metric, Topic topic) {
        Alarm alarm = Alarm.Builder.create(this, id)
                .alarmDescription(description)
                .metric(metric)
                .threshold(1)
                .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
                .evaluationPeriods(1)
                .treatMissingData(TreatMissingData.NOT_BREACHING)
                .build();
        if (topic != null) {
            alarm.addAlarmAction(new SnsAction(topic));
        }
    }

    private void dashboard(
            OpenBatchFunction apiFunction, OpenBatchFunction worker, Queue chunkQueue, Queue chunkDeadLetters) {
        List<IWidget> row1 = List.of(
                graph(
                        "API requests and errors",
                        apiFunction.function().metricInvocations(fiveMinutes("Sum")),
                        apiFunction.function().metricErrors(fiveMinutes("Sum"))),
                graph("API latency (p99)", apiFunction.function().metricDuration(fiveMinutes("p99"))),
                graph(
                        "Batches",
                        stateMachine.metricStarted(fiveMinutes("Sum")),
                        stateMachine.metricSucceeded(fiveMinutes("Sum")),
                        stateMachine.metricFailed(fiveMinutes("Sum"))));
        List<IWidget> row2 = List.of(
                graph(
                        "Chunk queue",
                        chunkQueue.metricApproximateNumberOfMessagesVisible(fiveMinutes("Maximum")),
                        chunkQueue.metricApproximateAgeOfOldestMessage(fiveMinutes("Maximum")),
                        chunkDeadLetters.metricApproximateNumberOfMessagesVisible(fiveMinutes("Maximum"))),
                graph(
                        "Workers",
                        worker.function().metricInvocations(fiveMinutes("Sum")),
                        worker.function().metricErrors(fiveMinutes("Sum")),
                        worker.function().metric("ConcurrentExecutions", fiveMinutes("Maximum"))),
                graph(
                        "Worker duration (p50, p99)",
                        worker.function().metricDuration(fiveMinutes("p50")),
                        worker.function().metricDuration(fiveMinutes("p99"))));
        Dashboard.Builder.create(this, "Dashboard").widgets(List.of(row1, row2)).build();
    }

    private static GraphWidget graph(String title, IMetric... metrics) {
        return GraphWidget.Builder.create()
                .title(title)
                .left(List.of(metrics))
                .width(8)
                .build();
    }

    private void output(String id, String value, String description) {
        CfnOutput.Builder.create(this, id).value(value).description(description).build();
    }
}
