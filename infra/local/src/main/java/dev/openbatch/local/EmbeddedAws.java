package dev.openbatch.local;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * DynamoDB Local, S3Proxy and ElasticMQ in this JVM, each speaking its service's real wire
 * protocol on a loopback port. DynamoDB and S3 keep their data under the data directory, so a
 * restart finds it again.
 */
final class EmbeddedAws implements AutoCloseable {

    private static final String HOST = "127.0.0.1";

    private final DynamoDBProxyServer dynamo;
    private final S3Proxy s3;
    private final SQSRestServer sqs;
    private final URI dynamoEndpoint;
    private final URI s3Endpoint;
    private final URI sqsEndpoint;

    private EmbeddedAws(DynamoDBProxyServer dynamo, URI dynamoEndpoint, S3Proxy s3, URI s3Endpoint,
                        SQSRestServer sqs, URI sqsEndpoint) {
        this.dynamo = dynamo;
        this.dynamoEndpoint = dynamoEndpoint;
        this.s3 = s3;
        this.s3Endpoint = s3Endpoint;
        this.sqs = sqs;
        this.sqsEndpoint = sqsEndpoint;
    }

    static EmbeddedAws start(Path dataDir, int dynamoPort, int s3Port, int sqsPort, String region) {
        DynamoDBProxyServer dynamo = null;
        S3Proxy s3 = null;
        try {
            Path dynamoDir = Files.createDirectories(dataDir.resolve("dynamodb"));
            Path s3Dir = Files.createDirectories(dataDir.resolve("s3"));

            dynamo = ServerRunner.createServerFromCommandLineArgs(new String[] {
                "-port", Integer.toString(dynamoPort), "-dbPath", dynamoDir.toString(), "-disableTelemetry"});
            dynamo.start();

            s3 = S3Proxy.builder()
                    .blobStore(new FilesystemNio2BlobStore(s3Dir.toString()))
                    .endpoint(URI.create("http://" + HOST + ":" + s3Port))
                    .awsAuthentication(AuthenticationType.NONE, null, null)
                    .ignoreUnknownHeaders(true)
                    .build();
            s3.start();
            awaitStarted(s3);

            SQSRestServer sqs = SQSRestServerBuilder.withInterface(HOST).withPort(sqsPort).withAWSRegion(region).start();
            int boundSqsPort = sqs.waitUntilStarted().localAddress().getPort();

            return new EmbeddedAws(dynamo, URI.create("http://" + HOST + ":" + dynamoPort),
                    s3, URI.create("http://" + HOST + ":" + s3.getPort()),
                    sqs, URI.create("http://" + HOST + ":" + boundSqsPort));
        } catch (IOException e) {
            stopQuietly(dynamo, s3);
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            stopQuietly(dynamo, s3);
            throw new IllegalStateException("the embedded AWS emulators did not start: " + e.getMessage(), e);
        }
    }

    private static void awaitStarted(S3Proxy s3) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(s3.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start within 30 s");
            }
            Thread.sleep(10);
        }
    }

    URI dynamoEndpoint() {
        return dynamoEndpoint;
    }

    URI s3Endpoint() {
        return s3Endpoint;
    }

    URI sqsEndpoint() {
        return sqsEndpoint;
    }

    @Override
    public void close() {
        sqs.stopAndWait();
        stopQuietly(dynamo, s3);
    }

    private static void stopQuietly(DynamoDBProxyServer dynamo, S3Proxy s3) {
        try {
            if (s3 != null) {
                s3.stop();
            }
        } catch (Exception ignored) {
            // stopping on the way out: nothing left to save
        }
        try {
            if (dynamo != null) {
                dynamo.stop();
            }
        } catch (Exception ignored) {
            // stopping on the way out: nothing left to save
        }
    }
}
