package dev.openbatch.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.aws.ApiHandler;
import dev.openbatch.aws.AuthorizerHandler;
import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.DeadLetterHandler;
import dev.openbatch.aws.FinalizeHandler;
import dev.openbatch.aws.IngestHandler;
import dev.openbatch.aws.Settings;
import dev.openbatch.aws.SweeperHandler;
import dev.openbatch.aws.Tables;
import dev.openbatch.aws.ValidateHandler;
import dev.openbatch.aws.WebhookSenderHandler;
import dev.openbatch.aws.Wiring;
import dev.openbatch.aws.WorkerHandler;
import dev.openbatch.core.Json;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.core.pipeline.Sweep;
import dev.openbatch.core.webhooks.RetrySchedule;
import dev.openbatch.deployment.CloudLimits;
import dev.openbatch.deployment.DeploymentConfig;
import dev.openbatch.deployment.FunctionTimeouts;
import dev.openbatch.deployment.Permissions;
import dev.openbatch.local.lambda.LocalLambda;
import dev.openbatch.local.lambda.Sandbox;
import dev.openbatch.reference.ReferenceEndpoint;
import dev.openbatch.reference.Stats;
import dev.openbatch.stepfunctions.LocalStepFunctions;
import dev.openbatch.stepfunctions.StepFunctionsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.IndexStatus;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.UpdateTableRequest;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * openbatch on one machine: the embedded emulators, the resources the cloud stack would create,
 * the state machine file run by the local Step Functions, the chunk queue's event source, the
 * reference inference endpoint, and the same functions the cloud runs, wired to all of them.
 */
public final class LocalRuntime implements AutoCloseable {

    /** Resource names, the same as the cloud stack's. */
    static final String BUCKET = "openbatch-data";

    static final String INGEST_BUCKET = "openbatch-ingest";
    static final String FILES_TABLE = "openbatch-files";
    static final String BATCHES_TABLE = "openbatch-batches";
    static final String KEYS_TABLE = "openbatch-keys";
    static final String CAPACITY_TABLE = "openbatch-capacity";
    static final String CHUNK_QUEUE = "openbatch-chunks";
    static final String DEAD_LETTER_QUEUE = "openbatch-chunks-dlq";
    static final String WEBHOOKS_TABLE = "openbatch-webhooks";
    static final String WEBHOOK_QUEUE = "openbatch-webhooks";
    static final String WEBHOOK_DEAD_LETTER_QUEUE = "openbatch-webhooks-dlq";
    static final String STATE_MACHINE = "openbatch-batch";
    /** The functions, named as the cloud stack's construct ids say them (ValidateFunction, ...). */
    static final String API_FUNCTION = "openbatch-api";

    static final String AUTHORIZER_FUNCTION = "openbatch-authorizer";
    static final String VALIDATE_FUNCTION = "openbatch-validate";
    static final String FINALIZE_FUNCTION = "openbatch-finalize";
    static final String WORKER_FUNCTION = "openbatch-worker";
    static final String DEAD_LETTER_FUNCTION = "openbatch-dead-letters";
    static final String INGEST_FUNCTION = "openbatch-ingest";
    static final String SWEEPER_FUNCTION = "openbatch-sweeper";
    static final String WEBHOOKS_FUNCTION = "openbatch-webhooks";
    static final String DEFAULT_JOB = "job-local";
    /** The bucket for images the local runtime creates, so a user can copy images in right away. */
    static final String IMAGE_BUCKET = "openbatch-images";
    /** The chunk queue's receive limit before a message goes to the dead-letter queue, as in the cloud. */
    static final int MAX_RECEIVES = CloudLimits.MAX_RECEIVES;
    /** The worker's timeout and its requests', a deployment's defaults. */
    static final Duration WORKER_TIMEOUT = Duration.ofSeconds(CloudLimits.LAMBDA_TIMEOUT_SECONDS);

    static final Settings.Retries RETRIES = new Settings.Retries(
            Duration.ofSeconds(CloudLimits.longestRequestTimeout(CloudLimits.LAMBDA_TIMEOUT_SECONDS)),
            Settings.Retries.DEFAULT.requestRetryDelay(),
            Settings.Retries.DEFAULT.chunkRetryDelay());

    /** The webhook sender's event source: messages per invocation, and its maximum concurrency, as the stack's. */
    static final int WEBHOOK_BATCH_SIZE = 10;

    static final int WEBHOOK_SENDERS = 2;

    /** Emulators accept any credentials; the SDK still wants a pair to sign with. */
    static final String CREDENTIALS = "local:local";

