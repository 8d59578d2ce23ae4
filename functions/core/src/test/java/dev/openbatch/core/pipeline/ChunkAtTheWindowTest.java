package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.core.Ids;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.fakes.InMemoryChunkStore;
import dev.openbatch.core.fakes.MutableClock;
import dev.openbatch.core.fakes.StubEndpoint;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.fakes.TestImageResolvers;
import dev.openbatch.core.jobs.JobCatalog;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A chunk still running when its batch's window ends, its last checkpoint long before: its task
 * times out and the finalizer ends the chunk from its log while the worker goes on. What ended
 * before the window is in the output all the same, and the worker's own end afterwards changes
 * nothing.
 */
class ChunkAtTheWindowTest {

    private final StubEndpoint endpoint = new StubEndpoint();
    private final TestApi t = new TestApi("{\"default_job\":\"job-stub\",\"jobs\":[{\"id\":\"job-stub\",\"base_url\":\""
            + endpoint.baseUrl() + "\",\"concurrency\":2,\"tenants\":[\"" + TestApi.TENANT + "\"]}]}");
    private final InMemoryChunkStore chunks = new InMemoryChunkStore();
    private final MutableClock clock = new MutableClock(t.clock.instant());
    /** Checkpoints an hour apart: only the window's end has the log appended to before the run ends. */
    private final RunChunk runChunk = new RunChunk(
            t.batchRecords,
            chunks,
            JobCatalog.fromJson(
                    "{\"jobs\":[{\"id\":\"job-stub\",\"base_url\":\"" + endpoint.baseUrl() + "\",\"concurrency\":2}]}"),
            new ChunkRunner(
                    new InferenceClient(Duration.ofSeconds(2), Duration.ofSeconds(30)),
                    TestImageResolvers.none(),
                    new RetryPolicy(1, Duration.ofMillis(1), Duration.ofMillis(5)),
                    clock),
            clock,
            Duration.ofHours(1));

    private final FinalizeBatch finalize =
            new FinalizeBatch(t.batchRecords, t.fileRecords, t.content, chunks, new Ids(Clock.systemUTC()), clock);

    @AfterEach
    void stop() {
        endpoint.close();
    }

    private static String line(String id, String model) {
        return "{\"custom_id\":\"" + id + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"" + model + "\"}}\n";
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(until);
            Thread.sleep(10);
        }
    }

    @Test
    void aChunkRunningAtTheWindow_keepsWhatEndedInTime_whenTheFinalizerEndsItFirst() throws Exception {
        String batchId =
                t.createBatch(line("a", "m") + line("b", "m") + line("c", "held"), "/v1/chat/completions", "24h");
        ValidateBatch.Outcome outcome = new ValidateBatch(
                        t.batchRecords,
                        t.content,
                        new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(3), chunks),
                        5,
                        clock)
                .run(TestApi.TENANT, batchId);
        assertThat(outcome.chunkCount()).isEqualTo(1);
        CompletableFuture<PartCounts> run = CompletableFuture.supplyAsync(() -> {
            try {
                return runChunk.run(TestApi.TENANT, batchId, outcome.chunks().getFirst());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        waitFor(() -> endpoint.held.get() == 1 && endpoint.requests.get() == 3, "a and b answered, c at the endpoint");
        Thread.sleep(1_500); // a and b have ended well before the window: only an append keeps them
        assertThat(chunks.segments).as("no checkpoint an hour apart").isEmpty();

        clock.advance(Batches.WINDOW_24H.plusSeconds(1));
        waitFor(() -> !chunks.segments.isEmpty(), "the log appended to at the window");
        // The chunk's task timed out at the window and its grace: the finalizer ends the chunk from its log.
        Batch expired = finalize.fail(TestApi.TENANT, batchId, outcome.chunkCount(), "States.Timeout", "");

        assertThat(expired.status()).isEqualTo(Batch.Status.EXPIRED);
        Map<String, String> endings = t.endings(expired);
        assertThat(endings)
                .containsEntry("a", "")
                .containsEntry("b", "")
                .containsEntry("c", "batch_expired")
                .hasSize(3);
        assertThat(expired.requestCounts()).isEqualTo(new Batch.RequestCounts(3, 2, 1));

        endpoint.release.countDown();
        PartCounts late = run.get(10, TimeUnit.SECONDS);

        assertThat(late.failed()).as("the finalizer's part stands, c expired").isEqualTo(1);
        Batch after = t.batchRecords.find(TestApi.TENANT, batchId).orElseThrow();
        assertThat(after.requestCounts()).isEqualTo(expired.requestCounts());
        assertThat(t.endings(after)).isEqualTo(endings);
    }
}
