package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.files.FileObject;
import dev.openbatch.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * S3-drop submission through the local runtime, as an operator uses it: a file put under
 * {@code incoming/} of the local S3 becomes one batch, visible through the API, and its results
 * appear under {@code results/}. Every event is delivered twice.
 */
class S3DropIntegrationTest {

    private static final Duration RESULTS_WITHIN = Duration.ofMinutes(3);
    private static final String INGEST = "openbatch-ingest";

    private static final List<LocalRuntime> started = new ArrayList<>();
    private static LocalRuntime runtime;
    private static S3Client s3;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        runtime = start(dataDir(), 2);
        s3 = s3(runtime);
        client = OpenAIOkHttpClient.builder()
                .baseUrl(runtime.apiBase().toString())
                .apiKey("sk-local")
                .maxRetries(0)
                .build();
    }

    @AfterAll
    static void stop() {
        started.forEach(LocalRuntime::close);
    }

    private static Path dataDir() {
        try {
            return Files.createTempDirectory("openbatch-drops");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static LocalRuntime start(Path dataDir, int deliveries) {
        LocalRuntime started = LocalRuntime.start(LocalRuntimes.isolated(dataDir)
                .jobConcurrency(8)
                .chunkLines(10)
                .mapConcurrency(4)
                .workers(4)
                .deliveries(deliveries)
                .build());
        S3DropIntegrationTest.started.add(started);
        return started;
    }

    /** An S3 client of the local stack, built as the functions build theirs. */
    private static S3Client s3(LocalRuntime runtime) {
        return Emulators.clients(runtime.s3Endpoint(), runtime.dynamoEndpoint()).s3();
    }

    private static String lines(String prefix, int count) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < count; i++) {
            lines.append("{\"custom_id\":\"")
                    .append(prefix)
                    .append(i)
                    .append("\",\"method\":\"POST\",")
                    .append("\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"")
                    .append(i == 3 ? "error-400" : "m")
                    .append("\",\"messages\":[{\"role\":\"user\",\"content\":\"line ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        return lines.toString();
    }

    private static void drop(S3Client s3, String key, String content, Map<String, String> metadata) {
        s3.putObject(
                b -> b.bucket(INGEST).key(key).metadata(metadata),
                RequestBody.fromString(content, StandardCharsets.UTF_8));
    }

    private static Optional<String> text(S3Client s3, String key) {
        try {
            return Optional.of(
                    s3.getObjectAsBytes(b -> b.bucket(INGEST).key(key)).asUtf8String());
        } catch (NoSuchKeyException absent) {
            return Optional.empty();
        }
    }

    /** Polls the results folder until its batch.json is there and, if given, is not {@code notBatchId}'s. */
    private static JsonNode awaitBatchJson(S3Client s3, String folder, String notBatchId) throws IOException {
        long deadline = System.nanoTime() + RESULTS_WITHIN.toNanos();
        while (true) {
            Optional<String> batch = text(s3, folder + "batch.json");
            if (batch.isPresent()) {
                JsonNode json = Json.MAPPER.readTree(batch.get());
                if (notBatchId == null || !notBatchId.equals(json.path("id").asText())) {
                    return json;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no batch.json in s3://" + INGEST + "/" + folder + " after " + RESULTS_WITHIN);
            }
            AwaitBatch.pause();
        }
    }

    private static JsonNode get(LocalRuntime runtime, String path) throws IOException {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(runtime.apiBase() + path))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            return Json.MAPPER.readTree(response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The tenant's batches whose metadata names this drop. */
    private static List<JsonNode> batchesOf(LocalRuntime runtime, String key) throws IOException {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode batch : get(runtime, "/batches?limit=100").get("data")) {
            if (("s3://" + INGEST + "/" + key)
                    .equals(batch.path("metadata").path("source_object").asText())) {
                found.add(batch);
            }
        }
        return found;
    }

    @Test
    void aDrop_runsAsOneBatchOfItsJobsTenant_andItsResultsAppearBesideIt() throws IOException {
        String key = "incoming/job-local/nightly/run-1.jsonl";
        drop(s3, key, lines("run-1-", 25), Map.of("project", "alpha"));

        JsonNode batch = awaitBatchJson(s3, "results/job-local/nightly/run-1/", null);

        assertThat(batch.get("status").asText()).isEqualTo("completed");
        assertThat(batch).isEqualTo(get(runtime, "/batches/" + batch.get("id").asText()));
        assertThat(batch.get("job_id").asText()).isEqualTo("job-local");
        assertThat(batch.get("metadata").get("project").asText()).isEqualTo("alpha");
        assertThat(batch.get("request_counts").get("completed").asInt()).isEqualTo(24);
        assertThat(batch.get("request_counts").get("failed").asInt()).isEqualTo(1);
        List<String> output = text(s3, "results/job-local/nightly/run-1/output.jsonl")
                .orElseThrow()
                .lines()
                .toList();
        List<String> errors = text(s3, "results/job-local/nightly/run-1/errors.jsonl")
                .orElseThrow()
                .lines()
                .toList();
        assertThat(output).hasSize(24);
        assertThat(errors).singleElement().asString().contains("\"custom_id\":\"run-1-3\"", "\"status_code\":400");
        Set<String> customIds = new HashSet<>();
        for (String line : output) {
            assertThat(customIds.add(Json.MAPPER.readTree(line).get("custom_id").asText()))
                    .isTrue();
        }
        assertThat(customIds).hasSize(24).doesNotContain("run-1-3");

        assertThat(batchesOf(runtime, key))
                .as("every event came twice; one batch")
                .hasSize(1);
        FileObject input = client.files().retrieve(batch.get("input_file_id").asText());
        assertThat(input.filename()).isEqualTo("run-1.jsonl");
        assertThat(input.purpose()).isEqualTo(FileObject.Purpose.BATCH);
        assertThat(client.files().list().data()).extracting(FileObject::id).contains(input.id());
        try (InputStream content = client.files().content(input.id()).body()) {
            assertThat(new String(content.readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo(lines("run-1-", 25));
        }
    }

    @Test
    void aNewVersionOfTheSameKey_isANewBatch_whoseResultsReplaceTheFirsts() throws IOException {
        String key = "incoming/job-local/again.jsonl";
        drop(s3, key, lines("v1-", 5), Map.of());
        JsonNode first = awaitBatchJson(s3, "results/job-local/again/", null);

        drop(s3, key, lines("v2-", 6), Map.of());
        JsonNode second =
                awaitBatchJson(s3, "results/job-local/again/", first.get("id").asText());

        assertThat(second.get("request_counts").get("total").asInt()).isEqualTo(6);
        assertThat(batchesOf(runtime, key))
                .extracting(b -> b.get("id").asText())
                .containsExactlyInAnyOrder(
                        first.get("id").asText(), second.get("id").asText());
        assertThat(text(s3, "results/job-local/again/output.jsonl").orElseThrow())
                .contains("v2-0")
                .doesNotContain("v1-");
    }

    @Test
    void aDropThatFailsValidation_endsFailed_andStillGetsItsBatchJsonWithTheErrors() throws IOException {
        String key = "incoming/job-local/broken.jsonl";
        drop(s3, key, "this is not json\n" + lines("b-", 2), Map.of("openbatch-endpoint", "/v1/chat/completions"));

        JsonNode batch = awaitBatchJson(s3, "results/job-local/broken/", null);

        assertThat(batch.get("status").asText()).isEqualTo("failed");
        assertThat(batch.get("errors").get("data").get(0).get("line").asInt()).isEqualTo(1);
        assertThat(batch).isEqualTo(get(runtime, "/batches/" + batch.get("id").asText()));
        assertThat(text(s3, "results/job-local/broken/output.jsonl")).isEmpty();
        assertThat(batchesOf(runtime, key)).hasSize(1);
    }

    @Test
    void eachKindOfBadDrop_leavesABatchJsonSayingWhy_andNoBatch() throws IOException {
        drop(s3, "incoming/job-local/table.csv", lines("csv-", 1), Map.of());
        drop(s3, "incoming/job-nope/a.jsonl", lines("nope-", 1), Map.of());
        drop(s3, "incoming/no-job.jsonl", lines("flat-", 1), Map.of());
        drop(s3, "incoming/job-local/prose.jsonl", "Dear GPU, please answer these.\n", Map.of());
        long tooBig = 200_000_001L;
        s3.putObject(
                b -> b.bucket(INGEST).key("incoming/job-local/huge.jsonl"),
                RequestBody.fromContentProvider(() -> new Blanks(tooBig), tooBig, "application/jsonl"));

        Map<String, String> expected = Map.of(
                "results/job-local/table.csv/", "invalid_file_format",
                "results/job-nope/a/", "invalid_value",
                "results/no-job/", "invalid_drop_key",
                "results/job-local/prose/", "invalid_file_format",
                "results/job-local/huge/", "file_too_large");
        for (Map.Entry<String, String> bad : expected.entrySet()) {
            JsonNode refusal = awaitBatchJson(s3, bad.getKey(), null);
            assertThat(refusal.size()).as(bad.getKey()).isEqualTo(1);
            JsonNode error = refusal.get("error");
            assertThat(error.get("code").asText()).as(bad.getKey()).isEqualTo(bad.getValue());
            assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
            assertThat(error.get("message").asText()).startsWith("s3://" + INGEST + "/incoming/");
        }
        s3.deleteObject(b -> b.bucket(INGEST).key("incoming/job-local/huge.jsonl"));
        for (String key : List.of(
                "incoming/job-local/table.csv",
                "incoming/job-nope/a.jsonl",
                "incoming/no-job.jsonl",
                "incoming/job-local/prose.jsonl",
                "incoming/job-local/huge.jsonl")) {
            assertThat(batchesOf(runtime, key)).as(key).isEmpty();
        }
    }

    @Test
    void aRestartedRuntime_seesItsDropsAgain_butStartsNoSecondBatch() throws IOException {
        Path dataDir = dataDir();
        LocalRuntime before = start(dataDir, 1);
        S3Client s3Before = s3(before);
        drop(s3Before, "incoming/job-local/a-before.jsonl", lines("a-", 3), Map.of());
        JsonNode first = awaitBatchJson(s3Before, "results/job-local/a-before/", null);
        before.close();

        LocalRuntime after = start(dataDir, 1);
        S3Client s3After = s3(after);
        // The watcher lists keys in order: once the later drop has its results, the earlier one was seen again.
        drop(s3After, "incoming/job-local/z-after.jsonl", lines("z-", 3), Map.of());
        awaitBatchJson(s3After, "results/job-local/z-after/", null);

        assertThat(batchesOf(after, "incoming/job-local/a-before.jsonl"))
                .extracting(b -> b.get("id").asText())
                .containsExactly(first.get("id").asText());
        assertThat(Json.MAPPER.readTree(
                        text(s3After, "results/job-local/a-before/batch.json").orElseThrow()))
                .isEqualTo(first);
        assertThat(get(after, "/batches?limit=100").get("data")).hasSize(2);
    }

    /** That many blank lines' worth of spaces, made as they are read: no 200 MB in memory or on disk twice. */
    private static final class Blanks extends InputStream {
        private long left;

        Blanks(long length) {
            this.left = length;
        }

        @Override
        public int read() {
            if (left == 0) {
                return -1;
            }
            left--;
            return ' ';
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(length, left);
            Arrays.fill(buffer, offset, offset + n, (byte) ' ');
            left -= n;
            return n;
        }
    }
}