    /**
     * How to run.
     *
     * @param host              the interface every server listens on
     * @param apiPort           the API (0 picks a free port)
     * @param s3Port            the local S3 endpoint (0 picks a free port)
     * @param dynamoPort        DynamoDB Local (0 picks a free port)
     * @param sqsPort           ElasticMQ (0 picks a free port)
     * @param dataDir           where DynamoDB and S3 keep their data across restarts
     * @param region            the region the clients sign for
     * @param endpoint          the default job's inference endpoint; null starts the reference endpoint
     * @param reference         how the reference endpoint behaves (latency, cap, faults), when it is started
     * @param jobConcurrency    the default job's requests in flight, shared by the chunks the runtime runs at once
     * @param chunkLines        the fewest request lines per chunk, the input spread over {@code mapConcurrency}
     * @param mapConcurrency    chunks of one batch in flight at once
     * @param workers           chunk-queue pollers, as the event source's maximum concurrency
     * @param window24h         how long the {@code 24h} completion window lasts (shortened in tests)
     * @param deliveries        how many times the event source hands each chunk message to a worker, and
     *                          the S3 watcher each drop's event to the ingest function (1; 2 in tests
     *                          that prove duplicates change nothing)
     * @param images            where the worker may fetch images from
     * @param tenants           the tenants API keys may act for, who may all use the default job; empty
     *                          turns API keys off and every request acts for the tenant {@code default}
     * @param retries           the request timeout and how soon a failed chunk is delivered again
     *                          (shortened in tests)
     * @param workerTimeout     how long one worker invocation may run, as its Lambda timeout; the chunk
     *                          queue hides a received message six times as long
     * @param workerBatchSize   chunk messages per worker invocation
     * @param jobs              the job catalog as the functions read it, from a deployment's configuration;
     *                          null: the one job {@code job-local} on {@code endpoint}, of {@code jobConcurrency}
     * @param duplicateDeliveryWhileRunning whether the event sources also hand each message, on its first
     *                          receive, to a second sandbox while its first run is still going, as a
     *                          standard queue may (off; on in tests that prove overlapping runs are safe)
     * @param sweeper           how often the sweeper runs, and its bounds (shortened in tests)
     * @param webhooks          which receivers webhook deliveries may reach, and how they are retried
     * @param replicas          how many reference endpoints to start for the default job, each its own
     *                          replica of {@code jobConcurrency} (1; more makes the job a pool)
     */
    public record Options(
            String host,
            int apiPort,
            int s3Port,
            int dynamoPort,
            int sqsPort,
            Path dataDir,
            String region,
            URI endpoint,
            dev.openbatch.reference.Options reference,
            int jobConcurrency,
            int chunkLines,
            int mapConcurrency,
            int workers,
            Duration window24h,
            int deliveries,
            Images images,
            List<String> tenants,
            Settings.Retries retries,
            Duration workerTimeout,
            int workerBatchSize,
            String jobs,
            boolean duplicateDeliveryWhileRunning,
            Sweeper sweeper,
            Webhooks webhooks,
            int replicas) {

        public Options {
            replicas = Math.max(1, replicas);
            webhooks = webhooks == null ? Webhooks.defaults() : webhooks;
            tenants = List.copyOf(tenants);
            workerTimeout = workerTimeout == null ? WORKER_TIMEOUT : workerTimeout;
        }

        /** {@code bin/local}'s options but for the data directory and DynamoDB's port. */
        public static Options defaults(Path dataDir, int dynamoPort) {
            return builder().dataDir(dataDir).dynamoPort(dynamoPort).build();
        }

        /** {@code bin/local}'s options, to change by name: {@code Options.builder().chunkLines(100)...build()}. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder that starts from these options. */
        public Builder toBuilder() {
            Builder builder = new Builder();
            builder.host = host;
            builder.apiPort = apiPort;
            builder.s3Port = s3Port;
            builder.dynamoPort = dynamoPort;
            builder.sqsPort = sqsPort;
            builder.dataDir = dataDir;
            builder.region = region;
            builder.endpoint = endpoint;
            builder.reference = reference;
            builder.jobConcurrency = jobConcurrency;
            builder.chunkLines = chunkLines;
            builder.mapConcurrency = mapConcurrency;
            builder.workers = workers;
            builder.window24h = window24h;
            builder.deliveries = deliveries;
            builder.images = images;
            builder.tenants = tenants;
            builder.retries = retries;
            builder.workerTimeout = workerTimeout;
            builder.workerBatchSize = workerBatchSize;
            builder.jobs = jobs;
            builder.duplicateDeliveryWhileRunning = duplicateDeliveryWhileRunning;
            builder.sweeper = sweeper;
            builder.webhooks = webhooks;
            builder.replicas = replicas;
            return builder;
        }

        /**
         * These options, with what a deployment's configuration says in place of the deployment's part:
         * its jobs (each credential given by {@code credential}, from a job id: there is no Secrets
         * Manager here), chunk size, Map concurrency, worker (timeout, batch size, request timeout,
         * {@code max_concurrency} as the number of workers) and image buckets and hosts. API keys are
         * required, for the tenants the jobs name, as in the cloud.
         */
        public Options with(DeploymentConfig config, Function<String, String> credential) {
            DeploymentConfig.Worker worker = config.worker();
            JobCatalog catalog = config.jobCatalog();
            List<Job> listed = new ArrayList<>();
            config.jobs()
                    .path("jobs")
                    .forEach(j -> listed.add(catalog.find(j.path("id").asText()).orElseThrow()));
            if (listed.isEmpty()) {
                throw new IllegalArgumentException("jobs: the configuration names no job to run batches on");
            }
            URI firstEndpoint = catalog.defaultJob()
                    .orElse(listed.getFirst())
                    .endpoints()
                    .getFirst()
                    .baseUrl();
            List<String> jobTenants = listed.stream()
                    .flatMap(j -> j.tenants().stream())
                    .distinct()
                    .toList();
            return toBuilder()
                    .endpoint(firstEndpoint)
                    .chunkLines(config.chunkLines())
                    .mapConcurrency(config.mapConcurrency())
                    .workers(worker.maxConcurrency())
                    .images(new Images(
                            config.imageBuckets(),
                            images.bucketRegions(),
                            Set.copyOf(config.imageTrustedHosts()),
                            images.allowHttp(),
                            images.trustPem()))
                    .tenants(jobTenants)
                    .retries(new Settings.Retries(
                            Duration.ofSeconds(worker.requestTimeoutSeconds()),
                            retries.requestRetryDelay(),
                            retries.chunkRetryDelay()))
                    .workerTimeout(Duration.ofSeconds(worker.timeoutSeconds()))
                    .workerBatchSize(worker.batchSize())
                    .jobs(config.jobsJsonWithCredentials(credential))
                    .build();
        }

        public boolean apiKeys() {
            return !tenants.isEmpty();
        }

        /**
         * These options with the default job a pool of {@code endpoints} (servers of your own, say),
         * each of {@code jobConcurrency}, in place of {@code endpoint}.
         */
        public Options withEndpoints(List<URI> endpoints) {
            Map<String, Object> job = new HashMap<>(Map.of(
                    "id",
                    DEFAULT_JOB,
                    "endpoints",
                    endpoints.stream()
                            .map(e -> Map.of("base_url", e.toString(), "concurrency", jobConcurrency))
                            .toList()));
            if (!tenants.isEmpty()) {
                job.put("tenants", tenants);
            }
            return toBuilder()
                    .endpoint(endpoints.getFirst())
                    .jobs(Json.writeString(Map.of("default_job", DEFAULT_JOB, "jobs", List.of(job))))
                    .build();
        }

        /** These options with {@code replicas} reference endpoints for the default job: a pool. */
        public Options withReplicas(int replicas) {
            return toBuilder().replicas(replicas).build();
        }

        public Options withRetries(Settings.Retries retries) {
            return toBuilder().retries(retries).build();
        }

        /** A worker stopped sooner than a deployment's (tests and experiments); its requests' timeout is not checked against it. */
        public Options withWorkerTimeout(Duration workerTimeout) {
            return toBuilder().workerTimeout(workerTimeout).build();
        }

        public Options withDuplicateDeliveryWhileRunning(boolean duplicateDeliveryWhileRunning) {
            return toBuilder()
                    .duplicateDeliveryWhileRunning(duplicateDeliveryWhileRunning)
                    .build();
        }

        public Options withWebhooks(Webhooks webhooks) {
            return toBuilder().webhooks(webhooks).build();
        }

        public Options withSweeper(Sweeper sweeper) {
            return toBuilder().sweeper(sweeper).build();
        }

        /** Options named one by one, each {@code bin/local}'s default until set. */
        public static final class Builder {
            private String host = "127.0.0.1";
            private int apiPort = 8080;
            private int s3Port = 4566;
            private int dynamoPort = 4567;
            private int sqsPort = 9324;
            private Path dataDir = Path.of(".openbatch");
            private String region = "us-east-1";
            private URI endpoint = null;
            private dev.openbatch.reference.Options reference = dev.openbatch.reference.Options.defaults();
            private int jobConcurrency = 64;
            private int chunkLines = 500;
            private int mapConcurrency = 10;
            private int workers = 10;
            private Duration window24h = Duration.ofHours(24);
            private int deliveries = 1;
            private Images images = Images.defaults();
            private List<String> tenants = List.of();
            private Settings.Retries retries = RETRIES;
            private Duration workerTimeout = WORKER_TIMEOUT;
            private int workerBatchSize = 1;
            private String jobs = null;
            private boolean duplicateDeliveryWhileRunning = false;
            private Sweeper sweeper = Sweeper.DEFAULT;
            private Webhooks webhooks = Webhooks.defaults();
            private int replicas = 1;

            private Builder() {}

            public Builder host(String host) {
                this.host = host;
                return this;
            }

            public Builder apiPort(int apiPort) {
                this.apiPort = apiPort;
                return this;
            }

            public Builder s3Port(int s3Port) {
                this.s3Port = s3Port;
                return this;
            }

            public Builder dynamoPort(int dynamoPort) {
                this.dynamoPort = dynamoPort;
                return this;
            }

            public Builder sqsPort(int sqsPort) {
                this.sqsPort = sqsPort;
                return this;
            }

            public Builder dataDir(Path dataDir) {
                this.dataDir = dataDir;
                return this;
            }

            public Builder region(String region) {
                this.region = region;
                return this;
            }

            public Builder endpoint(URI endpoint) {
                this.endpoint = endpoint;
                return this;
            }

            public Builder reference(dev.openbatch.reference.Options reference) {
                this.reference = reference;
                return this;
            }

            public Builder jobConcurrency(int jobConcurrency) {
                this.jobConcurrency = jobConcurrency;
                return this;
            }

            public Builder chunkLines(int chunkLines) {
                this.chunkLines = chunkLines;
                return this;
            }

            public Builder mapConcurrency(int mapConcurrency) {
                this.mapConcurrency = mapConcurrency;
                return this;
            }

            public Builder workers(int workers) {
                this.workers = workers;
                return this;
            }

            public Builder window24h(Duration window24h) {
                this.window24h = window24h;
                return this;
            }

            public Builder deliveries(int deliveries) {
                this.deliveries = deliveries;
                return this;
            }

            public Builder images(Images images) {
                this.images = images;
                return this;
            }

            public Builder tenants(List<String> tenants) {
                this.tenants = tenants;
                return this;
            }

            public Builder retries(Settings.Retries retries) {
                this.retries = retries;
                return this;
            }

            public Builder workerTimeout(Duration workerTimeout) {
                this.workerTimeout = workerTimeout;
                return this;
            }

            public Builder workerBatchSize(int workerBatchSize) {
                this.workerBatchSize = workerBatchSize;
                return this;
            }

            public Builder jobs(String jobs) {
                this.jobs = jobs;
                return this;
            }

            public Builder duplicateDeliveryWhileRunning(boolean duplicateDeliveryWhileRunning) {
                this.duplicateDeliveryWhileRunning = duplicateDeliveryWhileRunning;
                return this;
            }

            public Builder sweeper(Sweeper sweeper) {
                this.sweeper = sweeper;
                return this;
            }

            public Builder webhooks(Webhooks webhooks) {
                this.webhooks = webhooks;
                return this;
            }

            public Builder replicas(int replicas) {
                this.replicas = replicas;
                return this;
            }

            public Options build() {
                return new Options(
                        host,
                        apiPort,
                        s3Port,
                        dynamoPort,
                        sqsPort,
                        dataDir,
                        region,
                        endpoint,
                        reference,
                        jobConcurrency,
                        chunkLines,
                        mapConcurrency,
                        workers,
                        window24h,
                        deliveries,
                        images,
                        tenants,
                        retries,
                        workerTimeout,
                        workerBatchSize,
                        jobs,
                        duplicateDeliveryWhileRunning,
                        sweeper,
                        webhooks,
                        replicas);
            }
        }
    }

