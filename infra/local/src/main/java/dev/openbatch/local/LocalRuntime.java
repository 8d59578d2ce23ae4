package dev.openbatch.local;

import dev.openbatch.aws.ApiHandler;
import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.Settings;
import dev.openbatch.aws.Tables;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * openbatch on one machine: the embedded emulators, the resources the cloud stack would create,
 * and the same functions the cloud runs, wired to them.
 */
public final class LocalRuntime implements AutoCloseable {

    /** Resource names, the same as the cloud stack's. */
    static final String BUCKET = "openbatch-data";
    static final String FILES_TABLE = "openbatch-files";
    static final String BATCHES_TABLE = "openbatch-batches";
    static final String CHUNK_QUEUE = "openbatch-chunks";
    static final String DEAD_LETTER_QUEUE = "openbatch-chunks-dlq";

    /** Emulators accept any credentials; the SDK still wants a pair to sign with. */
    static final String CREDENTIALS = "local:local";

    private final Options options;
    private final EmbeddedAws aws;
    private final LocalApiGateway gateway;
    private volatile boolean ready;

    /**
     * How to run.
     *
     * @param host         the interface every server listens on
     * @param apiPort      the API (0 picks a free port)
     * @param s3Port       the local S3 endpoint (0 picks a free port)
     * @param dynamoPort   DynamoDB Local (must be a real port: it cannot report one it picked)
     * @param sqsPort      ElasticMQ (0 picks a free port)
     * @param dataDir      where DynamoDB and S3 keep their data across restarts
     * @param region       the region the clients sign for
     * @param jobsJson     the job catalog, as {@code OPENBATCH_JOBS} takes it
     */
    public record Options(String host, int apiPort, int s3Port, int dynamoPort, int sqsPort, Path dataDir,
                          String region, String jobsJson) {}

    private LocalRuntime(Options options, EmbeddedAws aws, LocalApiGateway gateway) {
        this.options = options;
        this.aws = aws;
        this.gateway = gateway;
    }

    public static LocalRuntime start(Options options) {
        EmbeddedAws aws = EmbeddedAws.start(options.dataDir(), options.dynamoPort(), options.s3Port(),
                options.sqsPort(), options.region());
        try {
            Settings settings = new Settings(options.region(), BUCKET, FILES_TABLE, BATCHES_TABLE, options.jobsJson(),
                    Map.of(Settings.S3, aws.s3Endpoint(), Settings.DYNAMODB, aws.dynamoEndpoint()),
                    Optional.of(CREDENTIALS.split(":", 2)));
            provision(settings, new AwsClients(settings), aws.sqsEndpoint());
            LocalRuntime[] self = new LocalRuntime[1];
            LocalApiGateway gateway = new LocalApiGateway(options.host(), options.apiPort(), new ApiHandler(settings),
                    () -> self[0] != null && self[0].ready);
            self[0] = new LocalRuntime(options, aws, gateway);
            gateway.start();
            self[0].ready = true;
            return self[0];
        } catch (RuntimeException e) {
            aws.close();
            throw e;
        }
    }

    /** Creates what the cloud stack declares, where it does not exist yet. */
    private static void provision(Settings settings, AwsClients clients, URI sqsEndpoint) {
        try (S3Client s3 = clients.s3(); DynamoDbClient dynamo = clients.dynamoDb()) {
            try {
                s3.headBucket(b -> b.bucket(settings.bucket()));
            } catch (NoSuchBucketException e) {
                s3.createBucket(b -> b.bucket(settings.bucket()));
            }
            for (String table : new String[] {settings.filesTable(), settings.batchesTable()}) {
                try {
                    dynamo.describeTable(b -> b.tableName(table));
                } catch (ResourceNotFoundException e) {
                    dynamo.createTable(Tables.ownedRecords(table));
                }
            }
        }
        String[] keys = CREDENTIALS.split(":", 2);
        try (SqsClient sqs = SqsClient.builder().region(Region.of(settings.region())).endpointOverride(sqsEndpoint)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(keys[0], keys[1])))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build()) {
            String dlqUrl = sqs.createQueue(b -> b.queueName(DEAD_LETTER_QUEUE)).queueUrl();
            String dlqArn = sqs.getQueueAttributes(b -> b.queueUrl(dlqUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            sqs.createQueue(b -> b.queueName(CHUNK_QUEUE).attributes(Map.of(QueueAttributeName.REDRIVE_POLICY,
                    "{\"maxReceiveCount\":\"5\",\"deadLetterTargetArn\":\"" + dlqArn + "\"}")));
        }
    }

    public URI apiBase() {
        return URI.create("http://" + options.host() + ":" + gateway.port() + "/v1");
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

    public Path dataDir() {
        return options.dataDir();
    }

    @Override
    public void close() {
        ready = false;
        gateway.close();
        aws.close();
    }
}
