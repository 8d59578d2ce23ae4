package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.batches.Batch;
import dev.openbatch.aws.AwsClients;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A local runtime for tests of bad input, and what they check after each case: what the runtime's
 * store holds — every object of its data bucket, every record of its files and batches tables —
 * and that it still serves: {@code /health}, and a good batch run to its end.
 */
final class ServingRuntime implements AutoCloseable {

    static final String ENDPOINT = "/v1/chat/completions";
    static final Duration BATCH_ENDS_WITHIN = Duration.ofMinutes(2);

    final LocalRuntime runtime;
    final OpenAIClient client;
    final AwsClients clients;
    final S3Client s3;
    final DynamoDbClient dynamo;
    private final HttpClient http = HttpClient.newHttpClient();

    private ServingRuntime(LocalRuntime runtime) {
        this.runtime = runtime;
        this.client = OpenAIOkHttpClient.builder()
                .baseUrl(runtime.apiBase().toString())
                .apiKey("sk-local")
                .maxRetries(0)
                .build();
        this.clients = Emulators.clients(runtime.s3Endpoint(), runtime.dynamoEndpoint());
        this.s3 = clients.s3();
        this.dynamo = clients.dynamoDb();
    }

    static ServingRuntime start(int chunkLines) {
        return new ServingRuntime(LocalRuntime.start(LocalRuntimes.isolated("openbatch-bad-input")
                .jobConcurrency(16)
                .chunkLines(chunkLines)
                .mapConcurrency(4)
                .workers(4)
                .build()));
    }

    /** A request line that any endpoint of the reference server answers with a 200. */
    static String goodLine(String customId) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"" + ENDPOINT
                + "\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello " + customId
                + "\"}]}}";
    }

    URI base() {
        return URI.create(runtime.apiBase() + "/");
    }

    /** What the runtime holds, to compare before and after a request that must leave nothing. */
    record Store(Set<String> objects, Set<String> files, Set<String> batches) {}

    Store store() {
        return new Store(objects(""), ids(LocalRuntime.FILES_TABLE), ids(LocalRuntime.BATCHES_TABLE));
    }

    /** The keys of the data bucket under a prefix. */
    Set<String> objects(String prefix) {
        Set<String> keys = new TreeSet<>();
        for (S3Object object : s3.listObjectsV2Paginator(
                        b -> b.bucket(LocalRuntime.BUCKET).prefix(prefix))
                .contents()) {
            keys.add(object.key());
        }
        return keys;
    }

    private Set<String> ids(String table) {
        Set<String> ids = new TreeSet<>();
        for (Map<String, AttributeValue> item : dynamo.scanPaginator(
                        b -> b.tableName(table).projectionExpression("id"))
                .items()) {
            ids.add(item.get("id").s());
        }
        return ids;
    }

    /** {@code /health} answers 200 and a good batch, submitted right now, completes. */
    void assertServing() {
        try {
            HttpResponse<String> health = http.send(
                    HttpRequest.newBuilder(URI.create(
                                    runtime.apiBase().resolve("/health").toString()))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).as("/health").isEqualTo(200);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        String batchId = SdkBatches.submit(client, ENDPOINT, goodLine("still-serving") + "\n");
        Batch batch = AwaitBatch.ended(client, batchId, BATCH_ENDS_WITHIN);
        assertThat(batch.status()).as("a good batch right after").isEqualTo(Batch.Status.COMPLETED);
        assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(1);
    }

    @Override
    public void close() {
        s3.close();
        dynamo.close();
        runtime.close();
    }
}