    /**
     * Where webhook deliveries may go, locally.
     *
     * @param trustedHosts receiver hosts whose addresses are not checked to be public
     * @param allowHttp    whether plain {@code http://} receivers are delivered to
     * @param retries      when a delivery without a 2xx is tried again (shortened in tests)
     */
    public record Webhooks(Set<String> trustedHosts, boolean allowHttp, RetrySchedule retries) {

        public Webhooks {
            trustedHosts = Set.copyOf(trustedHosts);
        }

        /** https only, every host checked, a deployment's retries. */
        public static Webhooks defaults() {
            return new Webhooks(Set.of(), false, RetrySchedule.DEFAULT);
        }
    }

    /**
     * The sweeper, as the cloud's schedule rule runs it.
     *
     * @param period how long from one sweep to the next (the cloud's rule: 5 minutes)
     * @param bounds how long a batch may wait before the sweeper acts, see {@link Sweep.Bounds}
     */
    public record Sweeper(Duration period, Sweep.Bounds bounds) {

        public static final Sweeper DEFAULT = new Sweeper(Duration.ofMinutes(5), Sweep.Bounds.DEFAULT);
    }

    /**
     * What tests put between the runtime and its functions, to make a step fail, stop or repeat as
     * it may in the cloud; {@link #NONE} otherwise. {@code stepFunctionsSqs} wraps the client Step
     * Functions sends chunk messages with, to make SendMessage fail as SQS may.
     */
    record Interceptors(
            UnaryOperator<Function<JsonNode, JsonNode>> validator,
            UnaryOperator<Function<JsonNode, JsonNode>> finalizer,
            UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> worker,
            UnaryOperator<SqsClient> stepFunctionsSqs) {

        static final Interceptors NONE = new Interceptors(f -> f, f -> f, w -> w);

        Interceptors(
                UnaryOperator<Function<JsonNode, JsonNode>> validator,
                UnaryOperator<Function<JsonNode, JsonNode>> finalizer,
                UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> worker) {
            this(validator, finalizer, worker, c -> c);
        }
    }

