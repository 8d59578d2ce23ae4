package dev.openbatch.core.ingest;

import static dev.openbatch.core.fakes.Responses.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Ids;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.fakes.InMemoryChunkStore;
import dev.openbatch.core.fakes.InMemoryDropBucket;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.core.pipeline.Chunk;
import dev.openbatch.core.pipeline.FinalizeBatch;
import dev.openbatch.core.pipeline.InputValidator;
import dev.openbatch.core.pipeline.PartCounts;
import dev.openbatch.core.pipeline.ValidateBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** S3-drop submission over in-memory ports: a drop becomes one batch, its results come back beside it. */
class IngestTest {

    private static final String BUCKET = "ingest";
    private static final Instant PUT_AT = Instant.parse("2026-11-21T11:59:00Z");
    private static final String LINES = """
            {"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"e","input":"x"}}
            {"custom_id":"b","method":"POST","url":"/v1/embeddings","body":{"model":"e","input":"y"}}
            """;

    private final TestApi t = new TestApi();
    private final AtomicBoolean launcherDown = new AtomicBoolean();
    /** The API's use cases, with a launcher that can be made to fail. */
    private final Batches batches = new Batches(
            t.batchRecords,
            t.fileRecords,
            JobCatalog.fromJson(TestApi.JOBS),
            (tenant, id) -> {
                if (launcherDown.get()) {
                    throw new IllegalStateException("Step Functions is unreachable");
                }
                t.launched.add(id);
            },
            Batches.WINDOW_24H,
            new Ids(Clock.systemUTC()),
            t.clock);

