package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The finalizer, for a batch whose chunks did not all end: one ran whole, one stopped part way
 * (its log holds some lines), one never ran. Whether the batch completes, fails or expires, every
 * custom id ends exactly once across its two files, and its counts match them.
 */
class FinalizeMissingPartsTest {

    private static final String CAUSE = "{\"errorMessage\":\"no such key batches/batch_x/parts/00002/counts.json\","
            + "\"errorType\":\"java.lang.IllegalStateException\",\"stackTrace\":[\"dev.openbatch.core.pipeline"
            + ".FinalizeBatch.run(FinalizeBatch.java:71)\"]}";

    private final StubEndpoint endpoint = new StubEndpoint();
    private final TestApi t = new TestApi("{\"default_job\":\"job-stub\",\"jobs\":[{\"id\":\"job-stub\",\"base_url\":\""
            + endpoint.baseUrl() + "\",\"concurrency\":1,\"tenants\":[\"" + TestApi.TENANT + "\"]}]}");
    private final InMemoryChunkStore chunks = new InMemoryChunkStore();
    private final MutableClock clock = new MutableClock(t.clock.instant());
    private final RunChunk runChunk = new RunChunk(
            t.batchRecords,
            chunks,
            JobCatalog.fromJson(
                    "{\"jobs\":[{\"id\":\"job-stub\",\"base_url\":\"" + endpoint.baseUrl() + "\",\"concurrency\":1}]}"),
            new ChunkRunner(
                    new InferenceClient(Duration.ofSeconds(2), Duration.ofSeconds(5)),
                    TestImageResolvers.none(),
                    new RetryPolicy(1, Duration.ofMillis(1), Duration.ofMillis(5)),
                    clock),
            clock);
    private final FinalizeBatch finalize =
            new FinalizeBatch(t.batchRecords, t.fileRecords, t.content, chunks, new Ids(Clock.systemUTC()), clock);
    private String batchId;
    private ValidateBatch.Outcome outcome;
    /** How many of the stopped chunk's lines (d, e) ended: its first sends race, so which is not known. */
    private int stoppedEnded;

    @AfterEach
    void stop() {
        endpoint.close();
    }

    private static String line(String id, String model) {
        return "{\"custom_id\":\"" + id + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"" + model + "\"}}\n";
    }

