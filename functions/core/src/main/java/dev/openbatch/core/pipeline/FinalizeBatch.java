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
 * The state machine's last step: joins the chunks' parts, in order, into the batch's output file
 * and error file, and ends the batch {@code completed}, {@code cancelled} or {@code expired}.
 * Running it again gives the same files and the same record: file ids are reserved on the batch
 * before anything is written, and an ended batch is left as it is. Every batch the state machine
 * runs ends here, failed ones too, and each time it is told to {@link BatchEnded}.
 */
public final class FinalizeBatch {

    private static final Set<String> RUNNING = Set.of(Batch.Status.VALIDATING, Batch.Status.IN_PROGRESS,
            Batch.Status.FINALIZING, Batch.Status.CANCELLING);

    private final BatchRepository batches;
    private final FileRepository files;
    private final FileContentStore content;
    private final ChunkStore store;
    private final Ids ids;
    private final Clock clock;
    private final BatchEnded ended;

    public FinalizeBatch(BatchRepository batches, FileRepository files, FileContentStore content, ChunkStore store,
                         Ids ids, Clock clock) {
        this(batches, files, content, store, ids, clock, BatchEnded.NOTHING);
    }

    public FinalizeBatch(BatchRepository batches, FileRepository files, FileContentStore content, ChunkStore store,
                         Ids ids, Clock clock, BatchEnded ended) {
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
        Batch batch = find(tenant, batchId);
        if (Batch.Status.ENDED.contains(batch.status())) {
            return told(tenant, batch);
        }
        long now = clock.instant().getEpochSecond();
        batches.transition(tenant, batchId, Set.of(Batch.Status.IN_PROGRESS), Batch.Status.FINALIZING,
                Map.of("finalizing_at", now), null, null);

        long completed = 0;
        long failed = 0;
        long expired = 0;
        for (int i = 0; i < chunkCount; i++) {
            int index = i;
            PartCounts counts = store.partCounts(batchId, index)
                    .orElseThrow(() -> new IllegalStateException("chunk " + index + " of " + batchId + " has no part"));
            completed += counts.completed();
            failed += counts.failed();
            expired += counts.expired();
        }
        String outputId = completed > 0 ? join(tenant, batch, chunkCount, ChunkStore.PartKind.OUTPUT) : null;
        String errorId = failed > 0 ? join(tenant, batch, chunkCount, ChunkStore.PartKind.ERRORS) : null;

        Batch current = find(tenant, batchId);
        String end = current.status().equals(Batch.Status.CANCELLING) ? Batch.Status.CANCELLED
                : expired > 0 ? Batch.Status.EXPIRED : Batch.Status.COMPLETED;
        String stamp = switch (end) {
            case Batch.Status.CANCELLED -> "cancelled_at";
            case Batch.Status.EXPIRED -> "expired_at";
            default -> "completed_at";
        };
        return told(tenant, batches.transition(tenant, batchId, RUNNING, end,
                        Map.of(stamp, clock.instant().getEpochSecond()), null, null)
                .orElseGet(() -> find(tenant, batchId)));
    }

    /** Ends a batch whose run failed outright (the state machine's Catch), unless it has ended already. */
    public Batch fail(String tenant, String batchId, String error, String cause) {
        return told(tenant, batches.transition(tenant, batchId, RUNNING, Batch.Status.FAILED,
                        Map.of("failed_at", clock.instant().getEpochSecond()), null,
                        List.of(new Batch.Error("batch_failed", "The batch could not be run: " + error
                                + (cause == null || cause.isBlank() ? "" : " (" + cause + ")"), null, null)))
                .orElseGet(() -> find(tenant, batchId)));
    }

    private Batch told(String tenant, Batch batch) {
        if (Batch.Status.ENDED.contains(batch.status())) {
            ended.ended(tenant, batch);
        }
        return batch;
    }

    private String join(String tenant, Batch batch, int chunkCount, ChunkStore.PartKind kind) {
        boolean output = kind == ChunkStore.PartKind.OUTPUT;
        String fileId = batches.reserveFileId(tenant, batch.id(), output ? "output_file_id" : "error_file_id",
                ids.file());
        long length = IntStream.range(0, chunkCount).mapToLong(i -> store.partSize(batch.id(), i, kind)).sum();
        try (InputStream joined = Concatenated.of(chunkCount, i -> store.readPart(batch.id(), i, kind))) {
            content.put(Files.contentKey(fileId), joined, length, Files.JSONL);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (files.find(tenant, fileId).isEmpty()) {
            files.create(tenant, FileObject.stored(fileId, length, clock.instant().getEpochSecond(),
                    batch.id() + (output ? "_output.jsonl" : "_error.jsonl"), Files.PURPOSE_BATCH_OUTPUT));
        }
        return fileId;
    }

    private Batch find(String tenant, String batchId) {
        return batches.find(tenant, batchId)
                .orElseThrow(() -> new IllegalStateException("no batch " + batchId + " of " + tenant));
    }
}
