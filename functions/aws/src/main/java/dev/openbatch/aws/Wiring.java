package dev.openbatch.aws;

import dev.openbatch.core.Ids;
import dev.openbatch.core.batches.BatchEvents;
import dev.openbatch.core.batches.BatchRepository;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.batches.PublishedBatches;
import dev.openbatch.core.batches.RetryBatch;
import dev.openbatch.core.capacity.CapacityLeases;
import dev.openbatch.core.files.FileRepository;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.http.OpenAiApi;
import dev.openbatch.core.images.ImageResolver;
import dev.openbatch.core.images.S3ImageSource;
import dev.openbatch.core.images.TrustedCertificates;
import dev.openbatch.core.images.WebImageSource;
import dev.openbatch.core.ingest.DropBucket;
import dev.openbatch.core.ingest.DropResults;
import dev.openbatch.core.ingest.Ingest;
import dev.openbatch.core.jobs.Credentials;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.core.jobs.SecretReader;
import dev.openbatch.core.keys.ApiKeys;
import dev.openbatch.core.net.PublicUrls;
import dev.openbatch.core.pipeline.BatchEnded;
import dev.openbatch.core.pipeline.BatchReports;
import dev.openbatch.core.pipeline.BatchResults;
import dev.openbatch.core.pipeline.ChunkRunner;
import dev.openbatch.core.pipeline.ChunkStore;
import dev.openbatch.core.pipeline.FinalizeBatch;
import dev.openbatch.core.pipeline.InferenceClient;
import dev.openbatch.core.pipeline.InputValidator;
import dev.openbatch.core.pipeline.PartWritten;
import dev.openbatch.core.pipeline.RetryPolicy;
import dev.openbatch.core.pipeline.RunChunk;
import dev.openbatch.core.pipeline.Sweep;
import dev.openbatch.core.pipeline.ValidateBatch;
import dev.openbatch.core.uploads.UploadRepository;
import dev.openbatch.core.uploads.Uploads;
import dev.openbatch.core.webhooks.BatchWebhooks;
import dev.openbatch.core.webhooks.DeliverWebhooks;
import dev.openbatch.core.webhooks.EndpointRepository;
import dev.openbatch.core.webhooks.WebReceivers;
import dev.openbatch.core.webhooks.WebhookEndpoints;
import dev.openbatch.core.webhooks.WebhookQueue;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds the core's use cases over the AWS adapters, once per container: the one place where
 * settings become clients and clients become ports. Every handler wires through it, in the cloud
 * and in the local runtime alike.
 */
public final class Wiring {

    private final Settings settings;
    private final Clock clock = Clock.systemUTC();
    private final Ids ids = new Ids(clock);
    private final S3Client s3;
    private final S3Presigner presigner;
    private final DynamoDbClient dynamo;
    private final AwsClients clients;
    private final JobCatalog jobs;
    private final BatchEvents batchEvents;
    /** How soon a refused credential whose secret had not changed may be read again. */
    private static final Duration CREDENTIAL_REREAD = Duration.ofSeconds(10);
    /** How long connecting to a webhook receiver, and then its answer, may each take. */
    private static final Duration WEBHOOK_TIMEOUT = Duration.ofSeconds(10);

    public Wiring(Settings settings) {
        this(settings, List.of());
    }

    /** Wiring whose clients pass every call through {@code interceptors}: see {@link AwsClients}. */
    public Wiring(Settings settings, List<ExecutionInterceptor> interceptors) {
        this.settings = settings;
        this.clients = new AwsClients(settings, interceptors);
        this.s3 = clients.s3();
        this.presigner = clients.s3Presigner();
        this.dynamo = clients.dynamoDb();
        this.jobs = JobCatalog.fromJson(settings.jobsJson());
        this.batchEvents = settings.eventBus() == null
                ? BatchEvents.NONE
                : new EventBridgeBatchEvents(clients.eventBridge(), settings.eventBus());
    }

    public static Wiring fromEnvironment() {
        return new Wiring(Settings.fromEnvironment(System.getenv()));
    }

    FileRepository files() {
        return new DynamoDbFileRepository(dynamo, settings.filesTable());
    }

    /** The batches' records; where there is an event bus, each status change is published on it. */
    BatchRepository batches() {
        BatchRepository records = new DynamoDbBatchRepository(dynamo, settings.batchesTable());
        return settings.eventBus() == null ? records : new PublishedBatches(records, batchEvents);
    }

    UploadRepository uploads() {
        return new DynamoDbUploadRepository(dynamo, settings.filesTable());
    }