    /**
     * Where the worker may fetch images from, locally.
     *
     * @param buckets       the buckets {@code s3://} URLs may name; created in the local S3 when missing
     * @param bucketRegions the region a bucket stands in for, when not the runtime's own
     * @param trustedHosts  https hosts whose addresses are not checked to be public
     * @param allowHttp     whether plain {@code http://} images are fetched
     * @param trustPem      certificates trusted for https images besides the JVM's, or null
     */
    public record Images(
            List<String> buckets,
            Map<String, String> bucketRegions,
            Set<String> trustedHosts,
            boolean allowHttp,
            Path trustPem) {

        public Images {
            buckets = List.copyOf(buckets);
            bucketRegions = Map.copyOf(bucketRegions);
            trustedHosts = Set.copyOf(trustedHosts);
        }

        public static Images defaults() {
            return new Images(List.of(IMAGE_BUCKET), Map.of(), Set.of(), false, null);
        }
    }

    private final List<AutoCloseable> parts;
    private final LocalApiGateway gateway;
    private final EmbeddedAws aws;
    private final URI inferenceEndpoint;
    private final Options options;
    private Settings settings;
    private volatile boolean ready;
    private URI stepFunctionsEndpoint;
    private Path eventLog;
    private int resumedExecutions;

    private LocalRuntime(
            Options options,
            EmbeddedAws aws,
            URI inferenceEndpoint,
            LocalApiGateway gateway,
            List<AutoCloseable> parts) {
        this.options = options;
        this.aws = aws;
        this.inferenceEndpoint = inferenceEndpoint;
        this.gateway = gateway;
        this.parts = parts;
    }

    public static LocalRuntime start(Options options) {
        return start(options, Interceptors.NONE);
    }

    static LocalRuntime start(Options options, Interceptors interceptors) {
        return start(options, interceptors, List.of());
    }

