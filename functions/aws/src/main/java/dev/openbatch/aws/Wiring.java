package dev.openbatch.aws;

import dev.openbatch.core.Ids;
import dev.openbatch.core.batches.BatchRepository;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.files.FileContentStore;
import dev.openbatch.core.files.FileRepository;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.http.OpenAiApi;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.core.pipeline.ChunkRunner;
import dev.openbatch.core.pipeline.ChunkStore;
import dev.openbatch.core.pipeline.FinalizeBatch;
import dev.openbatch.core.pipeline.InferenceClient;
import dev.openbatch.core.pipeline.InputValidator;
import dev.openbatch.core.pipeline.RetryPolicy;
import dev.openbatch.core.pipeline.RunChunk;
import dev.openbatch.core.pipeline.ValidateBatch;
import dev.openbatch.core.uploads.UploadRepository;
import dev.openbatch.core.uploads.Uploads;
import java.time.Clock;
import java.time.Duration;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.sfn.SfnClient;

/**
 * Builds the core's use cases over the AWS adapters, once per container: the one place where
 * settings become clients and clients become ports. Every handler wires through it, in the cloud
 * and in the local runtime alike.
 */
public final class Wiring {

    /** How long one request to the inference endpoint may take before it is retried. */
    static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(10);

    private final Settings settings;
    private final Clock clock = Clock.systemUTC();
    private final Ids ids = new Ids(clock);
    private final S3Client s3;
    private final S3Presigner presigner;
    private final DynamoDbClient dynamo;
    private final AwsClients clients;
    private final JobCatalog jobs;

    public Wiring(Settings settings) {
        this.settings = settings;
        this.clients = new AwsClients(settings);
        this.s3 = clients.s3();
        this.presigner = clients.s3Presigner();
        this.dynamo = clients.dynamoDb();
        this.jobs = JobCatalog.fromJson(settings.jobsJson());
    }

    public static Wiring fromEnvironment() {
        return new Wiring(Settings.fromEnvironment(System.getenv()));
    }

    FileRepository files() {
        return new DynamoDbFileRepository(dynamo, settings.filesTable());
    }

    BatchRepository batches() {
        return new DynamoDbBatchRepository(dynamo, settings.batchesTable());
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

    public OpenAiApi api() {
        if (settings.stateMachineArn() == null) {
            throw new IllegalStateException("environment variable OPENBATCH_STATE_MACHINE_ARN is not set");
        }
        FileContentStore content = content();
        Files files = new Files(files(), content, ids, clock);
        return new OpenAiApi(files,
                new Batches(batches(), files(), jobs, new StepFunctionsLauncher(sfn(), settings.stateMachineArn()),
                        settings.window24h(), ids, clock),
                new Uploads(uploads(), files, content, ids, clock));
    }

    public ValidateBatch validateBatch() {
        return new ValidateBatch(batches(), content(),
                new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(settings.chunkLines()), chunks()),
                settings.mapConcurrency(), clock);
    }

    public RunChunk runChunk() {
        return new RunChunk(batches(), chunks(), jobs,
                new ChunkRunner(new InferenceClient(Duration.ofSeconds(10), REQUEST_TIMEOUT), RetryPolicy.DEFAULT, clock),
                clock);
    }

    public FinalizeBatch finalizeBatch() {
        return new FinalizeBatch(batches(), files(), content(), chunks(), ids, clock);
    }
}