    S3FileContentStore content() {
        return new S3FileContentStore(s3, presigner, settings.bucket());
    }

    ChunkStore chunks() {
        return new S3ChunkStore(s3, settings.bucket(), content());
    }

    SfnClient sfn() {
        return clients.sfn();
    }

    SqsClient sqs() {
        return clients.sqs();
    }

    Settings.Retries retries() {
        return settings.retries();
    }

    public OpenAiApi api() {
        Files files = filesApi();
        Batches batches = batchesApi();
        return new OpenAiApi(
                files,
                batches,
                new Uploads(uploads(), files, content(), ids, clock),
                new RetryBatch(batches, files, content(), ids),
                new BatchResults(batches(), files, content(), chunks()),
                settings.webhooks().enabled()
                        ? new WebhookEndpoints(webhookEndpoints(), receivers(), ids, clock)
                        : null,
                reports());
    }

    private EndpointRepository webhookEndpoints() {
        return new DynamoDbWebhookEndpointRepository(dynamo, settings.webhooks().endpointsTable());
    }

    /** Tenants' receivers, reached as users' images are: https, public addresses, unless configured otherwise. */
    private WebReceivers receivers() {
        Settings.Webhooks webhooks = settings.webhooks();
        try {
            return new WebReceivers(
                    new PublicUrls(webhooks.allowHttp(), webhooks.trustedHosts()),
                    SSLContext.getDefault(),
                    WEBHOOK_TIMEOUT);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no default TLS context", e);
        }
    }

    private WebhookQueue webhookQueue() {
        String url = settings.webhooks().queueUrl();
        if (url == null || url.isBlank()) {
            throw new IllegalStateException("environment variable OPENBATCH_WEBHOOK_QUEUE_URL is not set");
        }
        return new SqsWebhookQueue(clients.sqs(), url);
    }

    /** The webhook sender's work: endpoints read, deliveries POSTed, each endpoint's fan-out queued. */
    public DeliverWebhooks deliverWebhooks() {
        if (!settings.webhooks().enabled()) {
            throw new IllegalStateException("environment variable OPENBATCH_WEBHOOKS_TABLE is not set");
        }
        return new DeliverWebhooks(
                webhookEndpoints(),
                webhookQueue(),
                receivers(),
                settings.webhooks().retries(),
                clock);
    }

    private Files filesApi() {
        return new Files(files(), content(), ids, clock);
    }

    private Batches batchesApi() {
        if (settings.stateMachineArn() == null) {
            throw new IllegalStateException("environment variable OPENBATCH_STATE_MACHINE_ARN is not set");
        }
        return new Batches(
                batches(),
                files(),
                jobs,
                new StepFunctionsLauncher(sfn(), settings.stateMachineArn()),
                settings.window24h(),
                ids,
                clock);
    }

    /** S3-drop submission: registers drops as the API registers uploads and batches. */
    public Ingest ingest() {
        DropBucket drops = dropBucket()
                .orElseThrow(
                        () -> new IllegalStateException("environment variable OPENBATCH_INGEST_BUCKET is not set"));
        return new Ingest(
                drops,
                filesApi(),
                batchesApi(),
                jobs,
                new DropResults(drops, content()),
                InputValidator.Limits.OPENAI.maxBytes(),
                clock);
    }

    private Optional<DropBucket> dropBucket() {
        return settings.ingestBucket().map(name -> new S3DropBucket(s3, name, settings.bucket()));
    }