    /** A runtime whose catalog offers {@code moreJobs} beside the default job (as JobCatalog reads them). */
    static LocalRuntime start(Options options, Interceptors interceptors, List<Map<String, Object>> moreJobs) {
        List<AutoCloseable> started = new ArrayList<>();
        try {
            EmbeddedAws aws = EmbeddedAws.start(
                    options.host(),
                    options.dataDir(),
                    options.dynamoPort(),
                    options.s3Port(),
                    options.sqsPort(),
                    options.region());
            started.add(aws);
            URI endpoint = options.endpoint();
            List<Map<String, Object>> replicas = new ArrayList<>();
            if (endpoint == null && options.jobs() == null) {
                for (int i = 0; i < options.replicas(); i++) {
                    ReferenceEndpoint reference = ReferenceEndpoint.start(options.reference());
                    started.add(reference);
                    replicas.add(Map.of(
                            "base_url", reference.baseUrl().toString(), "concurrency", options.jobConcurrency()));
                }
                endpoint = URI.create((String) replicas.getFirst().get("base_url"));
            }
            Map<String, Object> job = new HashMap<>(Map.of("id", DEFAULT_JOB));
            if (replicas.size() > 1) {
                job.put("endpoints", replicas);
            } else {
                job.put("base_url", endpoint.toString());
                job.put("concurrency", options.jobConcurrency());
            }
            if (options.apiKeys()) {
                job.put("tenants", options.tenants());
            }
            List<Map<String, Object>> catalog = new ArrayList<>(List.of(job));
            catalog.addAll(moreJobs);
            String jobs = options.jobs() != null
                    ? options.jobs()
                    : Json.writeString(Map.of("default_job", DEFAULT_JOB, "jobs", catalog));
            String stateMachineArn = "arn:aws:states:" + options.region() + ":" + LocalStepFunctions.ACCOUNT
                    + ":stateMachine:" + STATE_MACHINE;

            // The functions need the Step Functions endpoint, and Step Functions needs the functions:
            // it gets names that reach the handlers, which exist before any execution can start.
            Map<String, LocalLambda<Function<JsonNode, JsonNode>>> handlers = new ConcurrentHashMap<>();
            Map<String, Function<JsonNode, JsonNode>> functions = Map.of(
                    VALIDATE_FUNCTION, payload -> invoke(handlers.get(VALIDATE_FUNCTION), payload),
                    FINALIZE_FUNCTION, payload -> invoke(handlers.get(FINALIZE_FUNCTION), payload));
            RegionalS3 regions = RegionalS3.start(
                    options.host(),
                    aws.s3Endpoint(),
                    options.region(),
                    options.images().bucketRegions());
            started.add(regions);
            Settings bootstrap = settings(options, aws, null, regions, jobs, stateMachineArn, null);
            AwsClients clients = new AwsClients(bootstrap);
            SqsClient sqs = clients.sqs();
            Queue queue = provision(
                    bootstrap, clients, sqs, options.images().buckets(), CloudLimits.chunkVisibilitySeconds((int)
                            Math.max(1, options.workerTimeout().toSeconds())));
            String deadLetterUrl =
                    sqs.getQueueUrl(b -> b.queueName(DEAD_LETTER_QUEUE)).queueUrl();
            Queue deadLetters = new Queue(deadLetterUrl, arn(sqs, deadLetterUrl));

            // The functions' sandboxes are discarded after the state machine and the event sources have stopped.
            List<LocalLambda<?>> lambdas = new ArrayList<>();
            started.add(() -> lambdas.forEach(LocalLambda::close));
            // Executions are kept in the data directory, so a runtime stopped or killed mid-batch resumes it.
            // The state machine's own calls are its role's: invoking the two functions, sending chunk messages.
            SqsClient stateMachineSqs = new AwsClients(
                            bootstrap,
                            List.of(LocalPermissions.stateMachineInterceptor(Permissions.deployed(), bootstrap)))
                    .sqs();
            started.add(stateMachineSqs);
            Map<String, Function<JsonNode, JsonNode>> invoked = new HashMap<>();
            functions.forEach((name, function) -> invoked.put(
                    name, LocalPermissions.invokedByStateMachine(Permissions.deployed(), bootstrap, name, function)));
            LocalStepFunctions stepFunctions = new LocalStepFunctions(
                    options.region(),
                    invoked,
                    interceptors.stepFunctionsSqs().apply(stateMachineSqs),
                    options.dataDir().resolve("stepfunctions"));
            started.add(stepFunctions);
            StepFunctionsServer server = StepFunctionsServer.start(stepFunctions, options.host(), 0);
            started.add(server);
            LocalEventBus bus = LocalEventBus.start(options.host(), options.dataDir(), options.region());
            started.add(bus);

            Queue webhookQueue = provisionWebhooks(sqs);
            Settings settings = settings(
                            options, aws, server.endpoint(), regions, jobs, stateMachineArn, webhookQueue.url())
                    .withEventBus(bus.endpoint(), "default");
            handlers.put(
                    VALIDATE_FUNCTION,
                    add(
                            lambdas,
                            new LocalLambda<>(
                                    VALIDATE_FUNCTION,
                                    Duration.ofSeconds(FunctionTimeouts.VALIDATE_SECONDS),
                                    LocalLambda.ACCOUNT_CONCURRENCY,
                                    sandbox -> interceptors
                                            .validator()
                                            .apply(invoker(
                                                    new ValidateHandler(wiring(settings, VALIDATE_FUNCTION)),
                                                    sandbox)))));
            handlers.put(
                    FINALIZE_FUNCTION,
                    add(
                            lambdas,
                            new LocalLambda<>(
                                    FINALIZE_FUNCTION,
                                    Duration.ofSeconds(FunctionTimeouts.FINALIZE_SECONDS),
                                    LocalLambda.ACCOUNT_CONCURRENCY,
                                    sandbox -> interceptors
                                            .finalizer()
                                            .apply(invoker(
                                                    new FinalizeHandler(wiring(settings, FINALIZE_FUNCTION)),
                                                    sandbox)))));
            String registered = stepFunctions.register(
                    STATE_MACHINE,
                    definition(),
                    Map.of(
                            "ValidateFunctionArn", VALIDATE_FUNCTION,
                            "FinalizeFunctionArn", FINALIZE_FUNCTION,
                            "ChunkQueueUrl", queue.url()));
            if (!registered.equals(stateMachineArn)) {
                throw new IllegalStateException("the state machine registered as " + registered);
            }
            int resumed = stepFunctions.resumeExecutions();
            // The worker's sandboxes are at most its event source's maximum concurrency, as in the cloud.
            started.add(new SqsEventSource(
                    sqs,
                    queue.url(),
                    queue.arn(),
                    options.workerBatchSize(),
                    options.workers(),
                    options.deliveries(),
                    options.duplicateDeliveryWhileRunning(),
                    add(
                            lambdas,
                            new LocalLambda<>(
                                    WORKER_FUNCTION,
                                    options.workerTimeout(),
                                    options.workers(),
                                    sandbox -> interceptors
                                            .worker()
                                            .apply(new WorkerHandler(wiring(settings, WORKER_FUNCTION)))))));
            // In the cloud, a function with an event source on the dead-letter queue.
            started.add(new SqsEventSource(
                    sqs,
                    deadLetters.url(),
                    deadLetters.arn(),
                    1,
                    1,
                    options.deliveries(),
                    options.duplicateDeliveryWhileRunning(),
                    add(
                            lambdas,
                            new LocalLambda<>(
                                    DEAD_LETTER_FUNCTION,
                                    Duration.ofSeconds(FunctionTimeouts.DEAD_LETTER_SECONDS),
                                    LocalLambda.ACCOUNT_CONCURRENCY,
                                    sandbox -> new DeadLetterHandler(wiring(settings, DEAD_LETTER_FUNCTION))))));
            // The webhook sender, with an event source on the webhook queue, as in the cloud.
            started.add(new SqsEventSource(
                    sqs,
                    webhookQueue.url(),
                    webhookQueue.arn(),
                    WEBHOOK_BATCH_SIZE,
                    WEBHOOK_SENDERS,
                    1,
                    false,
                    add(
                            lambdas,
                            new LocalLambda<>(
                                    WEBHOOKS_FUNCTION,
                                    Duration.ofSeconds(FunctionTimeouts.WEBHOOKS_SECONDS),
                                    WEBHOOK_SENDERS,
                                    sandbox -> new WebhookSenderHandler(wiring(settings, WEBHOOKS_FUNCTION))))));
            // In the cloud, a function an EventBridge schedule rule invokes (asynchronously: 256 KB events).
            LocalLambda<Function<JsonNode, JsonNode>> sweeper = add(
                    lambdas,
                    new LocalLambda<>(
                            SWEEPER_FUNCTION,
                            Duration.ofSeconds(FunctionTimeouts.SWEEPER_SECONDS),
                            LocalLambda.ACCOUNT_CONCURRENCY,
                            sandbox -> LocalLambda.json(
                                    new SweeperHandler(
                                            wiring(settings, SWEEPER_FUNCTION),
                                            options.sweeper().bounds()),
                                    sandbox,
                                    LocalLambda.MAX_ASYNC_PAYLOAD_BYTES)));
            started.add(new LocalSchedule(
                    SWEEPER_FUNCTION,
                    options.region(),
                    options.sweeper().period(),
                    payload -> invoke(sweeper, payload)));
            S3Client watcherS3 = clients.s3();
            started.add(watcherS3);
            // EventBridge invokes the ingest function asynchronously: its event stops at 256 KB.
            LocalLambda<Function<JsonNode, JsonNode>> ingest = add(
                    lambdas,
                    new LocalLambda<>(
                            INGEST_FUNCTION,
                            Duration.ofSeconds(FunctionTimeouts.INGEST_SECONDS),
                            LocalLambda.ACCOUNT_CONCURRENCY,
                            sandbox -> LocalLambda.json(
                                    new IngestHandler(wiring(settings, INGEST_FUNCTION)),
                                    sandbox,
                                    LocalLambda.MAX_ASYNC_PAYLOAD_BYTES)));
            started.add(new S3DropWatcher(
                    watcherS3,
                    INGEST_BUCKET,
                    options.region(),
                    options.deliveries(),
                    payload -> invoke(ingest, payload)));

            LocalRuntime[] self = new LocalRuntime[1];
            LocalApiGateway gateway = new LocalApiGateway(
                    options.host(),
                    options.apiPort(),
                    add(
                            lambdas,
                            new LocalLambda<>(
                                    API_FUNCTION,
                                    Duration.ofSeconds(FunctionTimeouts.API_SECONDS),
                                    LocalLambda.ACCOUNT_CONCURRENCY,
                                    sandbox -> new ApiHandler(wiring(settings, API_FUNCTION)))),
                    options.apiKeys()
                            ? add(
                                    lambdas,
                                    new LocalLambda<>(
                                            AUTHORIZER_FUNCTION,
                                            Duration.ofSeconds(FunctionTimeouts.AUTHORIZER_SECONDS),
                                            LocalLambda.ACCOUNT_CONCURRENCY,
                                            sandbox -> new AuthorizerHandler(wiring(settings, AUTHORIZER_FUNCTION))))
                            : null,
                    () -> self[0] != null && self[0].ready);
            self[0] = new LocalRuntime(options, aws, endpoint, gateway, started);
            self[0].stepFunctionsEndpoint = server.endpoint();
            self[0].eventLog = bus.log();
            self[0].settings = settings;
            self[0].resumedExecutions = resumed;
            gateway.start();
            self[0].ready = true;
            return self[0];
        } catch (RuntimeException e) {
            closeAll(started);
            throw e;
        }
    }

