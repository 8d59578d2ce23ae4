package dev.openbatch.local;

import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The embedded emulators, started once for all the integration tests of this JVM. */
final class Emulators {

    private static EmbeddedAws aws;
    private static AwsClients clients;

    private Emulators() {}

    static synchronized AwsClients clients() {
        if (aws == null) {
            try {
                aws = EmbeddedAws.start(Files.createTempDirectory("openbatch-it"), freePort(), 0, 0, "us-east-1");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(aws::close));
            clients = clients(aws.s3Endpoint(), aws.dynamoEndpoint());
        }
        return clients;
    }

    /** Clients of emulators at these endpoints (a local runtime's, say), built as the functions build theirs. */
    static AwsClients clients(URI s3, URI dynamo) {
        return new AwsClients(new Settings("us-east-1", "unused", "unused", "unused", "{}", null, 500, 10,
                Duration.ofHours(24), Map.of(Settings.S3, s3, Settings.DYNAMODB, dynamo),
                Optional.of(LocalRuntime.CREDENTIALS.split(":", 2)), Settings.Images.NONE, Optional.empty()));
    }

    static URI s3Endpoint() {
        clients();
        return aws.s3Endpoint();
    }

    static URI dynamoEndpoint() {
        clients();
        return aws.dynamoEndpoint();
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
