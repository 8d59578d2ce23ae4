package dev.openbatch.local;

import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.sqs.SqsClient;

/** The embedded emulators, started once for all the integration tests of this JVM. */
final class Emulators {

    private static EmbeddedAws aws;
    private static AwsClients clients;
    private static Settings settings;

    private Emulators() {}

    static synchronized AwsClients clients() {
        if (aws == null) {
            try {
                aws = EmbeddedAws.start("127.0.0.1", Files.createTempDirectory("openbatch-it"), 0, 0, 0, "us-east-1");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(aws::close));
            settings = settings(aws.s3Endpoint(), aws.dynamoEndpoint());
            clients = new AwsClients(settings);
        }
        return clients;
    }

    /** Settings of emulators at these endpoints (a local runtime's, say): their endpoints and credentials. */
    static Settings settings(URI s3, URI dynamo) {
        return Settings.builder()
                .region("us-east-1")
                .bucket("it-bucket")
                .filesTable("it-files")
                .batchesTable("it-batches")
                .jobsJson("{}")
                .endpoints(Map.of(Settings.S3, s3, Settings.DYNAMODB, dynamo))
                .staticCredentials(Optional.of(LocalRuntime.CREDENTIALS.split(":", 2)))
                .build();
    }

    /** Clients of emulators at these endpoints, built as the functions build theirs. */
    static AwsClients clients(URI s3, URI dynamo) {
        return new AwsClients(settings(s3, dynamo));
    }

    /** What the clients are built from: the emulators' endpoints and credentials. */
    static synchronized Settings settings() {
        clients();
        return settings;
    }

    static URI s3Endpoint() {
        clients();
        return aws.s3Endpoint();
    }

    static URI dynamoEndpoint() {
        clients();
        return aws.dynamoEndpoint();
    }

    /** A client of the embedded ElasticMQ, built as the functions build theirs. */
    static SqsClient sqs() {
        clients();
        return new AwsClients(settings.toBuilder()
                        .endpoints(Map.of(Settings.SQS, aws.sqsEndpoint()))
                        .build())
                .sqs();
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