    private static Settings settings(
            Options options,
            EmbeddedAws aws,
            URI sfnEndpoint,
            RegionalS3 regions,
            String jobs,
            String stateMachineArn,
            String webhookQueueUrl) {
        Images images = options.images();
        Map<String, URI> endpoints = new HashMap<>(Map.of(
                Settings.S3,
                aws.s3Endpoint(),
                Settings.DYNAMODB,
                aws.dynamoEndpoint(),
                Settings.SQS,
                aws.sqsEndpoint()));
        if (sfnEndpoint != null) {
            endpoints.put(Settings.SFN, sfnEndpoint);
        }
        return Settings.builder()
                .region(options.region())
                .bucket(BUCKET)
                .filesTable(FILES_TABLE)
                .batchesTable(BATCHES_TABLE)
                .jobsJson(jobs)
                .stateMachineArn(stateMachineArn)
                .chunkLines(options.chunkLines())
                .mapConcurrency(options.mapConcurrency())
                .window24h(options.window24h())
                .endpoints(endpoints)
                .staticCredentials(Optional.of(CREDENTIALS.split(":", 2)))
                .images(new Settings.Images(
                        String.join(",", images.buckets()),
                        images.trustedHosts(),
                        images.allowHttp(),
                        Optional.ofNullable(images.trustPem()),
                        Optional.of(regions.endpoint())))
                .ingestBucket(Optional.of(INGEST_BUCKET))
                .keysTable(KEYS_TABLE)
                .retries(options.retries())
                .capacityTable(CAPACITY_TABLE)
                .webhooks(new Settings.Webhooks(
                        WEBHOOKS_TABLE,
                        webhookQueueUrl,
                        options.webhooks().trustedHosts(),
                        options.webhooks().allowHttp(),
                        options.webhooks().retries()))
                .build();
    }