    /**
     * Seven lines in chunks of three: chunk 0 runs whole, chunk 1 stops after its first line (or its
     * second, which may have passed the deadline's check already), chunk 2 never runs.
     */
    @BeforeEach
    void partlyRun() throws InterruptedException {
        String file = line("a", "m")
                + line("b", "error-400")
                + line("c", "m")
                + line("d", "m")
                + line("e", "m")
                + line("f", "m")
                + line("g", "m");
        batchId = t.createBatch(file, "/v1/chat/completions", "24h");
        outcome = new ValidateBatch(
                        t.batchRecords,
                        t.content,
                        new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(3), chunks),
                        5,
                        clock)
                .run(TestApi.TENANT, batchId);
        assertThat(outcome.chunkCount()).isEqualTo(3);
        runChunk.run(TestApi.TENANT, batchId, outcome.chunks().get(0));
        int until = endpoint.requests.get() + 1;
        RunChunk.Outcome stopped = runChunk.run(
                TestApi.TENANT,
                batchId,
                outcome.chunks().get(1),
                () -> endpoint.requests.get() < until ? Duration.ofHours(1) : Duration.ofSeconds(30));
        assertThat(stopped.ended()).isBetween(1, 2);
        assertThat(stopped.finished()).isFalse();
        stoppedEnded = stopped.ended();
    }

    /** The report the finalizer wrote counts each line as the files end it, those it ended itself included. */
    private void reportMatches(Batch batch, Map<String, String> endings) throws IOException {
        JsonNode report = Json.MAPPER.readTree(t.content.objects.get("batches/" + batch.id() + "/report.json"));
        assertThat(report.get("status").asText()).isEqualTo(batch.status());
        assertThat(report.at("/request_counts/failed").asLong())
                .isEqualTo(batch.requestCounts().failed());
        long notRun = endings.values().stream().filter("batch_failed"::equals).count();
        assertThat(report.get("errors_by_code")).anySatisfy(e -> {
            assertThat(e.get("code").asText()).isEqualTo("batch_failed");
            assertThat(e.get("status_code").isNull()).isTrue();
            assertThat(e.get("count").asLong()).isEqualTo(notRun);
        });
        long failedInTimeline = 0;
        for (JsonNode interval : report.at("/timeline/intervals")) {
            failedInTimeline += interval.get("failed").asLong();
        }
        assertThat(failedInTimeline)
                .as("every failed line in the timeline")
                .isEqualTo(batch.requestCounts().failed());
    }

    private static void countsMatch(Batch batch, Map<String, String> endings) {
        long answered = endings.values().stream().filter(String::isEmpty).count();
        assertThat(batch.requestCounts()).isEqualTo(new Batch.RequestCounts(7, answered, 7 - answered));
    }

    @Test
    void aFailedBatch_afterChunksRan_listsEveryCustomIdOnce_andSaysWhatWentWrongInWords() throws IOException {
        Batch failed = finalize.fail(TestApi.TENANT, batchId, outcome.chunkCount(), "States.TaskFailed", CAUSE);

        assertThat(failed.status()).isEqualTo(Batch.Status.FAILED);
        Map<String, String> endings = t.endings(failed);
        assertThat(endings).containsOnlyKeys("a", "b", "c", "d", "e", "f", "g");
        assertThat(endings)
                .containsEntry("a", "")
                .containsEntry("f", "batch_failed")
                .containsEntry("g", "batch_failed");
        assertThat(Stream.of("d", "e").map(endings::get))
                .allSatisfy(ending -> assertThat(ending).isIn("", "batch_failed"))
                .filteredOn(String::isEmpty)
                .hasSize(stoppedEnded);
        countsMatch(failed, endings);
        reportMatches(failed, endings);
        String message = failed.errors().data().getFirst().message();
        assertThat(message)
                .contains("An internal error stopped the batch")
                .doesNotContain(
                        "States.", "java", "Exception", "batches/", "FinalizeBatch", "stackTrace", "TaskFailed");
    }

    @Test
    void aFailedBatch_finalizedTwice_keepsTheSameFiles() throws IOException {
        Batch first = finalize.fail(TestApi.TENANT, batchId, outcome.chunkCount(), "States.TaskFailed", CAUSE);
        byte[] errors =
                t.content.objects.get(Files.contentKey(first.errorFileId())).clone();

        Batch second = finalize.fail(TestApi.TENANT, batchId, outcome.chunkCount(), "States.TaskFailed", CAUSE);

        assertThat(second).isEqualTo(first);
        assertThat(t.content.objects.get(Files.contentKey(first.errorFileId()))).isEqualTo(errors);
    }

    @Test
    void aBatchWhoseChunkTaskTimedOutAtItsWindow_endsExpired_withEveryCustomIdOnce() throws IOException {
        clock.advance(Batches.WINDOW_24H.plusSeconds(1));

        Batch expired = finalize.fail(TestApi.TENANT, batchId, outcome.chunkCount(), "States.Timeout", "");

        assertThat(expired.status()).isEqualTo(Batch.Status.EXPIRED);
        assertThat(expired.errors()).isNull();
        Map<String, String> endings = t.endings(expired);
        assertThat(endings).containsOnlyKeys("a", "b", "c", "d", "e", "f", "g");
        assertThat(endings).containsEntry("f", "batch_expired").containsEntry("g", "batch_expired");
        assertThat(Stream.of("d", "e").map(endings::get))
                .allSatisfy(ending -> assertThat(ending).isIn("", "batch_expired"))
                .filteredOn(String::isEmpty)
                .hasSize(stoppedEnded);
        countsMatch(expired, endings);
    }

    @Test
    void finalizingAChunkWithNoPart_pastTheWindow_endsItsLinesExpired() throws IOException {
        clock.advance(Batches.WINDOW_24H.plusSeconds(1));

        Batch expired = finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());

        assertThat(expired.status()).isEqualTo(Batch.Status.EXPIRED);
        Map<String, String> endings = t.endings(expired);
        assertThat(endings).containsEntry("f", "batch_expired").hasSize(7);
        countsMatch(expired, endings);
    }

    @Test
    void finalizingAChunkWithNoPart_withinTheWindow_saysItDidNotRun() throws IOException {
        Batch done = finalize.run(TestApi.TENANT, batchId, outcome.chunkCount());

        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        Map<String, String> endings = t.endings(done);
        assertThat(endings)
                .containsEntry("b", "http_400")
                .containsEntry("f", "chunk_not_run")
                .hasSize(7);
        countsMatch(done, endings);
    }

    @Test
    void aFailureBeforeAnyChunkWasCut_failsTheBatch_withoutFiles() {
        Batch failed = finalize.fail(TestApi.TENANT, batchId, null, "Lambda.Unknown", CAUSE);

        assertThat(failed.status()).isEqualTo(Batch.Status.FAILED);
        assertThat(failed.outputFileId()).isNull();
        assertThat(failed.errors().data().getFirst().message()).doesNotContain("Lambda", "java", "batches/");
    }

    @Test
    void failureMessages_sayWhatHappened_forTimeoutsQueuesAndTheRest() {
        assertThat(FailureMessage.of("States.Timeout", true))
                .startsWith("The batch did not finish in the time it was given.");
        assertThat(FailureMessage.of("SQS.SdkClientException", true))
                .startsWith("The batch's requests could not be handed");
        assertThat(FailureMessage.of("java.lang.OutOfMemoryError", false))
                .startsWith("An internal error stopped the batch.")
                .doesNotContain("java");
    }
}
