package dev.openbatch.core.pipeline;

import dev.openbatch.core.Ids;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.batches.BatchRepository;
import dev.openbatch.core.files.Concatenated;
import dev.openbatch.core.files.FileContentStore;
import dev.openbatch.core.files.FileRepository;
import dev.openbatch.core.files.Files;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The state machine's last step, and its Catch: joins the chunks' parts, in order, into the
 * batch's output file and error file, and ends the batch {@code completed}, {@code cancelled},
 * {@code expired} or {@code failed}. A chunk with no whole part (its task timed out at the window,
 * its run was stopped, the batch failed before it ran) gets one here, from its checkpoint log: the
 * lines its runs ended keep their ends, and every other line ends in the error file — as
 * {@code batch_cancelled}, {@code batch_expired} once the window has passed, {@code batch_failed}
 * when the batch failed, or else {@code chunk_not_run} — so every {@code custom_id} of an accepted
 * batch ends exactly once whatever became of the run. Running it again gives the same files and the
 * same record: a part is written first-writer-wins from a log no one rewrites, file ids are reserved
 * on the batch before anything is written, and an ended batch is left as it is. Every batch the
 * state machine runs ends here, and each time it is told to {@link BatchEnded}.
 */
public final class FinalizeBatch {

    private static final System.Logger LOG = System.getLogger(FinalizeBatch.class.getName());

    static final OutputLine.Error BATCH_FAILED =
            new OutputLine.Error("batch_failed", "This request was not executed because the batch failed.");
    static final OutputLine.Error CHUNK_NOT_RUN = new OutputLine.Error(
            "chunk_not_run", "This request was not executed: the part of the batch that holds it did not run.");

    private static final Set<String> RUNNING =
            Set.of(Batch.Status.VALIDATING, Batch.Status.IN_PROGRESS, Batch.Status.FINALIZING, Batch.Status.CANCELLING);
    /** The states of a batch whose chunks were cut: what there is to join. */
    private static final Set<String> CUT =
            Set.of(Batch.Status.IN_PROGRESS, Batch.Status.FINALIZING, Batch.Status.CANCELLING);

    private final BatchRepository batches;
    private final FileRepository files;
    private final FileContentStore content;
    private final ChunkStore store;
    private final Ids ids;
    private final Clock clock;
    private final BatchEnded ended;
    private final BatchReports reports;

    public FinalizeBatch(
            BatchRepository batches,
            FileRepository files,
            FileContentStore content,
            ChunkStore store,
            Ids ids,
            Clock clock) {
        this(batches, files, content, store, ids, clock, BatchEnded.NOTHING);
    }

    public FinalizeBatch(
            BatchRepository batches,
            FileRepository files,
            FileContentStore content,
            ChunkStore store,
            Ids ids,
            Clock clock,
            BatchEnded ended) {
        this(batches, files, content, store, ids, clock, ended, new BatchReports(batches, content, store, clock));
    }

    /** A finalizer that writes each batch's report with {@code reports} as it ends it. */
    public FinalizeBatch(
            BatchRepository batches,
            FileRepository files,
            FileContentStore content,
            ChunkStore store,
            Ids ids,
            Clock clock,
            BatchEnded ended,
            BatchReports reports) {
        this.reports = reports;
        this.batches = batches;
        this.files = files;
        this.content = content;
        this.store = store;
        this.ids = ids;
        this.clock = clock;
        this.ended = ended;
    }

    /** Ends the batch from its chunks' parts; a batch that has ended already (failed validation, say) stays as it is. */
    public Batch run(String tenant, String batchId, int chunkCount) {
        long started = clock.millis();
        Batch batch = find(tenant, batchId);
        if (Batch.Status.ENDED.contains(batch.status())) {
            return told(tenant, batch);
        }
        batches.transition(
                tenant,
                batchId,
                Set.of(Batch.Status.IN_PROGRESS),
                Batch.Status.FINALIZING,
                Map.of("finalizing_at", clock.instant().getEpochSecond()),
                null,
                null);
        long expired = settle(tenant, find(tenant, batchId), chunkCount, null);

        Batch current = find(tenant, batchId);
        String end = current.status().equals(Batch.Status.CANCELLING)
                ? Batch.Status.CANCELLED
                : expired > 0 ? Batch.Status.EXPIRED : Batch.Status.COMPLETED;
        return told(tenant, end(tenant, batchId, end, null, started));
    }