    public ValidateBatch validateBatch() {
        return new ValidateBatch(
                batches(),
                content(),
                new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(settings.chunkLines()), chunks()),
                settings.mapConcurrency(),
                clock);
    }

    public ApiKeys apiKeys() {
        if (settings.keysTable() == null) {
            throw new IllegalStateException("environment variable OPENBATCH_KEYS_TABLE is not set");
        }
        return new ApiKeys(new DynamoDbKeyStore(dynamo, settings.keysTable()), clock);
    }

    /**
     * The worker's jobs: their endpoints' credentials read from their secrets as the worker starts,
     * and read again when an endpoint refuses one (see {@link Credentials}).
     */
    public RunChunk runChunk() {
        if (jobs.secretArns().isEmpty()) {
            return new RunChunk(
                    batches(),
                    chunks(),
                    jobs,
                    chunkRunner(Credentials.FIXED),
                    clock,
                    RunChunk.CHECKPOINT_EVERY,
                    partWritten(),
                    memoryMb());
        }
        // Kept for the sandbox's life: a rotated credential is read with it while chunks run.
        SecretReader secrets = new SecretsManagerSecrets(clients.secretsManager());
        return new RunChunk(
                batches(),
                chunks(),
                jobs.withSecrets(secrets),
                chunkRunner(new Credentials(secrets, clock, CREDENTIAL_REREAD)),
                clock,
                RunChunk.CHECKPOINT_EVERY,
                partWritten(),
                memoryMb());
    }

    /** Where S3 drops are on, a dropped batch's results folder shows each chunk's part as it is written. */
    private PartWritten partWritten() {
        ChunkStore chunks = chunks();
        return dropBucket()
                .<PartWritten>map(drops -> {
                    DropResults results = new DropResults(drops, content());
                    return (tenant, batchId, index) -> results.partWritten(batchId, index, chunks);
                })
                .orElse(PartWritten.NOTHING);
    }

    /**
     * For the dead-letter handler, which ends a chunk's lines without calling any endpoint: the
     * jobs as configured, no secret read.
     */
    public RunChunk abandonChunks() {
        return new RunChunk(batches(), chunks(), jobs, chunkRunner(Credentials.FIXED), clock);
    }

    private ChunkRunner chunkRunner(Credentials credentials) {
        Settings.Retries retries = settings.retries();
        return new ChunkRunner(
                new InferenceClient(Duration.ofSeconds(10), retries.requestTimeout()),
                images(),
                new RetryPolicy(
                        RetryPolicy.DEFAULT.maxAttempts(), retries.requestRetryDelay(), RetryPolicy.DEFAULT.maxDelay()),
                clock,
                credentials,
                capacity());
    }

    /** This sandbox's leases on the jobs' capacity: in the capacity table, shared by every worker, where there is one. */
    private CapacityLeases capacity() {
        return settings.capacityTable() == null || settings.capacityTable().isBlank()
                ? CapacityLeases.inProcess(clock)
                : new CapacityLeases(
                        new DynamoDbCapacityStore(dynamo, settings.capacityTable()),
                        clock,
                        CapacityLeases.Policy.DEFAULT);
    }

    ImageResolver images() {
        Settings.Images images = settings.images();
        return new ImageResolver(
                new S3ImageSource(
                        new S3ImageObjects(clients.s3Images()), S3ImageSource.Bucket.parseList(images.buckets())),
                new WebImageSource(images.trustPem()
                        .map(TrustedCertificates::withExtra)
                        .map(WebImageSource.Options.defaults()::withTls)
                        .orElseGet(WebImageSource.Options::defaults)
                        .withAllowHttp(images.allowHttp())
                        .withTrustedHosts(images.trustedHosts())),
                ImageResolver.Limits.DEFAULT);
    }

    /**
     * The sweeper: the batches table's sweep index, the state machine's executions as the batches'
     * runs, the finalizer for the batches it must end failed, and the files table's index of
     * expiring files.
     */
    public Sweep sweep(Sweep.Bounds bounds) {
        if (settings.stateMachineArn() == null) {
            throw new IllegalStateException("environment variable OPENBATCH_STATE_MACHINE_ARN is not set");
        }
        return new Sweep(
                new DynamoDbBatchRepository(dynamo, settings.batchesTable()),
                new StepFunctionsLauncher(sfn(), settings.stateMachineArn()),
                finalizeBatch(),
                bounds,
                clock,
                limit -> filesApi().removeExpired(new DynamoDbFileRepository(dynamo, settings.filesTable()), limit));
    }

    /** The finalizer; where S3 drops are on, it also writes a dropped batch's results beside its drop. */
    public FinalizeBatch finalizeBatch() {
        BatchEnded drops = dropBucket()
                .<BatchEnded>map(bucket -> new DropResults(bucket, content()))
                .orElse(BatchEnded.NOTHING);
        BatchEnded webhooks = settings.webhooks().enabled() ? new BatchWebhooks(webhookQueue()) : BatchEnded.NOTHING;
        // The drop's results first: an event says the batch ended, and its results should be there when it does.
        BatchEnded ended = (tenant, batch) -> {
            drops.ended(tenant, batch);
            webhooks.ended(tenant, batch);
        };
        return new FinalizeBatch(batches(), files(), content(), chunks(), ids, clock, ended, reports());
    }

    /** Batch reports, pricing the validator's and finalizer's time by this function's memory, which they share. */
    private BatchReports reports() {
        return new BatchReports(batches(), content(), chunks(), clock, new BatchReports.Memory(memoryMb(), memoryMb()));
    }

    /** The memory Lambda gives this function, in MB; the deployment's default outside Lambda. */
    private static int memoryMb() {
        String memory = System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
        return memory == null ? RunChunk.MEMORY_MB : Integer.parseInt(memory);
    }
}
