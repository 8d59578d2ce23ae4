package dev.openbatch.local;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import dev.openbatch.core.keys.ApiKeys;
import dev.openbatch.reference.Options;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Local runtimes started in this JVM by one test class, each on its own data directory and ports, stopped together. */
final class LocalRuntimes implements AutoCloseable {

    private final List<LocalRuntime> started = new ArrayList<>();

    /**
     * Options of a runtime of its own, to name the rest of: every port free (DynamoDB Local's chosen
     * here, since it refuses 0) and a new data directory named after {@code name}.
     */
    static LocalRuntime.Options.Builder isolated(String name) {
        try {
            return isolated(Files.createTempDirectory(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Options of a runtime of its own on {@code dataDir}: every port free. */
    static LocalRuntime.Options.Builder isolated(Path dataDir) {
        return LocalRuntime.Options.builder()
                .apiPort(0)
                .s3Port(0)
                .dynamoPort(Emulators.freePort())
                .sqsPort(0)
                .dataDir(dataDir);
    }

    /** Options on a new data directory and free ports, the reference endpoint behaving as {@code reference}. */
    static LocalRuntime.Options options(
            Options reference, int jobConcurrency, int chunkLines, int workers, Duration window, int deliveries) {
        return options(reference, jobConcurrency, chunkLines, 4, workers, window, deliveries);
    }

    /**
     * As above, with the Map's concurrency: a batch of more chunks than the Map runs at once is spread
     * over that many, so a test that names which lines are in which chunk runs at least as many at once.
     */
    static LocalRuntime.Options options(
            Options reference,
            int jobConcurrency,
            int chunkLines,
            int mapConcurrency,
            int workers,
            Duration window,
            int deliveries) {
        return isolated("openbatch-run")
                .reference(reference)
                .jobConcurrency(jobConcurrency)
                .chunkLines(chunkLines)
                .mapConcurrency(mapConcurrency)
                .workers(workers)
                .window24h(window)
                .deliveries(deliveries)
                .build();
    }

    LocalRuntime start(LocalRuntime.Options options) {
        return start(options, LocalRuntime.Interceptors.NONE);
    }

    LocalRuntime start(LocalRuntime.Options options, LocalRuntime.Interceptors interceptors) {
        LocalRuntime runtime = LocalRuntime.start(options, interceptors);
        started.add(runtime);
        return runtime;
    }

    /** A runtime started otherwise, to be stopped with the others. */
    LocalRuntime adopt(LocalRuntime runtime) {
        started.add(runtime);
        return runtime;
    }

    /** The official SDK pointed at the runtime, retrying nothing itself so the service's behaviour shows. */
    static OpenAIClient client(LocalRuntime runtime) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(runtime.apiBase().toString())
                .apiKey("sk-local")
                .maxRetries(0)
                .build();
    }

    /** Issues an API key for a tenant as an operator does: its SHA-256 and tenant in the keys table. */
    static void issueKey(LocalRuntime runtime, String key, String tenant) {
        try (DynamoDbClient dynamo = DynamoDbClient.builder()
                .endpointOverride(runtime.dynamoEndpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .build()) {
            dynamo.putItem(b -> b.tableName(LocalRuntime.KEYS_TABLE)
                    .item(Map.of(
                            "key_hash",
                            AttributeValue.fromS(ApiKeys.hash(key)),
                            "tenant",
                            AttributeValue.fromS(tenant))));
        }
    }

    @Override
    public void close() {
        started.forEach(LocalRuntime::close);
    }
}