    /**
     * The wiring of one function's sandbox: its own clients and ports, as each Lambda execution
     * environment builds its own; nothing in it is shared with another function or sandbox.
     */
    static Wiring wiring(Settings settings, String function) {
        // Every call the function makes is checked against its role, as IAM checks it in the account.
        return new Wiring(settings, List.of(LocalPermissions.interceptor(Permissions.deployed(), settings, function)));
    }

    /** The one orchestration definition, packaged from {@code statemachine/batch.asl.json}. */
    static String definition() {
        try (InputStream in = LocalRuntime.class.getResourceAsStream("/statemachine/batch.asl.json")) {
            if (in == null) {
                throw new IllegalStateException("statemachine/batch.asl.json is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What Lambda does for {@code lambda:invoke} in one sandbox: the payload in, the function's JSON
     * out, each at most {@link LocalLambda#MAX_SYNC_PAYLOAD_BYTES}.
     */
    static Function<JsonNode, JsonNode> invoker(RequestStreamHandler handler, Sandbox sandbox) {
        return LocalLambda.json(handler, sandbox, LocalLambda.MAX_SYNC_PAYLOAD_BYTES);
    }

    /** One invocation of a JSON function, in whichever of its sandboxes is free. */
    private static JsonNode invoke(LocalLambda<Function<JsonNode, JsonNode>> function, JsonNode payload) {
        return function.invoke((handler, context) -> handler.apply(payload));
    }

    private static <L extends LocalLambda<?>> L add(List<LocalLambda<?>> lambdas, L lambda) {
        lambdas.add(lambda);
        return lambda;
    }

    private record Queue(String url, String arn) {}

    /** Creates what the cloud stack declares, where it does not exist yet. */
    private static Queue provision(
            Settings settings, AwsClients clients, SqsClient sqs, List<String> imageBuckets, int visibilitySeconds) {
        try (S3Client s3 = clients.s3();
                DynamoDbClient dynamo = clients.dynamoDb()) {
            // An image bucket may name its owner's account (bucket:123456789012): the bucket is its name.
            List<String> buckets = new ArrayList<>(
                    imageBuckets.stream().map(b -> b.split(":", 2)[0]).toList());
            buckets.add(settings.bucket());
            buckets.add(INGEST_BUCKET);
            for (String bucket : buckets) {
                try {
                    s3.headBucket(b -> b.bucket(bucket));
                } catch (NoSuchBucketException e) {
                    s3.createBucket(b -> b.bucket(bucket));
                }
            }
            for (CreateTableRequest table : List.of(
                    Tables.files(settings.filesTable()),
                    Tables.batches(settings.batchesTable()),
                    Tables.apiKeys(settings.keysTable()),
                    Tables.capacity(settings.capacityTable()),
                    Tables.webhookEndpoints(WEBHOOKS_TABLE))) {
                try {
                    TableDescription existing = dynamo.describeTable(b -> b.tableName(table.tableName()))
                            .table();
                    if (table.tableName().equals(settings.batchesTable()) && !Tables.hasSweepIndex(existing)) {
                        addSweepIndex(dynamo, table.tableName());
                    }
                    if (table.tableName().equals(settings.filesTable()) && !Tables.hasExpiryIndex(existing)) {
                        addIndex(dynamo, Tables.addExpiryIndex(table.tableName()));
                    }
                } catch (ResourceNotFoundException e) {
                    dynamo.createTable(table);
                }
            }
        }
        String dlqUrl = sqs.createQueue(b -> b.queueName(DEAD_LETTER_QUEUE)).queueUrl();
        String dlqArn = arn(sqs, dlqUrl);
        String url = sqs.createQueue(b -> b.queueName(CHUNK_QUEUE)
                        .attributes(Map.of(
                                QueueAttributeName.VISIBILITY_TIMEOUT,
                                Integer.toString(visibilitySeconds),
                                QueueAttributeName.MESSAGE_RETENTION_PERIOD,
                                Integer.toString(CloudLimits.RETENTION_SECONDS),
                                QueueAttributeName.REDRIVE_POLICY,
                                "{\"maxReceiveCount\":\"" + MAX_RECEIVES + "\",\"deadLetterTargetArn\":\"" + dlqArn
                                        + "\"}")))
                .queueUrl();
        return new Queue(url, arn(sqs, url));
    }

    /**
     * The webhook queue, as the cloud stack declares it: kept 14 days (beyond the 72 hours of retries),
     * hidden six times the sender's timeout, and past its receive limit to its dead-letter queue.
     */
    private static Queue provisionWebhooks(SqsClient sqs) {
        String dlqUrl =
                sqs.createQueue(b -> b.queueName(WEBHOOK_DEAD_LETTER_QUEUE)).queueUrl();
        String dlqArn = arn(sqs, dlqUrl);
        String url = sqs.createQueue(b -> b.queueName(WEBHOOK_QUEUE)
                        .attributes(Map.of(
                                QueueAttributeName.VISIBILITY_TIMEOUT,
                                Integer.toString(
                                        CloudLimits.VISIBILITY_PER_WORKER_TIMEOUT * FunctionTimeouts.WEBHOOKS_SECONDS),
                                QueueAttributeName.MESSAGE_RETENTION_PERIOD,
                                Integer.toString(CloudLimits.RETENTION_SECONDS),
                                QueueAttributeName.REDRIVE_POLICY,
                                "{\"maxReceiveCount\":\"" + CloudLimits.WEBHOOK_MAX_RECEIVES
                                        + "\",\"deadLetterTargetArn\":\"" + dlqArn + "\"}")))
                .queueUrl();
        return new Queue(url, arn(sqs, url));
    }

    /**
     * Adds the sweeper's index to a batches table kept from before it existed, and waits until it
     * serves: DynamoDB Local fails writes to a table whose new index is still being built.
     */
    static void addSweepIndex(DynamoDbClient dynamo, String table) {
        addIndex(dynamo, Tables.addSweepIndex(table));
    }

    /** Adds an index to a table kept from before it existed, and waits until it serves. */
    static void addIndex(DynamoDbClient dynamo, UpdateTableRequest update) {
        String table = update.tableName();
        dynamo.updateTable(update);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!dynamo.describeTable(b -> b.tableName(table)).table().globalSecondaryIndexes().stream()
                .allMatch(index -> index.indexStatus() == IndexStatus.ACTIVE)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("a new index of " + table + " is not active after 60 s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private static String arn(SqsClient sqs, String queueUrl) {
        return sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes()
                .get(QueueAttributeName.QUEUE_ARN);
    }

    public URI apiBase() {
        return URI.create("http://" + options.host() + ":" + gateway.port() + "/v1");
    }

    /** Where operators drop input files: {@code s3://openbatch-ingest/incoming/<job_id>/<name>.jsonl}. */
    public String ingestBucket() {
        return INGEST_BUCKET;
    }

    public URI s3Endpoint() {
        return aws.s3Endpoint();
    }

    public URI dynamoEndpoint() {
        return aws.dynamoEndpoint();
    }

    public URI sqsEndpoint() {
        return aws.sqsEndpoint();
    }

    public URI inferenceEndpoint() {
        return inferenceEndpoint;
    }

    /** How often the local S3 told the image reader that a bucket lives in another region. */
    int imageRegionRedirects() {
        return parts.stream()
                .filter(RegionalS3.class::isInstance)
                .map(RegionalS3.class::cast)
                .mapToInt(RegionalS3::redirects)
                .sum();
    }

    /** What the built-in reference endpoint has seen; fails when the runtime calls another endpoint. */
    Stats referenceStats() {
        return references().stream()
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("the runtime calls " + inferenceEndpoint))
                .stats();
    }

    /** The built-in reference endpoints, one per replica of the default job (none when it calls another). */
    List<ReferenceEndpoint> references() {
        return parts.stream()
                .filter(ReferenceEndpoint.class::isInstance)
                .map(ReferenceEndpoint.class::cast)
                .toList();
    }

    public Path dataDir() {
        return options.dataDir();
    }

    /** How many executions that were running when the runtime last stopped it took up again. */
    public int resumedExecutions() {
        return resumedExecutions;
    }

    /** The events put on the account's default bus, one EventBridge event a line. */
    public Path eventLog() {
        return eventLog;
    }

    URI stepFunctionsEndpoint() {
        return stepFunctionsEndpoint;
    }

    /** The settings the functions are wired with: what a test builds further sandboxes of a function from. */
    Settings settings() {
        return settings;
    }

    @Override
    public void close() {
        ready = false;
        gateway.close();
        closeAll(parts);
    }

    /** Stops what was started, newest first: the API, then the workers, the state machine, the emulators. */
    private static void closeAll(List<AutoCloseable> parts) {
        List<AutoCloseable> reversed = new ArrayList<>(parts);
        Collections.reverse(reversed);
        for (AutoCloseable part : reversed) {
            try {
                part.close();
            } catch (Exception e) {
                System.getLogger(LocalRuntime.class.getName())
                        .log(
                                System.Logger.Level.WARNING,
                                "stopping " + part.getClass().getSimpleName() + " failed",
                                e);
            }
        }
    }
}
