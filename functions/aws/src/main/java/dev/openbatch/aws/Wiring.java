package dev.openbatch.aws;

import dev.openbatch.core.Ids;
import dev.openbatch.core.batches.BatchRepository;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.files.FileContentStore;
import dev.openbatch.core.files.FileRepository;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.http.OpenAiApi;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.core.keys.ApiKeys;
import dev.openbatch.core.pipeline.ChunkRunner;
import dev.openbatch.core.pipeline.ChunkStore;
import dev.openbatch.core.pipeline.FinalizeBatch;
import dev.openbatch.core.pipeline.InferenceClient;
import dev.openbatch.core.pipeline.InputValidator;
import dev.openbatch.core.pipeline.RetryPolicy;
import dev.openbatch.core.pipeline.RunChunk;
import dev.openbatch.core.pipeline.ValidateBatch;
import java.time.Clock;
import java.time.Duration;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
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
    private final DynamoDbClient dynamo;
    private final AwsClients clients;
    private final JobCatalog jobs;

    public Wiring(Settings settings) {
        this.settings = settings;
        this.clients = new AwsClients(settings);
        this.s3 = clients.s3();
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

    FileContentStore content() {
        return new S3FileContentStore(s3, settings.bucket());
    }

    ChunkStore chunks() {
        return new S3ChunkStore(s3, settings.bucket());
    }

    SfnClient sfn() {
        return clients.sfn();
    }

    public OpenAiApi api() {
        if (settings.stateMachineArn() == null) {
            throw new IllegalStateException("environment variable OPENBATCH_STATE_MACHINE_ARN is not set");
        }
        return new OpenAiApi(new Files(files(), content(), ids, clock),
                new Batches(batches(), files(), jobs, new StepFunctionsLauncher(sfn(), settings.stateMachineArn()),
                        settings.window24h(), ids, clock));
    }

    public ValidateBatch validateBatch() {
        return new ValidateBatch(batches(), content(),
                new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(settings.chunkLines()), chunks()),
                settings.mapConcurrency(), clock);
    }

    public ApiKeys apiKeys() {
        if (settings.keysTable() == null) {
            throw new IllegalStateException("environment variable OPENBATCH_KEYS_TABLE is not set");
        }
        return new ApiKeys(new DynamoDbKeyStore(dynamo, settings.keysTable()), clock);
    }

    /** The worker's jobs: their endpoints' credentials read from their secrets once, as the worker starts. */
    private JobCatalog jobsWithSecrets() {
        if (jobs.secretArns().isEmpty()) {
            return jobs;
        }
        try (SecretsManagerClient secretsManager = clients.secretsManager()) {
            return jobs.withSecrets(new SecretsManagerSecrets(secretsManager));
        }
    }

    public RunChunk runChunk() {
        return new RunChunk(batches(), chunks(), jobsWithSecrets(),
                new ChunkRunner(new InferenceClient(Duration.ofSeconds(10), REQUEST_TIMEOUT), RetryPolicy.DEFAULT, clock),
                clock);
    }

    public FinalizeBatch finalizeBatch() {
        return new FinalizeBatch(batches(), files(), content(), chunks(), ids, clock);
    }
}
