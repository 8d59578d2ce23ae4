package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Ids;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.fakes.InMemoryChunkStore;
import dev.openbatch.core.fakes.MutableClock;
import dev.openbatch.core.fakes.StubEndpoint;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.fakes.TestImageResolvers;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.jobs.JobCatalog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Validate, run every chunk, finalize — the steps the state machine calls — over in-memory ports. */
class PipelineTest {

    private final StubEndpoint endpoint = new StubEndpoint();
    private final TestApi t = new TestApi("{\"default_job\":\"job-stub\",\"jobs\":[{\"id\":\"job-stub\",\"base_url\":\""
            + endpoint.baseUrl() + "\",\"concurrency\":4,\"tenants\":[\"" + TestApi.TENANT + "\"]}]}");
    private final InMemoryChunkStore chunks = new InMemoryChunkStore();
    private final MutableClock clock = new MutableClock(t.clock.instant());
    private final JobCatalog jobs = JobCatalog.fromJson(
            "{\"jobs\":[{\"id\":\"job-stub\",\"base_url\":\"" + endpoint.baseUrl() + "\",\"concurrency\":4}]}");
    private final ValidateBatch validate = new ValidateBatch(
            t.batchRecords,
            t.content,
            new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(3), chunks),
            5,
            clock);
    private final RunChunk runChunk = new RunChunk(
            t.batchRecords,
            chunks,
            jobs,
            new ChunkRunner(
                    new InferenceClient(Duration.ofSeconds(2), Duration.ofSeconds(5)),
                    TestImageResolvers.none(),
                    new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5)),
                    clock),
            clock);
    private final FinalizeBatch finalize =
            new FinalizeBatch(t.batchRecords, t.fileRecords, t.content, chunks, new Ids(Clock.systemUTC()), clock);

    @AfterEach
    void stop() {
        endpoint.close();
    }

    private static String line(String id, String model) {
        return "{\"custom_id\":\"" + id + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"" + model + "\",\"metadata\":{\"id\":\"" + id + "\"},\"x_unknown\":[1,2]}}\n";
    }

    private String createBatch(String file) {
        return t.createBatch(file, "/v1/chat/completions", "24h");
    }

    private Batch batch(String id) {
        return t.batchRecords.find(TestApi.TENANT, id).orElseThrow();
    }

    private List<JsonNode> lines(String fileId) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String text :
                new String(t.content.objects.get(Files.contentKey(fileId)), StandardCharsets.UTF_8).split("\n")) {
            lines.add(Json.MAPPER.readTree(text));
        }
        return lines;
    }

    private void runAll(ValidateBatch.Outcome outcome, String batchId) throws InterruptedException {
        for (Chunk chunk : outcome.chunks()) {
            runChunk.run(TestApi.TENANT, batchId, chunk);
        }
    }

    private static String lineWithUsage(String id, String model, String usage) {
        return "{\"custom_id\":\"" + id + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"" + model + "\",\"metadata\":{\"id\":\"" + id + "\"},\"x_usage\":" + usage + "}}\n";
    }

    @Test
    void usage_sumsWhatTheSuccessfulLinesReported_inEitherShape_growingWhileRunning_andCountedOnceWhateverReruns()
            throws Exception {
        String file = lineWithUsage(
                        "chat",
                        "m",
                        "{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15,"
                                + "\"prompt_tokens_details\":{\"cached_tokens\":2},"
                                + "\"completion_tokens_details\":{\"reasoning_tokens\":3}}")
                + lineWithUsage(
                        "responses",
                        "m",
                        "{\"input_tokens\":7,\"input_tokens_details\":{\"cached_tokens\":1},\"output_tokens\":1,"
                                + "\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":8}")
                + line("no-usage", "m")
                + lineWithUsage("refused", "error-400", "{\"prompt_tokens\":1000,\"total_tokens\":1000}")
                + lineWithUsage("embedding", "m", "{\"prompt_tokens\":4,\"total_tokens\":4}");
        String batchId = createBatch(file);
        assertThat(batch(batchId).usage()).as("validating: nothing has run").isNull();

        ValidateBatch.Outcome outcome = validate.run(TestApi.TENANT, batchId);
        assertThat(batch(batchId).usage())
                .as("in progress, no line counted yet")
                .isEqualTo(Batch.Usage.ZERO);
        assertThat(batch(batchId).model()).isNull();

        runChunk.run(TestApi.TENANT, batchId, outcome.chunks().get(0));
        assertThat(batch(batchId).usage()).as("after the first chunk").isEqualTo(Batch.Usage.of(17, 3, 6, 3, 23));

        // The first chunk delivered again, the second run twice, the finalizer twice: each chunk counts once.
        runChunk.run(TestApi.TENANT, batchId, outcome.chunks().get(0));
        runChunk.run(TestApi.TENANT, batchId, outcome.chunks().get(1));
        runChunk.run(TestApi.TENANT, batchId, outcome.chunks().get(1));
        finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());
        Batch done = finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());

        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(done.requestCounts()).isEqualTo(new Batch.RequestCounts(5, 4, 1));
        assertThat(done.usage())
                .as("the refused line's usage is not counted; embeddings' prompt tokens are")
                .isEqualTo(Batch.Usage.of(21, 3, 6, 3, 27));
    }

    @Test
    void aBatchWhoseInputIsRemovedAfterValidation_goesOnFromItsCut_whenValidatedAgain() throws Exception {
        String batchId = createBatch(line("a", "m") + line("b", "m") + line("c", "m") + line("d", "m"));
        ValidateBatch.Outcome first = validate.run(TestApi.TENANT, batchId);
        String input = batch(batchId).inputFileId();
        // The input expires and the sweeper removes it; then the batch stalls, and its new run validates again.
        t.content.delete(Files.contentKey(input));
        t.fileRecords.delete(TestApi.TENANT, input);

        ValidateBatch.Outcome again = validate.run(TestApi.TENANT, batchId);

        assertThat(again).isEqualTo(first);
        assertThat(batch(batchId).status()).isEqualTo(Batch.Status.IN_PROGRESS);
        runAll(again, batchId);
        Batch done = finalize.run(TestApi.TENANT, batchId, again.chunkCount());
        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(done.requestCounts()).isEqualTo(new Batch.RequestCounts(4, 4, 0));
    }

    @Test
    void model_isRecordedOnceValidationReadsTheLines() throws Exception {
        String batchId = createBatch(line("a", "m") + line("b", "m"));
        assertThat(batch(batchId).model()).isNull();

        validate.run(TestApi.TENANT, batchId);

        assertThat(batch(batchId).model()).isEqualTo("m");
        assertThat(batch(batchId).status()).isEqualTo(Batch.Status.IN_PROGRESS);
    }

    @Test
    void aBatch_runsToCompleted_withEveryCustomIdOnce_acrossOutputAndErrorFiles() throws Exception {
        String file = line("ok-1", "m")
                + line("bad-1", "error-400")
                + line("flaky-1", "flaky-2")
                + line("gone-1", "flaky-9")
                + line("ok-2", "m")
                + line("junk-1", "garbage")
                + line("ok-3", "m");
        String batchId = createBatch(file);
        assertThat(t.launched).containsExactly(batchId);

        ValidateBatch.Outcome outcome = validate.run(TestApi.TENANT, batchId);
        assertThat(outcome.valid()).isTrue();
        assertThat(outcome.chunks()).hasSize(3);
        assertThat(batch(batchId).status()).isEqualTo(Batch.Status.IN_PROGRESS);
        assertThat(batch(batchId).requestCounts().total()).isEqualTo(7);
        runAll(outcome, batchId);
        Batch done = finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());

        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(done.completedAt()).isNotNull();
        assertThat(done.finalizingAt()).isNotNull();
        assertThat(done.requestCounts()).isEqualTo(new Batch.RequestCounts(7, 4, 3));
        List<JsonNode> output = lines(done.outputFileId());
        List<JsonNode> errors = lines(done.errorFileId());
        assertThat(output)
                .extracting(l -> l.get("custom_id").asText())
                .containsExactly("ok-1", "flaky-1", "ok-2", "ok-3");
        assertThat(errors).extracting(l -> l.get("custom_id").asText()).containsExactly("bad-1", "gone-1", "junk-1");

        JsonNode ok = output.getFirst();
        assertThat(ok.get("id").asText()).isEqualTo(ChunkRunner.lineId(batchId, 1));
        assertThat(ok.get("response").get("status_code").asInt()).isEqualTo(200);
        assertThat(ok.get("response").get("request_id").asText()).startsWith("req-stub-");
        assertThat(ok.get("response").get("body").get("path").asText()).isEqualTo("/v1/chat/completions");
        assertThat(ok.get("error").isNull()).isTrue();
        assertThat(errors.get(0).get("response").get("status_code").asInt()).isEqualTo(400);
        assertThat(errors.get(1).get("response").get("status_code").asInt())
                .as("last status kept")
                .isEqualTo(503);
        assertThat(errors.get(2).get("response").get("status_code").asInt()).isEqualTo(502);
        assertThat(t.fileRecords
                        .find(TestApi.TENANT, done.outputFileId())
                        .orElseThrow()
                        .purpose())
                .isEqualTo(Files.PURPOSE_BATCH_OUTPUT);
    }

    @Test
    void aLineWithACarriageReturnBetweenItsTokens_runsAsTheOneRequestItIs() throws Exception {
        String file =
                "{\"custom_id\":\"cr\",\r\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\"}}\r\n"
                        + line("after", "m");
        String batchId = createBatch(file);

        ValidateBatch.Outcome outcome = validate.run(TestApi.TENANT, batchId);
        runAll(outcome, batchId);
        Batch done = finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());

        assertThat(done.requestCounts()).isEqualTo(new Batch.RequestCounts(2, 2, 0));
        assertThat(lines(done.outputFileId()))
                .extracting(l -> l.get("custom_id").asText())
                .containsExactly("cr", "after");
    }

    @Test
    void redeliveredChunks_andARepeatedFinalize_changeNothing() throws Exception {
        String batchId = createBatch(line("a", "m") + line("b", "m") + line("c", "error-422") + line("d", "m"));
        ValidateBatch.Outcome outcome = validate.run(TestApi.TENANT, batchId);
        assertThat(validate.run(TestApi.TENANT, batchId))
                .as("validation retried")
                .isEqualTo(outcome);

        runAll(outcome, batchId);
        int requests = endpoint.requests.get();
        runAll(outcome, batchId);
        assertThat(endpoint.requests.get()).as("no line sent twice").isEqualTo(requests);
        assertThat(chunks.partWrites.get()).isEqualTo(outcome.chunkCount());

        Batch first = finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());
        byte[] output =
                t.content.objects.get(Files.contentKey(first.outputFileId())).clone();
        Batch second = finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());

        assertThat(second).isEqualTo(first);
        assertThat(first.requestCounts()).isEqualTo(new Batch.RequestCounts(4, 3, 1));
        assertThat(t.content.objects.get(Files.contentKey(first.outputFileId())))
                .isEqualTo(output);
        assertThat(t.fileRecords.size()).isEqualTo(3);
    }

    @Test
    void anAbandonedChunk_endsEachOfItsLinesAsChunkFailed_once_whileAWholePartStands() throws Exception {
        String batchId = createBatch(line("a", "m") + line("b", "m") + line("c", "m") + line("d", "m"));
        ValidateBatch.Outcome outcome = validate.run(TestApi.TENANT, batchId);
        runChunk.run(TestApi.TENANT, batchId, outcome.chunks().get(0));

        PartCounts whole =
                runChunk.abandon(TestApi.TENANT, batchId, outcome.chunks().get(0));
        PartCounts abandoned =
                runChunk.abandon(TestApi.TENANT, batchId, outcome.chunks().get(1));
        runChunk.abandon(TestApi.TENANT, batchId, outcome.chunks().get(1));
        Batch done = finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());

        assertThat(whole.withoutStats()).isEqualTo(new PartCounts(3, 0, 0));
        assertThat(abandoned.withoutStats()).isEqualTo(new PartCounts(0, 1, 0));
        assertThat(endpoint.requests.get()).as("abandoning sends nothing").isEqualTo(3);
        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(done.requestCounts()).isEqualTo(new Batch.RequestCounts(4, 3, 1));
        assertThat(lines(done.outputFileId()))
                .extracting(l -> l.get("custom_id").asText())
                .containsExactly("a", "b", "c");
        JsonNode failed = lines(done.errorFileId()).getFirst();
        assertThat(failed.get("custom_id").asText()).isEqualTo("d");
        assertThat(failed.get("id").asText()).isEqualTo(ChunkRunner.lineId(batchId, 4));
        assertThat(failed.get("response").isNull()).isTrue();
        assertThat(failed.get("error").get("code").asText()).isEqualTo("chunk_failed");
    }

    @Test
    void anInvalidFile_failsTheBatch_withItsErrors_andRunsNothing() {
        String batchId = createBatch(line("a", "m") + "{oops\n" + line("a", "m"));

        ValidateBatch.Outcome outcome = validate.run(TestApi.TENANT, batchId);

        assertThat(outcome.valid()).isFalse();
        Batch failed = batch(batchId);
        assertThat(failed.status()).isEqualTo(Batch.Status.FAILED);
        assertThat(failed.failedAt()).isNotNull();
        assertThat(failed.errors().data())
                .extracting(Batch.Error::code, Batch.Error::line)
                .containsExactly(tuple("invalid_json_line", 2), tuple("duplicate_custom_id", 3));
        assertThat(chunks.chunks).isEmpty();
    }

    @Test
    void cancel_endsUnsentLinesAsCancelled_andTheBatchCancelled() throws Exception {
        String batchId = createBatch(line("a", "m") + line("b", "m") + line("c", "m") + line("d", "m"));
        ValidateBatch.Outcome outcome = validate.run(TestApi.TENANT, batchId);
        runChunk.run(TestApi.TENANT, batchId, outcome.chunks().get(0));

        Batch cancelling = t.batches.cancel(TestApi.TENANT, batchId);
        assertThat(cancelling.status()).isEqualTo(Batch.Status.CANCELLING);
        assertThat(cancelling.cancellingAt()).isNotNull();
        clock.advance(Duration.ofSeconds(2)); // past the worker's status refresh
        runChunk.run(TestApi.TENANT, batchId, outcome.chunks().get(1));
        Batch cancelled = finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());

        assertThat(cancelled.status()).isEqualTo(Batch.Status.CANCELLED);
        assertThat(cancelled.cancelledAt()).isNotNull();
        assertThat(lines(cancelled.outputFileId()))
                .extracting(l -> l.get("custom_id").asText())
                .containsExactly("a", "b", "c");
        JsonNode unsent = lines(cancelled.errorFileId()).getFirst();
        assertThat(unsent.get("custom_id").asText()).isEqualTo("d");
        assertThat(unsent.get("response").isNull()).isTrue();
        assertThat(unsent.get("error").get("code").asText()).isEqualTo("batch_cancelled");

        assertThat(t.send("POST", "/v1/batches/" + batchId + "/cancel").status())
                .isEqualTo(400);
    }

    @Test
    void aBatchPastItsWindow_endsExpired_keepingWhatWasDone() throws Exception {
        String batchId = createBatch(line("a", "m") + line("b", "m") + line("c", "m") + line("d", "m"));
        ValidateBatch.Outcome outcome = validate.run(TestApi.TENANT, batchId);
        runChunk.run(TestApi.TENANT, batchId, outcome.chunks().get(0));

        clock.advance(Batches.WINDOW_24H.plusSeconds(1));
        runChunk.run(TestApi.TENANT, batchId, outcome.chunks().get(1));
        Batch expired = finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());

        assertThat(expired.status()).isEqualTo(Batch.Status.EXPIRED);
        assertThat(expired.expiredAt()).isNotNull();
        assertThat(expired.requestCounts()).isEqualTo(new Batch.RequestCounts(4, 3, 1));
        assertThat(lines(expired.errorFileId())
                        .getFirst()
                        .get("error")
                        .get("code")
                        .asText())
                .isEqualTo("batch_expired");
    }

    @Test
    void aChunk_keepsUpToTheJobsConcurrencyInFlight_andNoMore() throws Exception {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            file.append(line("r" + i, "slow"));
        }
        String batchId = createBatch(file.toString());
        ValidateBatch.Outcome outcome = new ValidateBatch(
                        t.batchRecords,
                        t.content,
                        new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(30), chunks),
                        5,
                        clock)
                .run(TestApi.TENANT, batchId);
        assertThat(outcome.chunks()).hasSize(1);
        runAll(outcome, batchId);
        Batch done = finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());

        Set<String> ids = new HashSet<>();
        lines(done.outputFileId()).forEach(l -> ids.add(l.get("custom_id").asText()));
        assertThat(ids).hasSize(30);
        assertThat(done.errorFileId()).isNull();
        assertThat(endpoint.maxInFlight.get()).isEqualTo(4);
    }
}
