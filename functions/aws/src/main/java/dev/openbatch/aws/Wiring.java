package dev.openbatch.aws;

import dev.openbatch.core.Ids;
import dev.openbatch.core.batches.BatchRepository;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.files.FileContentStore;
import dev.openbatch.core.files.FileRepository;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.http.OpenAiApi;
import dev.openbatch.core.images.ImageResolver;
import dev.openbatch.core.images.S3ImageSource;
import dev.openbatch.core.images.TrustedCertificates;
import dev.openbatch.core.images.WebImageSource;
import dev.openbatch.core.jobs.JobCatalog;
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

    SqsClient sqs() {
        return clients.sqs();
    }

    Settings.Retries retries() {
        return settings.retries();
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

    public RunChunk runChunk() {
        return new RunChunk(batches(), chunks(), jobs,
                new ChunkRunner(new InferenceClient(Duration.ofSeconds(10), settings.retries().requestTimeout()), images(),
                        new RetryPolicy(RetryPolicy.DEFAULT.maxAttempts(), settings.retries().requestRetryDelay(),
                                RetryPolicy.DEFAULT.maxDelay()), clock),
                clock);
    }

    ImageResolver images() {
        Settings.Images images = settings.images();
        return new ImageResolver(
                new S3ImageSource(new S3ImageObjects(clients.s3Images()), S3ImageSource.Bucket.parseList(images.buckets())),
                new WebImageSource(images.trustPem().map(TrustedCertificates::withExtra)
                        .map(WebImageSource.Options.defaults()::withTls).orElseGet(WebImageSource.Options::defaults)
                        .withAllowHttp(images.allowHttp()).withTrustedHosts(images.trustedHosts())),
                ImageResolver.Limits.DEFAULT);
    }

    public FinalizeBatch finalizeBatch() {
        return new FinalizeBatch(batches(), files(), content(), chunks(), ids, clock);
    }
}
