package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Ids;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.fakes.InMemoryChunkStore;
import dev.openbatch.core.fakes.MutableClock;
import dev.openbatch.core.fakes.StubEndpoint;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.fakes.TestImageResolvers;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.core.report.ChunkStats;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A chunk run across worker lifetimes and by runs at once, over in-memory ports: what each run ends
 * goes into the chunk's log once, a later run goes on from it, and the part assembled from it holds
 * every line once, with counts that match it.
 */
class ChunkCheckpointTest {

    private static final int CONCURRENCY = 2;

    private final StubEndpoint endpoint = new StubEndpoint();
    private final TestApi t = new TestApi(
            "{\"default_job\":\"job-stub\",\"jobs\":[{\"id\":\"job-stub\",\"base_url\":\"" + endpoint.baseUrl()
                    + "\",\"concurrency\":" + CONCURRENCY + ",\"tenants\":[\"" + TestApi.TENANT + "\"]}]}");
    private final InMemoryChunkStore chunks = new InMemoryChunkStore();
    private final MutableClock clock = new MutableClock(t.clock.instant());
    private final JobCatalog jobs = JobCatalog.fromJson("{\"jobs\":[{\"id\":\"job-stub\",\"base_url\":\""
            + endpoint.baseUrl() + "\",\"concurrency\":" + CONCURRENCY + "}]}");
    private final FinalizeBatch finalize =
            new FinalizeBatch(t.batchRecords, t.fileRecords, t.content, chunks, new Ids(Clock.systemUTC()), clock);

    @AfterEach
    void stop() {
        endpoint.close();
    }

