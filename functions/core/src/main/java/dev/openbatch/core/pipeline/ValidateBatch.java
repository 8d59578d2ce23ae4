package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.BatchRepository;
import dev.openbatch.core.files.FileContentStore;
import dev.openbatch.core.files.Files;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The state machine's first step: validates the batch's input file, cuts it into chunks, and moves
 * the batch to {@code in_progress} or {@code failed}. Running it again gives the same chunks and
 * moves nothing twice.
 */
public final class ValidateBatch {

    /**
     * What the state machine needs next: whether to run the batch, and over which chunks.
     *
     * @param valid          false when the batch has failed validation (it is already marked failed)
     * @param chunks         the chunks to map over
     * @param chunkCount     how many chunks there are, for the finalizer
     * @param maxConcurrency how many chunks run at once
     * @param chunksAtOnce   how many chunks the Map starts at once: its concurrency, or the number of
     *                       chunks when there are fewer; each chunk's message carries it
     * @param chunkTimeoutSeconds how long a chunk's task waits for its answer: until the batch's
     *                       window ends and {@link #WINDOW_GRACE_SECONDS} more ({@code 24h}), else
     *                       {@link #UNLIMITED_CHUNK_WAIT_SECONDS}
     */
    public record Outcome(
            @JsonProperty("valid") boolean valid,
            @JsonProperty("chunks") List<Chunk> chunks,
            @JsonProperty("chunk_count") int chunkCount,
            @JsonProperty("max_concurrency") int maxConcurrency,
            @JsonProperty("chunks_at_once") int chunksAtOnce,
            @JsonProperty("chunk_timeout_seconds") long chunkTimeoutSeconds) {

        public Outcome(boolean valid, List<Chunk> chunks, int maxConcurrency, long chunkTimeoutSeconds) {
            this(
                    valid,
                    chunks,
                    chunks.size(),
                    maxConcurrency,
                    Math.max(1, Math.min(maxConcurrency, chunks.size())),
                    chunkTimeoutSeconds);
        }
    }

    /**
     * How long past a {@code 24h} batch's window its chunks' tasks still wait: a worker running a
     * chunk at the window refuses its unsent lines as {@code batch_expired} and keeps what has ended
     * within a second (see {@code RunChunk}), and mostly ends the chunk itself. Without the grace the
     * finalizer, run the moment the window ends, would end the chunk from its last checkpoint, and the
     * lines ended since — up to {@link RunChunk#CHECKPOINT_EVERY} of them — would be lost though they
     * ended in time.
     */
    public static final long WINDOW_GRACE_SECONDS = 10;

    /** The longest an {@code unlimited} batch's chunk waits for a worker's answer: 30 days. */
    public static final long UNLIMITED_CHUNK_WAIT_SECONDS = 30L * 24 * 3600;

    private final BatchRepository batches;
    private final FileContentStore content;
    private final InputValidator validator;
    private final int mapConcurrency;
    private final Clock clock;

    public ValidateBatch(
            BatchRepository batches,
            FileContentStore content,
            InputValidator validator,
            int mapConcurrency,
            Clock clock) {
        this.batches = batches;
        this.content = content;
        this.validator = validator;
        this.mapConcurrency = mapConcurrency;
        this.clock = clock;
    }

    public Outcome run(String tenant, String batchId) {
        Batch batch = batches.find(tenant, batchId)
                .orElseThrow(() -> new IllegalStateException("no batch " + batchId + " of " + tenant));
        if (batch.status().equals(Batch.Status.FAILED)) {
            return new Outcome(
                    false,
                    List.of(),
                    mapConcurrency,
                    chunkTimeout(batch, clock.instant().getEpochSecond()));
        }
        InputValidator.Result result = validator.cut(batchId).orElse(null);
        if (result == null) {
            result = read(batch);
        }
        long now = clock.instant().getEpochSecond();
        long chunkTimeout = chunkTimeout(batch, now);
        return switch (result) {
            case InputValidator.Result.Invalid invalid -> {
                batches.transition(
                        tenant,
                        batchId,
                        Set.of(Batch.Status.VALIDATING, Batch.Status.CANCELLING),
                        Batch.Status.FAILED,
                        Map.of("failed_at", now),
                        null,
                        invalid.errors());
                yield new Outcome(false, List.of(), mapConcurrency, chunkTimeout);
            }
            case InputValidator.Result.Valid valid -> {
                long total = valid.total();
                if (valid.model() != null) {
                    // Before the move to in_progress, so that a batch seen running shows its model.
                    batches.recordModel(tenant, batchId, valid.model());
                }
                if (batches.transition(
                                tenant,
                                batchId,
                                Set.of(Batch.Status.VALIDATING),
                                Batch.Status.IN_PROGRESS,
                                Map.of("in_progress_at", now),
                                total,
                                null)
                        .isEmpty()) {
                    // Cancelled while validating: the lines still count, and end as cancelled.
                    batches.transition(
                            tenant,
                            batchId,
                            Set.of(Batch.Status.CANCELLING),
                            Batch.Status.CANCELLING,
                            Map.of(),
                            total,
                            null);
                }
                yield new Outcome(true, valid.chunks(), mapConcurrency, chunkTimeout);
            }
        };
    }

    /** Reads and cuts the batch's input; an input removed since the batch was accepted fails it. */
    private InputValidator.Result read(Batch batch) {
        String key = Files.contentKey(batch.inputFileId());
        try (InputStream input = content.open(key)) {
            return validator.validate(
                    batch.id(),
                    batch.endpoint(),
                    input,
                    new InputValidator.Spread(content.size(key), Math.max(1, mapConcurrency)));
        } catch (FileContentStore.NoSuchKey e) {
            return new InputValidator.Result.Invalid(List.of(new Batch.Error(
                    "file_not_found",
                    "The input file " + batch.inputFileId() + " no longer exists.",
                    "input_file_id",
                    null)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Seconds left in the batch's window, counted once its input is read, and the grace; or 30 days
     * for {@code unlimited}.
     */
    private static long chunkTimeout(Batch batch, long now) {
        return batch.expiresAt() == null
                ? UNLIMITED_CHUNK_WAIT_SECONDS
                : Math.max(0, batch.expiresAt() - now) + WINDOW_GRACE_SECONDS;
    }
}
