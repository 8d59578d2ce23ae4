package dev.openbatch.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.aws.ApiHandler;
import dev.openbatch.aws.AuthorizerHandler;
import dev.openbatch.aws.DeadLetterHandler;
import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.FinalizeHandler;
import dev.openbatch.aws.IngestHandler;
import dev.openbatch.aws.Settings;
import dev.openbatch.aws.Tables;
import dev.openbatch.aws.ValidateHandler;
import dev.openbatch.aws.WorkerHandler;
import dev.openbatch.aws.Wiring;
import dev.openbatch.core.Json;
import dev.openbatch.local.reference.ReferenceEndpoint;
import dev.openbatch.local.reference.Stats;
import dev.openbatch.local.stepfunctions.LocalStepFunctions;
import dev.openbatch.local.stepfunctions.StepFunctionsServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
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
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
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
    static final String STATE_MACHINE = "openbatch-batch";
    /** The functions, named as the cloud stack's construct ids say them (ValidateFunction, ...). */
    static final String API_FUNCTION = "openbatch-api";
    static final String AUTHORIZER_FUNCTION = "openbatch-authorizer";
    static final String VALIDATE_FUNCTION = "openbatch-validate";
    static final String FINALIZE_FUNCTION = "openbatch-finalize";
    static final String WORKER_FUNCTION = "openbatch-worker";
    static final String DEAD_LETTER_FUNCTION = "openbatch-dead-letters";
    static final String INGEST_FUNCTION = "openbatch-ingest";
    static final String DEFAULT_JOB = "job-local";
    /** The bucket for images the local runtime creates, so a user can copy images in right away. */
    static final String IMAGE_BUCKET = "openbatch-images";
    /** The chunk queue's receive limit before a message goes to the dead-letter queue, as in the cloud. */
    static final int MAX_RECEIVES = 5;
    /** How long a received chunk stays invisible to other workers: longer than a chunk takes to run. */
    static final int VISIBILITY_TIMEOUT_SECONDS = 900;

    /** Emulators accept any credentials; the SDK still wants a pair to sign with. */
    static final String CREDENTIALS = "local:local";

    /**
     * How to run.
     *
     * @param host              the interface every server listens on
     * @param apiPort           the API (0 picks a free port)
     * @param s3Port            the local S3 endpoint (0 picks a free port)
     * @param dynamoPort        DynamoDB Local (a real port: it cannot report one it picked)
     * @param sqsPort           ElasticMQ (0 picks a free port)
     * @param dataDir           where DynamoDB and S3 keep their data across restarts
     * @param region            the region the clients sign for
     * @param endpoint          the default job's inference endpoint; null starts the reference endpoint
     * @param reference         how the reference endpoint behaves (latency, cap, faults), when it is started
     * @param jobConcurrency    the default job's requests in flight, shared by the chunks the runtime runs at once
     * @param chunkLines        request lines per chunk
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
     */
    public record Options(String host, int apiPort, int s3Port, int dynamoPort, int sqsPort, Path dataDir,
                          String region, URI endpoint, dev.openbatch.local.reference.Options reference,
                          int jobConcurrency, int chunkLines, int mapConcurrency, int workers, Duration window24h,
                          int deliveries, Images images, List<String> tenants, Settings.Retries retries) {

        public Options {
            tenants = List.copyOf(tenants);
        }

        /** Options with the cloud's default {@link Settings.Retries}. */
        public Options(String host, int apiPort, int s3Port, int dynamoPort, int sqsPort, Path dataDir,
                       String region, URI endpoint, dev.openbatch.local.reference.Options reference,
                       int jobConcurrency, int chunkLines, int mapConcurrency, int workers, Duration window24h,
                       int deliveries, Images images, List<String> tenants) {
            this(host, apiPort, s3Port, dynamoPort, sqsPort, dataDir, region, endpoint, reference, jobConcurrency,
                    chunkLines, mapConcurrency, workers, window24h, deliveries, images, tenants, Settings.Retries.DEFAULT);
        }

        public static Options defaults(Path dataDir, int dynamoPort) {
            return new Options("127.0.0.1", 8080, 4566, dynamoPort, 9324, dataDir, "us-east-1", null,
                    dev.openbatch.local.reference.Options.defaults(), 64, 500, 10, 10, Duration.ofHours(24), 1,
                    Images.defaults(), List.of());
        }

        public boolean apiKeys() {
            return !tenants.isEmpty();
        }

        public Options withRetries(Settings.Retries retries) {
            return new Options(host, apiPort, s3Port, dynamoPort, sqsPort, dataDir, region, endpoint, reference,
                    jobConcurrency, chunkLines, mapConcurrency, workers, window24h, deliveries, images, tenants, retries);
        }
    }

    /**
     * What tests put between the runtime and its functions, to make a step fail, stop or repeat as
     * it may in the cloud; {@link #NONE} otherwise.
     */
    record Interceptors(UnaryOperator<Function<JsonNode, JsonNode>> validator,
                        UnaryOperator<Function<JsonNode, JsonNode>> finalizer,
                        UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> worker) {

        static final Interceptors NONE = new Interceptors(f -> f, f -> f, w -> w);
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
    public record Images(List<String> buckets, Map<String, String> bucketRegions, Set<String> trustedHosts,
                         boolean allowHttp, Path trustPem) {

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
    private int resumedExecutions;

    private LocalRuntime(Options options, EmbeddedAws aws, URI inferenceEndpoint, LocalApiGateway gateway,
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
            EmbeddedAws aws = EmbeddedAws.start(options.dataDir(), options.dynamoPort(), options.s3Port(),
                    options.sqsPort(), options.region());
            started.add(aws);
            URI endpoint = options.endpoint();
            if (endpoint == null) {
                ReferenceEndpoint reference = ReferenceEndpoint.start(options.reference());
                started.add(reference);
                endpoint = reference.baseUrl();
            }
            Map<String, Object> job = new HashMap<>(Map.of(
                    "id", DEFAULT_JOB, "base_url", endpoint.toString(), "concurrency", options.jobConcurrency()));
            if (options.apiKeys()) {
                job.put("tenants", options.tenants());
            }
            List<Map<String, Object>> catalog = new ArrayList<>(List.of(job));
            catalog.addAll(moreJobs);
            String jobs = Json.writeString(Map.of("default_job", DEFAULT_JOB, "jobs", catalog));
            String stateMachineArn = "arn:aws:states:" + options.region() + ":" + LocalStepFunctions.ACCOUNT
                    + ":stateMachine:" + STATE_MACHINE;

            // The functions need the Step Functions endpoint, and Step Functions needs the functions:
            // it gets names that reach the handlers, which exist before any execution can start.
            Map<String, Function<JsonNode, JsonNode>> handlers = new ConcurrentHashMap<>();
            Map<String, Function<JsonNode, JsonNode>> functions = Map.of(
                    VALIDATE_FUNCTION, payload -> handlers.get(VALIDATE_FUNCTION).apply(payload),
                    FINALIZE_FUNCTION, payload -> handlers.get(FINALIZE_FUNCTION).apply(payload));
            RegionalS3 regions = RegionalS3.start(options.host(), aws.s3Endpoint(), options.region(),
                    options.images().bucketRegions());
            started.add(regions);
            Settings bootstrap = settings(options, aws, null, regions, jobs, stateMachineArn);
            AwsClients clients = new AwsClients(bootstrap);
            SqsClient sqs = clients.sqs();
            Queue queue = provision(bootstrap, clients, sqs, options.images().buckets());
            String deadLetterUrl = sqs.getQueueUrl(b -> b.queueName(DEAD_LETTER_QUEUE)).queueUrl();
            Queue deadLetters = new Queue(deadLetterUrl, arn(sqs, deadLetterUrl));

            // Executions are kept in the data directory, so a runtime stopped or killed mid-batch resumes it.
            LocalStepFunctions stepFunctions = new LocalStepFunctions(options.region(), functions, sqs,
                    options.dataDir().resolve("stepfunctions"));
            started.add(stepFunctions);
            StepFunctionsServer server = StepFunctionsServer.start(stepFunctions, options.host(), 0);
            started.add(server);

            Settings settings = settings(options, aws, server.endpoint(), regions, jobs, stateMachineArn);
            handlers.put(VALIDATE_FUNCTION, interceptors.validator().apply(
                    invoker(new ValidateHandler(wiring(settings, VALIDATE_FUNCTION)))));
            handlers.put(FINALIZE_FUNCTION, interceptors.finalizer().apply(
                    invoker(new FinalizeHandler(wiring(settings, FINALIZE_FUNCTION)))));
            String registered = stepFunctions.register(STATE_MACHINE, definition(), Map.of(
                    "ValidateFunctionArn", VALIDATE_FUNCTION,
                    "FinalizeFunctionArn", FINALIZE_FUNCTION,
                    "ChunkQueueUrl", queue.url()));
            if (!registered.equals(stateMachineArn)) {
                throw new IllegalStateException("the state machine registered as " + registered);
            }
            int resumed = stepFunctions.resumeExecutions();
            started.add(new SqsEventSource(sqs, queue.url(), queue.arn(), 1, options.workers(), options.deliveries(),
                    interceptors.worker().apply(new WorkerHandler(wiring(settings, WORKER_FUNCTION)))));
            // In the cloud, a function with an event source on the dead-letter queue.
            started.add(new SqsEventSource(sqs, deadLetters.url(), deadLetters.arn(), 1, 1, options.deliveries(),
                    new DeadLetterHandler(wiring(settings, DEAD_LETTER_FUNCTION))));
            S3Client watcherS3 = clients.s3();
            started.add(watcherS3);
            started.add(new S3DropWatcher(watcherS3, INGEST_BUCKET, options.region(), options.deliveries(),
                    invoker(new IngestHandler(wiring(settings, INGEST_FUNCTION)))));

            LocalRuntime[] self = new LocalRuntime[1];
            LocalApiGateway gateway = new LocalApiGateway(options.host(), options.apiPort(),
                    new ApiHandler(wiring(settings, API_FUNCTION)),
                    options.apiKeys() ? new AuthorizerHandler(wiring(settings, AUTHORIZER_FUNCTION)) : null,
                    () -> self[0] != null && self[0].ready);
            self[0] = new LocalRuntime(options, aws, endpoint, gateway, started);
            self[0].stepFunctionsEndpoint = server.endpoint();
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

    private static Settings settings(Options options, EmbeddedAws aws, URI sfnEndpoint, RegionalS3 regions,
                                     String jobs, String stateMachineArn) {
        Images images = options.images();
        Map<String, URI> endpoints = new HashMap<>(Map.of(Settings.S3, aws.s3Endpoint(),
                Settings.DYNAMODB, aws.dynamoEndpoint(), Settings.SQS, aws.sqsEndpoint()));
        if (sfnEndpoint != null) {
            endpoints.put(Settings.SFN, sfnEndpoint);
        }
        return new Settings(options.region(), BUCKET, FILES_TABLE, BATCHES_TABLE, jobs, stateMachineArn,
                options.chunkLines(), options.mapConcurrency(), options.window24h(), endpoints,
                Optional.of(CREDENTIALS.split(":", 2)), new Settings.Images(String.join(",", images.buckets()),
                        images.trustedHosts(), images.allowHttp(), Optional.ofNullable(images.trustPem()),
                        Optional.of(regions.endpoint())), Optional.of(INGEST_BUCKET), KEYS_TABLE, options.retries(),
                CAPACITY_TABLE);
    }

    /**
     * The wiring of one function's sandbox: its own clients and ports, as each Lambda execution
     * environment builds its own; nothing in it is shared with another function or sandbox.
     */
    static Wiring wiring(Settings settings, String function) {
        return new Wiring(settings);
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

    /** What Lambda does for {@code lambda:invoke}: the payload in, the function's JSON out. */
    static Function<JsonNode, JsonNode> invoker(RequestStreamHandler handler) {
        return payload -> {
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                handler.handleRequest(new ByteArrayInputStream(Json.write(payload)), out,
                        LocalContext.invocation(handler.getClass().getSimpleName()));
                return Json.MAPPER.readTree(out.toByteArray());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    private record Queue(String url, String arn) {}

    /** Creates what the cloud stack declares, where it does not exist yet. */
    private static Queue provision(Settings settings, AwsClients clients, SqsClient sqs, List<String> imageBuckets) {
        try (S3Client s3 = clients.s3(); DynamoDbClient dynamo = clients.dynamoDb()) {
            List<String> buckets = new ArrayList<>(imageBuckets);
            buckets.add(settings.bucket());
            buckets.add(INGEST_BUCKET);
            for (String bucket : buckets) {
                try {
                    s3.headBucket(b -> b.bucket(bucket));
                } catch (NoSuchBucketException e) {
                    s3.createBucket(b -> b.bucket(bucket));
                }
            }
            for (CreateTableRequest table : List.of(Tables.ownedRecords(settings.filesTable()),
                    Tables.ownedRecords(settings.batchesTable()), Tables.apiKeys(settings.keysTable()),
                    Tables.capacity(settings.capacityTable()))) {
                try {
                    dynamo.describeTable(b -> b.tableName(table.tableName()));
                } catch (ResourceNotFoundException e) {
                    dynamo.createTable(table);
                }
            }
        }
        String dlqUrl = sqs.createQueue(b -> b.queueName(DEAD_LETTER_QUEUE)).queueUrl();
        String dlqArn = arn(sqs, dlqUrl);
        String url = sqs.createQueue(b -> b.queueName(CHUNK_QUEUE).attributes(Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(VISIBILITY_TIMEOUT_SECONDS),
                QueueAttributeName.REDRIVE_POLICY,
                "{\"maxReceiveCount\":\"" + MAX_RECEIVES + "\",\"deadLetterTargetArn\":\"" + dlqArn + "\"}"))).queueUrl();
        return new Queue(url, arn(sqs, url));
    }

    private static String arn(SqsClient sqs, String queueUrl) {
        return sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
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
        return parts.stream().filter(RegionalS3.class::isInstance).map(RegionalS3.class::cast)
                .mapToInt(RegionalS3::redirects).sum();
    }

    /** What the built-in reference endpoint has seen; fails when the runtime calls another endpoint. */
    Stats referenceStats() {
        return parts.stream().filter(ReferenceEndpoint.class::isInstance).map(ReferenceEndpoint.class::cast)
                .findFirst().orElseThrow(() -> new IllegalStateException("the runtime calls " + inferenceEndpoint))
                .stats();
    }

    public Path dataDir() {
        return options.dataDir();
    }

    /** How many executions that were running when the runtime last stopped it took up again. */
    public int resumedExecutions() {
        return resumedExecutions;
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
                System.getLogger(LocalRuntime.class.getName()).log(System.Logger.Level.WARNING,
                        "stopping " + part.getClass().getSimpleName() + " failed", e);
            }
        }
    }
}
