package dev.openbatch.local;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.shaded.org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.gaul.shaded.org.eclipse.jetty.ee10.servlet.ServletContextHandler;

/**
 * DynamoDB Local, S3Proxy and ElasticMQ in this JVM, each speaking its service's real wire
 * protocol on a port of the host asked for, and on no other address. DynamoDB and S3 keep their
 * data under the data directory, so a restart finds it again.
 */
final class EmbeddedAws implements AutoCloseable {

    private final DynamoDBProxyServer dynamo;
    private final S3Proxy s3;
    private final SQSRestServer sqs;
    private final URI dynamoEndpoint;
    private final URI s3Endpoint;
    private final URI sqsEndpoint;

    private EmbeddedAws(
            DynamoDBProxyServer dynamo,
            URI dynamoEndpoint,
            S3Proxy s3,
            URI s3Endpoint,
            SQSRestServer sqs,
            URI sqsEndpoint) {
        this.dynamo = dynamo;
        this.dynamoEndpoint = dynamoEndpoint;
        this.s3 = s3;
        this.s3Endpoint = s3Endpoint;
        this.sqs = sqs;
        this.sqsEndpoint = sqsEndpoint;
    }

    static EmbeddedAws start(String host, Path dataDir, int dynamoPort, int s3Port, int sqsPort, String region) {
        DynamoDBProxyServer dynamo = null;
        S3Proxy s3 = null;
        try {
            Path dynamoDir = Files.createDirectories(dataDir.resolve("dynamodb"));
            Path s3Dir = Files.createDirectories(dataDir.resolve("s3"));

            // Its command line refuses port 0; the connector takes the port asked for, 0 included.
            dynamo = quietly(() -> ServerRunner.createServerFromCommandLineArgs(
                    new String[] {"-port", "8000", "-dbPath", dynamoDir.toString(), "-disableTelemetry"}));
            ServerConnector dynamoConnector = connector(dynamo);
            dynamoConnector.setHost(host);
            dynamoConnector.setPort(dynamoPort);
            started(dynamo::start, "DynamoDB Local", host, dynamoPort, "--dynamodb-port");

            s3 = S3Proxy.builder()
                    .blobStore(new FilesystemNio2BlobStore(s3Dir.toString()))
                    .endpoint(URI.create("http://" + host + ":" + s3Port))
                    .awsAuthentication(AuthenticationType.NONE, null, null)
                    .ignoreUnknownHeaders(true)
                    .build();
            readsWholeBodies(s3);
            started(s3::start, "the local S3", host, s3Port, "--s3-port");
            awaitStarted(s3);

            SQSRestServer[] sqs = new SQSRestServer[1];
            started(
                    () -> sqs[0] = SQSRestServerBuilder.withInterface(host)
                            .withPort(sqsPort)
                            .withAWSRegion(region)
                            .start(),
                    "the local SQS",
                    host,
                    sqsPort,
                    "--sqs-port");
            int boundSqsPort = sqs[0].waitUntilStarted().localAddress().getPort();

            return new EmbeddedAws(
                    dynamo,
                    URI.create("http://" + host + ":" + dynamoConnector.getLocalPort()),
                    s3,
                    URI.create("http://" + host + ":" + s3.getPort()),
                    sqs[0],
                    URI.create("http://" + host + ":" + boundSqsPort));
        } catch (PortInUseException e) {
            stopQuietly(dynamo, s3);
            throw e;
        } catch (IOException e) {
            stopQuietly(dynamo, s3);
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            stopQuietly(dynamo, s3);
            throw new IllegalStateException("the embedded AWS emulators did not start: " + e.getMessage(), e);
        }
    }

    /**
     * DynamoDB Local's server listens on every interface and takes no option to say otherwise; its
     * one connector is given the host and port before it starts, and reports the port it bound.
     */
    private static ServerConnector connector(DynamoDBProxyServer dynamo) throws ReflectiveOperationException {
        Field server = DynamoDBProxyServer.class.getDeclaredField("server");
        server.setAccessible(true);
        return (ServerConnector) ((Server) server.get(dynamo)).getConnectors()[0];
    }

    /**
     * Has S3Proxy read every request's body to its end before the exchange ends. It stops reading an
     * upload in {@code aws-chunked} encoding — how the SDK sends its CRC32 trailer — before the
     * encoding's last bytes; Jetty then closes the connection under the client still writing them,
     * and about one upload in thirty failed ("Error writing request body to server"), a conditional
     * write's retry meeting its own first attempt (412). S3 reads each request whole. S3Proxy keeps
     * its Jetty server to itself; it is reached as DynamoDB Local's is, by its field.
     */
    private static void readsWholeBodies(S3Proxy s3) throws ReflectiveOperationException {
        Field field = S3Proxy.class.getDeclaredField("server");
        field.setAccessible(true);
        ServletContextHandler context = ((org.gaul.shaded.org.eclipse.jetty.server.Server) field.get(s3))
                .getDescendant(ServletContextHandler.class);
        context.addFilter(
                new FilterHolder((request, response, chain) -> {
                    chain.doFilter(request, response);
                    request.getInputStream().transferTo(OutputStream.nullOutputStream());
                }),
                "/*",
                EnumSet.of(DispatcherType.REQUEST));
    }

    private interface Start {
        void run() throws Exception;
    }

    private interface Create<T> {
        T get() throws Exception;
    }

    /** Starts a server, telling a port already taken from any other failure. */
    private static void started(Start start, String what, String host, int port, String option) throws Exception {
        try {
            start.run();
        } catch (Exception e) {
            if (PortInUseException.isBindFailure(e)) {
                throw new PortInUseException(what, host, port, option);
            }
            throw e;
        }
    }

    /** DynamoDB Local prints its configuration on standard output; it is not ours to print. */
    private static <T> T quietly(Create<T> create) throws Exception {
        PrintStream out = System.out;
        System.setOut(new PrintStream(PrintStream.nullOutputStream()));
        try {
            return create.get();
        } finally {
            System.setOut(out);
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
