package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.BatchRepository;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A worker's use case: runs one chunk of a batch and writes its part, then counts it. A chunk whose
 * part is already whole (a redelivered message) is not run again, and a counted chunk is not
 * counted again, so at-least-once delivery yields every line exactly once. A chunk that could not
 * be run at all is {@linkplain #abandon abandoned}: its lines end as errors, once.
 */
public final class RunChunk {

    static final OutputLine.Error CANCELLED = new OutputLine.Error("batch_cancelled",
            "This request was not executed because the batch was cancelled.");
    static final OutputLine.Error EXPIRED = new OutputLine.Error("batch_expired",
            "This request could not be executed before the completion window expired.");
    static final OutputLine.Error CHUNK_FAILED = new OutputLine.Error("chunk_failed",
            "This request could not be executed: the worker running its part of the batch failed on every attempt.");

    /** How often a running chunk looks again at whether its batch was cancelled. */
    private static final Duration STATUS_REFRESH = Duration.ofSeconds(1);

    private final BatchRepository batches;
    private final ChunkStore store;
    private final JobCatalog jobs;
    private final ChunkRunner runner;
    private final Clock clock;

    public RunChunk(BatchRepository batches, ChunkStore store, JobCatalog jobs, ChunkRunner runner, Clock clock) {
        this.batches = batches;
        this.store = store;
        this.jobs = jobs;
        this.runner = runner;
        this.clock = clock;
    }

    public PartCounts run(String tenant, String batchId, Chunk chunk) throws InterruptedException {
        PartCounts counts = store.partCounts(batchId, chunk.index()).orElse(null);
        if (counts == null) {
            counts = write(batchId, chunk, runLines(tenant, batchId, chunk));
        }
        return counted(tenant, batchId, chunk, counts);
    }

    /**
     * Ends a chunk that could not be run — its message reached the dead-letter queue after the
     * queue's last delivery — with every line in the error file as {@code chunk_failed}, and counts
     * it. A part written whole after all (the last attempt got that far) stands as it is.
     */
    public PartCounts abandon(String tenant, String batchId, Chunk chunk) {
        PartCounts counts = store.partCounts(batchId, chunk.index()).orElseGet(() -> write(batchId, chunk,
                readLines(batchId, chunk).stream()
                        .map(line -> new OutputLine(ChunkRunner.lineId(batchId, line.position()), line.customId(),
                                null, CHUNK_FAILED))
                        .toList()));
        return counted(tenant, batchId, chunk, counts);
    }

    /** Adds a whole part's counts to the batch's, unless this chunk was counted before. */
    private PartCounts counted(String tenant, String batchId, Chunk chunk, PartCounts counts) {
        batches.countChunk(tenant, batchId, chunk.index(), counts.completed(), counts.failed());
        return counts;
    }

    private List<OutputLine> runLines(String tenant, String batchId, Chunk chunk) throws InterruptedException {
        Batch batch = batches.find(tenant, batchId)
                .orElseThrow(() -> new IllegalStateException("no batch " + batchId + " of " + tenant));
        Job job = jobs.find(batch.jobId())
                .orElseThrow(() -> new IllegalStateException("batch " + batchId + " names job " + batch.jobId()
                        + ", which this deployment no longer has"));
        return runner.run(batchId, job, readLines(batchId, chunk), new Gate(tenant, batch));
    }

    private PartCounts write(String batchId, Chunk chunk, List<OutputLine> outputs) {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        long completed = 0;
        long expired = 0;
        for (OutputLine line : outputs) {
            ByteArrayOutputStream side = line.succeeded() ? output : errors;
            side.writeBytes(Json.write(line));
            side.write('\n');
            completed += line.succeeded() ? 1 : 0;
            expired += EXPIRED.equals(line.error()) ? 1 : 0;
        }
        PartCounts counts = new PartCounts(completed, outputs.size() - completed, expired);
        store.writePart(batchId, chunk.index(), output.toByteArray(), errors.toByteArray(), counts);
        return counts;
    }

    /**
     * The chunk's requests: a sequence of JSON objects, one per line. Read as a sequence of values,
     * not as text lines, since a valid line may hold a carriage return between its tokens, which a
     * line reader would take for a line end.
     */
    private List<RequestLine> readLines(String batchId, Chunk chunk) {
        List<RequestLine> lines = new ArrayList<>(chunk.lines());
        try (MappingIterator<JsonNode> requests = Json.MAPPER.readerFor(JsonNode.class)
                .readValues(store.readChunk(batchId, chunk.index()))) {
            int offset = 0;
            while (requests.hasNextValue()) {
                JsonNode request = requests.nextValue();
                lines.add(new RequestLine(chunk.firstRequest() + offset++, request.get("custom_id").textValue(),
                        request.get("url").textValue(), request.get("body")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading chunk " + chunk.index() + " of " + batchId, e);
        }
        return lines;
    }

    /** Refuses further lines once the batch is cancelled or its window has passed. */
    private final class Gate implements ChunkRunner.LineGate {
        private final String tenant;
        private final String batchId;
        private final Long expiresAt;
        private volatile String status;
        private volatile Instant checkedAt;

        Gate(String tenant, Batch batch) {
            this.tenant = tenant;
            this.batchId = batch.id();
            this.expiresAt = batch.expiresAt();
            this.status = batch.status();
            this.checkedAt = clock.instant();
        }

        @Override
        public Optional<OutputLine.Error> refusal() {
            Instant now = clock.instant();
            if (expiresAt != null && now.getEpochSecond() >= expiresAt) {
                return Optional.of(EXPIRED);
            }
            if (now.isAfter(checkedAt.plus(STATUS_REFRESH))) {
                checkedAt = now;
                batches.find(tenant, batchId).ifPresent(b -> status = b.status());
            }
            boolean cancelled = status.equals(Batch.Status.CANCELLING) || status.equals(Batch.Status.CANCELLED);
            return cancelled ? Optional.of(CANCELLED) : Optional.empty();
        }
    }
}