    private final InMemoryDropBucket bucket = new InMemoryDropBucket(BUCKET, t.content);
    private final DropResults results = new DropResults(bucket, t.content);
    private final Ingest ingest =
            new Ingest(bucket, t.files, batches, JobCatalog.fromJson(TestApi.JOBS), results, 1_000, t.clock);
    private final InMemoryChunkStore chunks = new InMemoryChunkStore();
    private final ValidateBatch validate = new ValidateBatch(
            t.batchRecords,
            t.content,
            new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(1), chunks),
            5,
            t.clock);
    private final FinalizeBatch finalize = new FinalizeBatch(
            t.batchRecords, t.fileRecords, t.content, chunks, new Ids(Clock.systemUTC()), t.clock, results);

    private DropNotice drop(String key, String content) {
        return bucket.drop(key, content, PUT_AT, Map.of());
    }

    private Batch batch(String id) {
        return t.batchRecords.find(TestApi.TENANT, id).orElseThrow();
    }

    private JsonNode resultJson(String key) throws IOException {
        assertThat(bucket.text(key)).as(key).isNotNull();
        return Json.MAPPER.readTree(bucket.text(key));
    }

    /** Runs the batch as the state machine would, each chunk ending with the given counts. */
    private Batch runToEnd(String batchId, String output, String errors) {
        ValidateBatch.Outcome outcome = validate.run(TestApi.TENANT, batchId);
        for (Chunk chunk : outcome.chunks()) {
            boolean first = chunk.index() == 0;
            chunks.writePart(
                    batchId,
                    chunk.index(),
                    (first ? output : "").getBytes(StandardCharsets.UTF_8),
                    (first ? errors : "").getBytes(StandardCharsets.UTF_8),
                    new PartCounts(first && !output.isEmpty() ? 1 : 0, first && !errors.isEmpty() ? 1 : 0, 0));
        }
        return finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());
    }

    @Test
    void aDrop_becomesABatchOfItsJobsFirstTenant_registeredAsTheApiWould() {
        Ingest.Outcome outcome = ingest.submit(
                bucket.drop("incoming/job-other/nightly/run-1.jsonl", LINES, PUT_AT, Map.of("project", "alpha")));

        assertThat(outcome.outcome()).isEqualTo("created");
        assertThat(outcome.tenant()).isEqualTo(TestApi.TENANT);
        assertThat(outcome.results()).isEqualTo("results/job-other/nightly/run-1/");
        JsonNode listed = json(t.send("GET", "/v1/batches")).get("data");
        assertThat(listed).hasSize(1);
        JsonNode batch = listed.get(0);
        assertThat(batch.get("id").asText()).isEqualTo(outcome.batchId());
        assertThat(batch.get("status").asText()).isEqualTo("validating");
        assertThat(batch.get("endpoint").asText()).isEqualTo("/v1/embeddings");
        assertThat(batch.get("completion_window").asText()).isEqualTo("24h");
        assertThat(batch.get("job_id").asText()).isEqualTo("job-other");
        assertThat(Json.MAPPER.convertValue(batch.get("metadata"), new TypeReference<Map<String, String>>() {}))
                .containsExactly(
                        Map.entry("project", "alpha"),
                        Map.entry("source_object", "s3://ingest/incoming/job-other/nightly/run-1.jsonl"),
                        Map.entry(
                                "source_etag",
                                bucket.objects
                                        .get("incoming/job-other/nightly/run-1.jsonl")
                                        .etag()));
        FileObject input =
                t.files.retrieve(TestApi.TENANT, batch.get("input_file_id").asText());
        assertThat(input.filename()).isEqualTo("run-1.jsonl");
        assertThat(input.purpose()).isEqualTo(Files.PURPOSE_BATCH);
        assertThat(input.bytes()).isEqualTo(LINES.length());
        assertThat(new String(t.content.objects.get(Files.contentKey(input.id())), StandardCharsets.UTF_8))
                .isEqualTo(LINES);
        assertThat(t.launched).containsExactly(outcome.batchId());
        assertThat(outcome.batchId())
                .startsWith(
                        new Ids(Clock.fixed(PUT_AT, t.clock.getZone())).batch().substring(0, 14));
    }

    @Test
    void theSameEventTwice_makesOneBatchAndOneFile() {
        DropNotice notice = drop("incoming/job-default/a.jsonl", LINES);

        Ingest.Outcome first = ingest.submit(notice);
        Ingest.Outcome again = ingest.submit(notice);

        assertThat(again.outcome()).isEqualTo("existing");
        assertThat(again.batchId()).isEqualTo(first.batchId());
        assertThat(t.batchRecords.size()).isEqualTo(1);
        assertThat(t.fileRecords.size()).isEqualTo(1);
        // still validating: started again, in case the first start was lost; the execution name keeps it one run
        assertThat(t.launched).containsExactly(first.batchId(), first.batchId());
        validate.run(TestApi.TENANT, first.batchId());
        assertThat(ingest.submit(notice).outcome()).isEqualTo("existing");
        assertThat(t.launched).hasSize(2);
    }

    @Test
    void aNewVersionOfTheSameKey_isANewBatch_andSoAreTheSameBytesWrittenAgain() {
        String first =
                ingest.submit(drop("incoming/job-default/a.jsonl", LINES)).batchId();
        String changed = ingest.submit(bucket.drop(
                        "incoming/job-default/a.jsonl",
                        LINES.replace("\"x\"", "\"z\""),
                        PUT_AT.plusSeconds(60),
                        Map.of()))
                .batchId();
        String rewritten = ingest.submit(bucket.drop(
                        "incoming/job-default/a.jsonl",
                        LINES.replace("\"x\"", "\"z\""),
                        PUT_AT.plusSeconds(120),
                        Map.of()))
                .batchId();

        assertThat(List.of(first, changed, rewritten)).doesNotHaveDuplicates().isSorted();
        assertThat(t.batchRecords.size()).isEqualTo(3);
        assertThat(t.fileRecords.size()).isEqualTo(3);
    }

    @Test
    void anEventForAnOverwrittenObject_isIgnored_forTheNewObjectHasItsOwn() {
        DropNotice old = drop("incoming/job-default/a.jsonl", LINES);
        bucket.drop(
                "incoming/job-default/a.jsonl",
                LINES + LINES.replace("\"a\"", "\"c\"").replace("\"b\"", "\"d\""),
                PUT_AT.plusSeconds(1),
                Map.of());

        Ingest.Outcome outcome = ingest.submit(old);

        assertThat(outcome.outcome()).isEqualTo("ignored");
        assertThat(outcome.reason()).contains("replaced by a newer object");
        assertThat(t.batchRecords.size()).isZero();
        assertThat(bucket.writes).isEmpty();
    }

    @Test
    void objectMetadata_namesTheEndpointAndWindow_andTheRestBecomesBatchMetadata() {
        Ingest.Outcome outcome = ingest.submit(bucket.drop(
                "incoming/job-default/b.jsonl",
                LINES.replace("/v1/embeddings", "/v1/completions"),
                PUT_AT,
                Map.of(
                        "openbatch-endpoint",
                        "/v1/completions",
                        "openbatch-completion-window",
                        "unlimited",
                        "owner",
                        "ops")));

        Batch batch = batch(outcome.batchId());
        assertThat(batch.endpoint()).isEqualTo("/v1/completions");
        assertThat(batch.completionWindow()).isEqualTo("unlimited");
        assertThat(batch.expiresAt()).isNull();
        assertThat(batch.metadata())
                .containsEntry("owner", "ops")
                .doesNotContainKeys("openbatch-endpoint", "openbatch-completion-window");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "not .jsonl | incoming/job-default/data.csv | | results/job-default/data.csv/ | invalid_file_format | Invalid file format for Batch API. Must be .jsonl",
                "unknown job | incoming/job-nope/a.jsonl | | results/job-nope/a/ | invalid_value | no job 'job-nope' is available",
                "no job in the key | incoming/a.jsonl | | results/a/ | invalid_drop_key | a drop goes to incoming/<job_id>/<name>.jsonl",
                "outside incoming/ | elsewhere/a.jsonl | | results/elsewhere/a/ | invalid_drop_key | a drop goes to incoming/<job_id>/<name>.jsonl",
                "not JSON | incoming/job-default/a.jsonl | hello | results/job-default/a/ | invalid_file_format | its first line is not JSON",
                "not an object | incoming/job-default/a.jsonl | [1] | results/job-default/a/ | invalid_file_format | its first line is not a JSON object",
                "no url | incoming/job-default/a.jsonl | {\"custom_id\":\"a\"} | results/job-default/a/ | invalid_file_format | its first line has no 'url'",
                "empty | incoming/job-default/a.jsonl | '' | results/job-default/a/ | invalid_file_format | it is empty",
                "unknown endpoint | incoming/job-default/a.jsonl | {\"url\":\"/v1/images\"} | results/job-default/a/ | invalid_value | '/v1/images' is not one of",
                "too big | incoming/job-default/a.jsonl | TOO_BIG | results/job-default/a/ | file_too_large | The file is 1001 bytes; a batch's input file may be at most 1000 bytes.",
            })
    void aBadDrop_isRefused_withABatchJsonSayingWhy_andNothingElse(
            String why, String key, String content, String folder, String code, String message) throws IOException {
        String bytes = "TOO_BIG".equals(content) ? "x".repeat(1001) : content == null ? LINES : content;
        bucket.objects.put(
                folder + DropLayout.OUTPUT, new InMemoryDropBucket.Stored(new byte[1], "e", PUT_AT, Map.of()));

        Ingest.Outcome outcome = ingest.submit(drop(key, bytes));

        assertThat(outcome.outcome()).isEqualTo("refused");
        assertThat(outcome.results()).isEqualTo(folder);
        JsonNode error = resultJson(folder + DropLayout.BATCH);
        assertThat(error.size()).isEqualTo(1);
        assertThat(error.get("error").get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("error").get("code").asText()).isEqualTo(code);
        assertThat(error.get("error").get("message").asText())
                .startsWith("s3://ingest/" + key + " was not submitted: ")
                .contains(message);
        assertThat(bucket.objects).doesNotContainKey(folder + DropLayout.OUTPUT);
        assertThat(t.batchRecords.size()).isZero();
        assertThat(t.fileRecords.size()).isZero();
        assertThat(t.launched).isEmpty();
        assertThat(ingest.submit(drop(key, bytes)).outcome())
                .as("refused again, the same way")
                .isEqualTo("refused");
    }

    @Test
    void unknownOpenbatchMetadata_isRefused_soATypoDoesNotPassUnnoticed() throws IOException {
        ingest.submit(bucket.drop(
                "incoming/job-default/a.jsonl", LINES, PUT_AT, Map.of("openbatch-endpont", "/v1/embeddings")));

        JsonNode error = resultJson("results/job-default/a/batch.json").get("error");
        assertThat(error.get("code").asText()).isEqualTo("unknown_parameter");
        assertThat(error.get("message").asText()).contains("x-amz-meta-openbatch-endpont");
    }

    @Test
    void tooMuchMetadata_isRefusedAsTheApiRefusesIt() throws IOException {
        Map<String, String> metadata = new HashMap<>();
        for (int i = 0; i < 15; i++) { // with source_object and source_etag, one pair over 16
            metadata.put("k" + i, "v");
        }
        ingest.submit(bucket.drop("incoming/job-default/a.jsonl", LINES, PUT_AT, metadata));

        assertThat(resultJson("results/job-default/a/batch.json")
                        .get("error")
                        .get("code")
                        .asText())
                .isEqualTo("object_above_max_properties");
    }

    @Test
    void resultsFoldersAndOtherBuckets_areIgnored_writingNothing() {
        assertThat(ingest.submit(drop("results/job-default/a/batch.json", "{}")).outcome())
                .isEqualTo("ignored");
        assertThat(ingest.submit(drop("incoming/job-default/", "")).outcome()).isEqualTo("ignored");
        assertThat(ingest.submit(new DropNotice("another", "incoming/job-default/a.jsonl", null, "e", 1))
                        .outcome())
                .isEqualTo("ignored");
        assertThat(ingest.submit(new DropNotice(BUCKET, "incoming/job-default/gone.jsonl", null, "e", 1))
                        .outcome())
                .isEqualTo("ignored");
        assertThat(bucket.writes).isEmpty();
        assertThat(t.batchRecords.size()).isZero();
    }

    @Test
    void whenTheBatchEnds_itsFilesAndBatchJsonAreWrittenBesideTheDrop_andAgainTheSame() throws IOException {
        String batchId =
                ingest.submit(drop("incoming/job-default/a.jsonl", LINES)).batchId();

        Batch ended = runToEnd(batchId, "{\"custom_id\":\"a\"}\n", "{\"custom_id\":\"b\"}\n");

        assertThat(ended.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(bucket.text("results/job-default/a/output.jsonl")).isEqualTo("{\"custom_id\":\"a\"}\n");
        assertThat(bucket.text("results/job-default/a/errors.jsonl")).isEqualTo("{\"custom_id\":\"b\"}\n");
        assertThat(resultJson("results/job-default/a/batch.json"))
                .isEqualTo(json(t.send("GET", "/v1/batches/" + batchId)));
        assertThat(bucket.writes.getLast()).isEqualTo("results/job-default/a/batch.json");

        List<String> before = List.copyOf(bucket.writes);
        finalize.run(TestApi.TENANT, batchId, 2);
        assertThat(resultJson("results/job-default/a/batch.json"))
                .isEqualTo(json(t.send("GET", "/v1/batches/" + batchId)));
        assertThat(bucket.writes).hasSize(before.size() * 2);
    }

    @Test
    void whileTheBatchRuns_eachWholePartShowsUnderPartial_andTheFinalFilesReplaceThem() throws IOException {
        String batchId =
                ingest.submit(drop("incoming/job-default/a.jsonl", LINES)).batchId();
        ValidateBatch.Outcome outcome = validate.run(TestApi.TENANT, batchId);
        assertThat(outcome.chunkCount()).isEqualTo(2);

        chunks.writePart(
                batchId,
                0,
                "{\"custom_id\":\"a\"}\n".getBytes(StandardCharsets.UTF_8),
                new byte[0],
                new PartCounts(1, 0, 0));
        results.partWritten(batchId, 0, chunks);
        assertThat(bucket.objects.keySet())
                .filteredOn(key -> key.startsWith("results/"))
                .containsExactly("results/job-default/a/partial/output-00000.jsonl");
        assertThat(bucket.text("results/job-default/a/partial/output-00000.jsonl"))
                .isEqualTo("{\"custom_id\":\"a\"}\n");

        chunks.writePart(
                batchId,
                1,
                new byte[0],
                "{\"custom_id\":\"b\"}\n".getBytes(StandardCharsets.UTF_8),
                new PartCounts(0, 1, 0));
        results.partWritten(batchId, 1, chunks);
        results.partWritten(batchId, 1, chunks);
        assertThat(bucket.text("results/job-default/a/partial/errors-00001.jsonl"))
                .isEqualTo("{\"custom_id\":\"b\"}\n");

        finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());
        assertThat(bucket.objects.keySet())
                .filteredOn(key -> key.startsWith("results/"))
                .containsExactlyInAnyOrder(
                        "results/job-default/a/output.jsonl",
                        "results/job-default/a/errors.jsonl",
                        "results/job-default/a/batch.json");

        // A run that writes the part again after the end (a late duplicate) shows nothing more.
        results.partWritten(batchId, 0, chunks);
        assertThat(bucket.objects.keySet()).noneMatch(key -> key.contains("/partial/"));
    }

    @Test
    void aPartOfABatchCreatedThroughTheApi_writesNothingToTheIngestBucket() {
        String batchId = t.createBatch(LINES, "/v1/embeddings", "24h");
        chunks.writePart(batchId, 0, "{}\n".getBytes(StandardCharsets.UTF_8), new byte[0], new PartCounts(1, 0, 0));

        results.partWritten(batchId, 0, chunks);

        assertThat(bucket.writes).isEmpty();
    }

    @Test
    void aBatchThatFailsValidation_getsItsBatchJsonWithTheErrors_andNoStaleOutput() throws IOException {
        String older =
                ingest.submit(drop("incoming/job-default/a.jsonl", LINES)).batchId();
        runToEnd(older, "{\"custom_id\":\"a\"}\n", "");
        assertThat(bucket.objects).containsKey("results/job-default/a/output.jsonl");

        String batchId = ingest.submit(bucket.drop(
                        "incoming/job-default/a.jsonl", LINES + "not json\n", PUT_AT.plusSeconds(60), Map.of()))
                .batchId();
        Batch failed = runToEnd(batchId, "", "");

        assertThat(failed.status()).isEqualTo(Batch.Status.FAILED);
        JsonNode published = resultJson("results/job-default/a/batch.json");
        assertThat(published).isEqualTo(json(t.send("GET", "/v1/batches/" + batchId)));
        assertThat(published.get("errors").get("data").get(0).get("line").asInt())
                .isEqualTo(3);
        assertThat(bucket.objects)
                .doesNotContainKeys("results/job-default/a/output.jsonl", "results/job-default/a/errors.jsonl");
    }

    @Test
    void anOlderDropWhoseBatchEndsLast_leavesTheNewerDropsResultsInPlace() throws IOException {
        String older =
                ingest.submit(drop("incoming/job-default/a.jsonl", LINES)).batchId();
        String newer = ingest.submit(bucket.drop(
                        "incoming/job-default/a.jsonl",
                        LINES.replace("\"x\"", "\"z\""),
                        PUT_AT.plusSeconds(60),
                        Map.of()))
                .batchId();

        runToEnd(newer, "{\"custom_id\":\"new\"}\n", "");
        runToEnd(older, "{\"custom_id\":\"old\"}\n", "{\"custom_id\":\"b\"}\n");

        assertThat(resultJson("results/job-default/a/batch.json").get("id").asText())
                .isEqualTo(newer);
        assertThat(bucket.text("results/job-default/a/output.jsonl")).contains("new");
        assertThat(bucket.objects).doesNotContainKey("results/job-default/a/errors.jsonl");
    }

    @Test
    void aBatchTheStateMachineFailed_getsItsBatchJson() throws IOException {
        String batchId =
                ingest.submit(drop("incoming/job-default/a.jsonl", LINES)).batchId();

        finalize.fail(TestApi.TENANT, batchId, "States.Timeout", "the chunk took too long");

        JsonNode published = resultJson("results/job-default/a/batch.json");
        assertThat(published.get("status").asText()).isEqualTo("failed");
        assertThat(published.get("errors").get("data").get(0).get("code").asText())
                .isEqualTo("batch_failed");
    }

    @Test
    void aBatchThatCouldNotBeStarted_failsTheEvent_andItsRetryWritesTheBatchJson() throws IOException {
        DropNotice notice = drop("incoming/job-default/a.jsonl", LINES);
        launcherDown.set(true);

        assertThatThrownBy(() -> ingest.submit(notice)).hasMessageContaining("unreachable");
        Ingest.Outcome retried = ingest.submit(notice);

        assertThat(retried.outcome()).isEqualTo("existing");
        JsonNode published = resultJson("results/job-default/a/batch.json");
        assertThat(published.get("id").asText()).isEqualTo(retried.batchId());
        assertThat(published.get("errors").get("data").get(0).get("code").asText())
                .isEqualTo("batch_not_started");
        int writes = bucket.writes.size();
        ingest.submit(notice);
        assertThat(bucket.writes).as("published once is enough").hasSize(writes);
    }

    @Test
    void aBatchCreatedThroughTheApi_writesNothingToTheIngestBucket() {
        String batchId = t.createBatch(LINES, "/v1/embeddings", "24h");

        runToEnd(batchId, "{\"custom_id\":\"a\"}\n", "");

        assertThat(batch(batchId).status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(bucket.writes).isEmpty();
    }
}