    /** Ends a batch whose run failed outright (the state machine's Catch), unless it has ended already. */
    public Batch fail(String tenant, String batchId, String error, String cause) {
        return fail(tenant, batchId, null, error, cause);
    }

    /**
     * Ends a batch whose run failed outright (the state machine's Catch), unless it has ended already.
     * When its chunks were cut ({@code chunkCount} given), what they produced is joined into its files
     * first, with every line that did not end in the error file; a batch whose window has passed ends
     * {@code expired} and one being cancelled {@code cancelled}, as they would have anyway. The failure
     * reaches the batch's {@code errors} in words for its owner; its name and cause, which can hold
     * stack traces and keys, go to the log only.
     */
    public Batch fail(String tenant, String batchId, Integer chunkCount, String error, String cause) {
        long started = clock.millis();
        Batch batch = find(tenant, batchId);
        if (Batch.Status.ENDED.contains(batch.status())) {
            return told(tenant, batch);
        }
        LOG.log(System.Logger.Level.WARNING, "batch " + batchId + " of " + tenant + " failed: " + error + " " + cause);
        boolean joined = false;
        if (chunkCount != null && chunkCount > 0 && CUT.contains(batch.status())) {
            try {
                settle(tenant, batch, chunkCount, BATCH_FAILED);
                joined = true;
            } catch (RuntimeException e) {
                // Ending the batch matters more than its files: a batch left running would never end.
                LOG.log(System.Logger.Level.ERROR, "batch " + batchId + ": its files could not be written", e);
            }
        }
        Batch current = find(tenant, batchId);
        String end = current.status().equals(Batch.Status.CANCELLING)
                ? Batch.Status.CANCELLED
                : windowPassed(current) ? Batch.Status.EXPIRED : Batch.Status.FAILED;
        List<Batch.Error> errors = end.equals(Batch.Status.FAILED)
                ? List.of(new Batch.Error("batch_failed", FailureMessage.of(error, joined), null, null))
                : null;
        return told(tenant, end(tenant, batchId, end, errors, started));
    }

    /**
     * Ends {@code failed} a batch the sweeper found making no progress, unless it has ended already;
     * {@code reason} is the sweeper's, in words for the batch's owner (how long nothing ended, or
     * how many runs ended without ending it).
     */
    public Batch stalled(String tenant, String batchId, String reason) {
        long started = clock.millis();
        Batch batch = find(tenant, batchId);
        if (Batch.Status.ENDED.contains(batch.status())) {
            return told(tenant, batch);
        }
        LOG.log(System.Logger.Level.WARNING, "batch " + batchId + " of " + tenant + " stalled: " + reason);
        return told(
                tenant,
                end(
                        tenant,
                        batchId,
                        Batch.Status.FAILED,
                        List.of(new Batch.Error(
                                "batch_failed",
                                "The batch stopped making progress: " + reason
                                        + ". Please try again; if it fails again, contact"
                                        + " the operator of this service.",
                                null,
                                null)),
                        started));
    }

    /**
     * Writes the batch's report as it is about to end (see {@link BatchReports}), with the finalizer's
     * time so far: before it ends, so that whoever sees it ended finds its report.
     */
    private void report(String tenant, String batchId, String end, Long endedAt, long started) {
        try {
            reports.write(tenant, batchId, end, endedAt, clock.millis() - started);
        } catch (RuntimeException e) {
            // Ending the batch matters more: its report is made from its parts when asked.
            LOG.log(System.Logger.Level.WARNING, "batch " + batchId + ": its report could not be written", e);
        }
    }

    /** Ends the batch, its report written first; one that another ended meanwhile gets its report again, as it ended. */
    private Batch end(String tenant, String batchId, String end, List<Batch.Error> errors, long started) {
        long at = clock.instant().getEpochSecond();
        report(tenant, batchId, end, at, started);
        Batch ended = transition(tenant, batchId, end, errors, at);
        if (!ended.status().equals(end)) {
            report(tenant, batchId, ended.status(), null, started);
        }
        return ended;
    }