    private RunChunk runChunk(ChunkStore store, Duration checkpointEvery) {
        return runChunk(store, checkpointEvery, new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5)));
    }

    private RunChunk runChunk(ChunkStore store, Duration checkpointEvery, RetryPolicy retry) {
        return new RunChunk(
                t.batchRecords,
                store,
                jobs,
                new ChunkRunner(
                        new InferenceClient(Duration.ofSeconds(2), Duration.ofSeconds(5)),
                        TestImageResolvers.none(),
                        retry,
                        clock),
                clock,
                checkpointEvery);
    }

    private static String line(String id, String model) {
        return "{\"custom_id\":\"" + id + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"" + model + "\",\"metadata\":{\"id\":\"" + id + "\"}}}\n";
    }

    private static String lines(int n, String model) {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < n; i++) {
            file.append(line("r" + i, model));
        }
        return file.toString();
    }

    /** A batch of the file, validated into chunks of {@code chunkLines}. */
    private ValidateBatch.Outcome batch(String file, int chunkLines, String[] id) {
        id[0] = t.createBatch(file, "/v1/chat/completions", "24h");
        return new ValidateBatch(
                        t.batchRecords,
                        t.content,
                        new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(chunkLines), chunks),
                        5,
                        clock)
                .run(TestApi.TENANT, id[0]);
    }

    /**
     * A lifetime that lasts until the endpoint has seen {@code requests} more requests, then leaves time
     * for the lines in flight to end but none to start another: the deadline, counted in requests rather
     * than in wall-clock time, so the test does not depend on the machine's speed.
     */
    private Deadline lastingFor(int requests) {
        int until = endpoint.requests.get() + requests;
        return () -> endpoint.requests.get() < until ? Duration.ofHours(1) : Duration.ofSeconds(30);
    }

    /** Each custom id of the part's two sides, with how often it appears. */
    private Map<String, Integer> endings(String batchId, int chunk) throws IOException {
        Map<String, Integer> seen = new HashMap<>();
        for (ChunkStore.PartKind kind : ChunkStore.PartKind.values()) {
            try (InputStream in = chunks.readPart(batchId, chunk, kind)) {
                for (String text : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    if (!text.isEmpty()) {
                        seen.merge(Json.MAPPER.readTree(text).get("custom_id").asText(), 1, Integer::sum);
                    }
                }
            }
        }
        return seen;
    }

    private List<JsonNode> fileLines(String fileId) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        if (fileId == null) {
            return lines;
        }
        for (String text :
                new String(t.content.objects.get(Files.contentKey(fileId)), StandardCharsets.UTF_8).split("\n")) {
            lines.add(Json.MAPPER.readTree(text));
        }
        return lines;
    }

    @Test
    void aChunkNeedingThreeLifetimes_finishesInThree_withEveryLineOnce_andNoLineSentTwice() throws Exception {
        String[] batchId = new String[1];
        Chunk chunk = batch(lines(30, "m"), 30, batchId).chunks().getFirst();
        RunChunk runChunk = runChunk(chunks, RunChunk.CHECKPOINT_EVERY);

        List<RunChunk.Outcome> lifetimes = new ArrayList<>();
        RunChunk.Outcome outcome;
        do {
            // 10 sends a lifetime, and up to 3 more: the lines already past the check when the 10th went out
            // (twice the concurrency may be preparing a send). Three lifetimes whichever.
            outcome = runChunk.run(TestApi.TENANT, batchId[0], chunk, lastingFor(10));
            lifetimes.add(outcome);
            if (!outcome.finished()) {
                // While the chunk runs, its report counts what its log holds: each ended line once.
                JsonNode running = Json.MAPPER.readTree(
                        new BatchReports(t.batchRecords, t.content, chunks, clock).report(TestApi.TENANT, batchId[0]));
                int endedSoFar =
                        lifetimes.stream().mapToInt(RunChunk.Outcome::ended).sum();
                assertThat(running.at("/request_counts/completed").asLong()).isEqualTo(endedSoFar);
                assertThat(running.at("/latency_ms/count").asLong()).isEqualTo(endedSoFar);
                assertThat(running.at("/attempts/per_line/1").asLong()).isEqualTo(endedSoFar);
            }
        } while (!outcome.finished() && lifetimes.size() < 10);

        assertThat(lifetimes).hasSize(3);
        assertThat(lifetimes).allMatch(RunChunk.Outcome::progressed);
        assertThat(lifetimes.getFirst().ended()).isBetween(10, 10 + 2 * CONCURRENCY - 1);
        assertThat(lifetimes.stream().mapToInt(RunChunk.Outcome::ended).sum()).isEqualTo(30);
        assertThat(endpoint.requests.get()).as("no line sent twice").isEqualTo(30);
        assertThat(outcome.counts().withoutStats()).isEqualTo(new PartCounts(30, 0, 0));
        Batch done = finalize.run(TestApi.TENANT, batchId[0], 1);
        assertThat(t.content.objects).containsKey("batches/" + batchId[0] + "/report.json");
        JsonNode report = Json.MAPPER.readTree(t.content.objects.get("batches/" + batchId[0] + "/report.json"));
        assertThat(report.at("/request_counts/completed").asLong()).isEqualTo(30);
        assertThat(report.at("/latency_ms/count").asLong()).isEqualTo(30);
        assertThat(new BatchReports(t.batchRecords, t.content, chunks, clock).report(TestApi.TENANT, batchId[0]))
                .as("the report of an ended batch is the one written")
                .isEqualTo(t.content.objects.get("batches/" + batchId[0] + "/report.json"));
        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        ChunkStats stats = outcome.counts().stats();
        assertThat(stats.runs()).as("each lifetime's run, counted once").isEqualTo(3);
        assertThat(stats.attempts())
                .as("every line once, whichever lifetime ended it")
                .containsExactly(entry("1", 30L));
        assertThat(stats.latency().count()).isEqualTo(30);
        assertThat(stats.usage()).singleElement().satisfies(u -> {
            assertThat(u.model()).isEqualTo("m");
            assertThat(u.requests()).isEqualTo(30);
        });
        assertThat(endings(batchId[0], 0))
                .hasSize(30)
                .allSatisfy((id, times) -> assertThat(times).isOne());
        assertThat(t.batchRecords
                        .find(TestApi.TENANT, batchId[0])
                        .orElseThrow()
                        .requestCounts()
                        .completed())
                .isEqualTo(30);
    }

    @Test
    void aRetryWhoseBackoffWouldPassTheDeadline_waitsForTheNextLifetime_ratherThanFailingTheLine() throws Exception {
        String[] batchId = new String[1];
        // Each line is refused once, to be tried again in 2 s; the lifetime (an hour at first, which keeps
        // 70 s back) has 71 s left whenever a line asks: time to send, none to wait 2 s and send again.
        Chunk chunk = batch(lines(4, "busy-2"), 4, batchId).chunks().getFirst();
        RunChunk runChunk = runChunk(
                chunks, RunChunk.CHECKPOINT_EVERY, new RetryPolicy(3, Duration.ofMillis(1), Duration.ofSeconds(10)));
        boolean[] asked = new boolean[1];
        Deadline noTimeForARetry = () -> {
            Duration left = asked[0] ? Duration.ofSeconds(71) : Duration.ofHours(1);
            asked[0] = true;
            return left;
        };

        RunChunk.Outcome first = runChunk.run(TestApi.TENANT, batchId[0], chunk, noTimeForARetry);
        RunChunk.Outcome second = runChunk.run(TestApi.TENANT, batchId[0], chunk, Deadline.NONE);

        assertThat(first.finished()).isFalse();
        assertThat(first.left()).as("no line failed for want of time").isEqualTo(4);
        assertThat(first.progressed()).isFalse();
        assertThat(second.counts().withoutStats())
                .as("every line succeeded on its retry")
                .isEqualTo(new PartCounts(4, 0, 0));
        assertThat(endpoint.requests.get()).isEqualTo(8);
    }

    @Test
    void aCrashMidChunk_costsOnlyTheLinesInFlight() throws Exception {
        String[] batchId = new String[1];
        Chunk chunk = batch(lines(30, "slow"), 30, batchId).chunks().getFirst();
        // The worker dies once the endpoint has seen 10 requests: nothing more is sent or written.
        Deadline dies = () -> {
            if (endpoint.requests.get() >= 10) {
                throw new IllegalStateException("the sandbox is gone");
            }
            return Duration.ofHours(1);
        };

        assertThatThrownBy(() -> runChunk(chunks, Duration.ZERO).run(TestApi.TENANT, batchId[0], chunk, dies))
                .isInstanceOf(IllegalStateException.class);
        int sentBeforeTheCrash = endpoint.requests.get();
        RunChunk.Outcome after = runChunk(chunks, Duration.ZERO).run(TestApi.TENANT, batchId[0], chunk, Deadline.NONE);

        assertThat(after.finished()).isTrue();
        // Up to twice the concurrency may be past the deadline's check, preparing a send, when it fails.
        assertThat(sentBeforeTheCrash).isBetween(10, 10 + 2 * CONCURRENCY - 1);
        assertThat(after.ended())
                .as("the lines the crashed run had ended are not run again")
                .isLessThanOrEqualTo(30 - sentBeforeTheCrash + 2 * CONCURRENCY);
        assertThat(endpoint.requests.get() - 30)
                .as("lines sent twice: those in flight at the crash")
                .isBetween(0, 2 * CONCURRENCY);
        assertThat(endings(batchId[0], 0))
                .hasSize(30)
                .allSatisfy((id, times) -> assertThat(times).isOne());
    }

    /** A store through which one run's writes wait at a given point until released. */
    private static final class Paused implements ChunkStore {
        private final ChunkStore store;
        private final boolean beforeSegment;
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        Paused(ChunkStore store, boolean beforeSegment) {
            this.store = store;
            this.beforeSegment = beforeSegment;
        }

        private void pause() {
            reached.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public int chunkCount(String batchId) {
            return store.chunkCount(batchId);
        }

        @Override
        public boolean writeSegment(String batchId, int index, int seq, byte[] segment) {
            if (beforeSegment) {
                pause();
            }
            return store.writeSegment(batchId, index, seq, segment);
        }

        @Override
        public PartCounts writePart(String batchId, int index, byte[] output, byte[] errors, PartCounts counts) {
            if (!beforeSegment) {
                pause();
            }
            return store.writePart(batchId, index, output, errors, counts);
        }

        @Override
        public void writeChunk(String batchId, int index, byte[] lines) {
            store.writeChunk(batchId, index, lines);
        }

        @Override
        public void writeCut(String batchId, byte[] cut) {
            store.writeCut(batchId, cut);
        }

        @Override
        public Optional<byte[]> readCut(String batchId) {
            return store.readCut(batchId);
        }

        @Override
        public void deleteChunks(String batchId) {
            store.deleteChunks(batchId);
        }

        @Override
        public InputStream readChunk(String batchId, int index) {
            return store.readChunk(batchId, index);
        }

        @Override
        public Optional<byte[]> readSegment(String batchId, int index, int seq) {
            return store.readSegment(batchId, index, seq);
        }

        @Override
        public Optional<PartCounts> partCounts(String batchId, int index) {
            return store.partCounts(batchId, index);
        }

        @Override
        public InputStream readPart(String batchId, int index, PartKind kind) {
            return store.readPart(batchId, index, kind);
        }

        @Override
        public long partSize(String batchId, int index, PartKind kind) {
            return store.partSize(batchId, index, kind);
        }
    }

    /** Runs A through a paused store, B while A waits, then lets A go on: answers both outcomes. */
    private RunChunk.Outcome[] race(String batchId, Chunk chunk, boolean pauseBeforeSegment, ThrowingRun b)
            throws Exception {
        Paused paused = new Paused(chunks, pauseBeforeSegment);
        CompletableFuture<RunChunk.Outcome> a = CompletableFuture.supplyAsync(() -> {
            try {
                return runChunk(paused, RunChunk.CHECKPOINT_EVERY).run(TestApi.TENANT, batchId, chunk, Deadline.NONE);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(paused.reached.await(20, TimeUnit.SECONDS))
                .as("run A reached its pause")
                .isTrue();
        RunChunk.Outcome outcomeB = b.run();
        paused.release.countDown();
        return new RunChunk.Outcome[] {a.get(20, TimeUnit.SECONDS), outcomeB};
    }

    @FunctionalInterface
    private interface ThrowingRun {
        RunChunk.Outcome run() throws Exception;
    }

    @Test
    void twoRunsAtOnce_aLineThatFailsInAAndSucceedsInB_endsOnce_theFirstWritersEndStanding() throws Exception {
        String[] batchId = new String[1];
        ValidateBatch.Outcome validated = batch(line("a", "m") + line("x", "once-400") + line("c", "m"), 3, batchId);
        Chunk chunk = validated.chunks().getFirst();

        // A has run every line (x failed: its first request) and waits before writing them; B runs the
        // chunk whole (x succeeds: its second) and writes first.
        RunChunk.Outcome[] outcomes = race(
                batchId[0],
                chunk,
                true,
                () -> runChunk(chunks, RunChunk.CHECKPOINT_EVERY)
                        .run(TestApi.TENANT, batchId[0], chunk, Deadline.NONE));
        Batch done = finalize.run(TestApi.TENANT, batchId[0], validated.chunkCount());

        assertThat(outcomes[1].counts().withoutStats()).isEqualTo(new PartCounts(3, 0, 0));
        ChunkStats stats = outcomes[1].counts().stats();
        assertThat(stats.completed()).isEqualTo(3);
        assertThat(stats.errors())
                .as("A's 400 for x lost to B's answer: not counted")
                .isEmpty();
        assertThat(stats.attempts())
                .as("each line counted once, with the end that stands")
                .containsExactly(entry("1", 3L));
        assertThat(stats.latency().count()).isEqualTo(3);
        assertThat(outcomes[0].counts()).as("A adopts B's part").isEqualTo(outcomes[1].counts());
        assertThat(chunks.segmentCount(batchId[0], 0))
                .as("A's lines were all ended already: it wrote nothing")
                .isEqualTo(1);
        assertThat(fileLines(done.outputFileId()))
                .extracting(l -> l.get("custom_id").asText())
                .containsExactly("a", "x", "c");
        assertThat(done.errorFileId()).isNull();
        assertThat(done.requestCounts()).isEqualTo(new Batch.RequestCounts(3, 3, 0));
    }

    @Test
    void twoRunsAtOnce_whenAHasWrittenItsLog_bAssemblesAsPart_andSendsNothing() throws Exception {
        String[] batchId = new String[1];
        ValidateBatch.Outcome validated = batch(line("a", "m") + line("x", "once-400") + line("c", "m"), 3, batchId);
        Chunk chunk = validated.chunks().getFirst();

        RunChunk.Outcome[] outcomes = race(
                batchId[0],
                chunk,
                false,
                () -> runChunk(chunks, RunChunk.CHECKPOINT_EVERY)
                        .run(TestApi.TENANT, batchId[0], chunk, Deadline.NONE));
        Batch done = finalize.run(TestApi.TENANT, batchId[0], validated.chunkCount());

        assertThat(endpoint.requests.get())
                .as("B found every line ended in A's log")
                .isEqualTo(3);
        assertThat(outcomes[0].counts()).isEqualTo(outcomes[1].counts());
        assertThat(outcomes[0].counts().withoutStats()).isEqualTo(new PartCounts(2, 1, 0));
        assertThat(fileLines(done.outputFileId()))
                .extracting(l -> l.get("custom_id").asText())
                .containsExactly("a", "c");
        assertThat(fileLines(done.errorFileId()))
                .extracting(l -> l.get("custom_id").asText())
                .containsExactly("x");
        assertThat(done.requestCounts()).isEqualTo(new Batch.RequestCounts(3, 2, 1));
    }

    @Test
    void theDeadLetterConsumerRacingASlowWorker_endsEachLineOnce_whicheverWritesFirst() throws Exception {
        String[] batchId = new String[1];
        ValidateBatch.Outcome validated = batch(line("a", "m") + line("b", "m") + line("c", "m"), 3, batchId);
        Chunk chunk = validated.chunks().getFirst();

        RunChunk.Outcome[] outcomes = race(
                batchId[0],
                chunk,
                true,
                () -> new RunChunk.Outcome(
                        runChunk(chunks, RunChunk.CHECKPOINT_EVERY).abandon(TestApi.TENANT, batchId[0], chunk),
                        0,
                        0,
                        true));
        Batch done = finalize.run(TestApi.TENANT, batchId[0], validated.chunkCount());

        assertThat(outcomes[0].counts()).isEqualTo(outcomes[1].counts());
        assertThat(outcomes[0].counts().withoutStats()).isEqualTo(new PartCounts(0, 3, 0));
        assertThat(fileLines(done.errorFileId()))
                .extracting(l -> l.at("/error/code").asText())
                .containsExactly("chunk_failed", "chunk_failed", "chunk_failed");
        assertThat(done.outputFileId()).isNull();
        assertThat(done.requestCounts()).isEqualTo(new Batch.RequestCounts(3, 0, 3));
    }
}