    private Batch transition(String tenant, String batchId, String end, List<Batch.Error> errors, long at) {
        String stamp = switch (end) {
            case Batch.Status.CANCELLED -> "cancelled_at";
            case Batch.Status.EXPIRED -> "expired_at";
            case Batch.Status.FAILED -> "failed_at";
            default -> "completed_at";
        };
        return batches.transition(tenant, batchId, RUNNING, end, Map.of(stamp, at), null, errors)
                .orElseGet(() -> find(tenant, batchId));
    }

    /**
     * Gives every chunk a whole part (see the class comment), counts those it completed, and joins the
     * parts into the files. Answers how many lines expired.
     *
     * @param failed the error for lines not run when the batch failed, or null when it did not
     */
    private long settle(String tenant, Batch batch, int chunkCount, OutputLine.Error failed) {
        long completed = 0;
        long failures = 0;
        long expired = 0;
        int firstRequest = 1;
        OutputLine.Error notRun = notRun(batch, failed);
        for (int index = 0; index < chunkCount; index++) {
            PartCounts counts = store.partCounts(batch.id(), index).orElse(null);
            if (counts == null) {
                counts = complete(tenant, batch, index, firstRequest, notRun);
            }
            completed += counts.completed();
            failures += counts.failed();
            expired += counts.expired();
            firstRequest += (int) (counts.completed() + counts.failed());
        }
        if (completed > 0) {
            join(tenant, batch, chunkCount, ChunkStore.PartKind.OUTPUT);
        }
        if (failures > 0) {
            join(tenant, batch, chunkCount, ChunkStore.PartKind.ERRORS);
        }
        return expired;
    }

    /** A whole part for a chunk that has none, from its log, the rest of its lines ending as errors; counted. */
    private PartCounts complete(String tenant, Batch batch, int index, int firstRequest, OutputLine.Error notRun) {
        List<RequestLine> lines = ChunkLog.requests(store, batch.id(), index, firstRequest);
        Chunk chunk = new Chunk(index, firstRequest, lines.size());
        ChunkLog log = ChunkLog.read(store, batch.id(), chunk, null, clock);
        log.endRest(lines, notRun);
        PartCounts counts = log.writePart();
        batches.countChunk(tenant, batch.id(), index, counts);
        return counts;
    }

    /** Why a line of a chunk that did not run to its end did not run. */
    private OutputLine.Error notRun(Batch batch, OutputLine.Error failed) {
        if (batch.status().equals(Batch.Status.CANCELLING)) {
            return RunChunk.CANCELLED;
        }
        if (windowPassed(batch)) {
            return RunChunk.EXPIRED;
        }
        return failed != null ? failed : CHUNK_NOT_RUN;
    }

    private boolean windowPassed(Batch batch) {
        return batch.expiresAt() != null && clock.instant().getEpochSecond() >= batch.expiresAt();
    }

    private Batch told(String tenant, Batch batch) {
        if (Batch.Status.ENDED.contains(batch.status())) {
            ended.ended(tenant, batch);
        }
        return batch;
    }

    private String join(String tenant, Batch batch, int chunkCount, ChunkStore.PartKind kind) {
        boolean output = kind == ChunkStore.PartKind.OUTPUT;
        String fileId =
                batches.reserveFileId(tenant, batch.id(), output ? "output_file_id" : "error_file_id", ids.file());
        long length = IntStream.range(0, chunkCount)
                .mapToLong(i -> store.partSize(batch.id(), i, kind))
                .sum();
        try (InputStream joined = Concatenated.of(chunkCount, i -> store.readPart(batch.id(), i, kind))) {
            content.put(Files.contentKey(fileId), joined, length, Files.JSONL);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (files.find(tenant, fileId).isEmpty()) {
            long now = clock.instant().getEpochSecond();
            files.create(
                    tenant,
                    FileObject.stored(
                            fileId,
                            length,
                            now,
                            batch.outputExpiresAfter() == null ? null : now + batch.outputExpiresAfter(),
                            batch.id() + (output ? "_output.jsonl" : "_error.jsonl"),
                            Files.PURPOSE_BATCH_OUTPUT));
        }
        return fileId;
    }

    private Batch find(String tenant, String batchId) {
        return batches.find(tenant, batchId)
                .orElseThrow(() -> new IllegalStateException("no batch " + batchId + " of " + tenant));
    }
}
