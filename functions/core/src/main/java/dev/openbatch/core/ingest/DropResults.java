package dev.openbatch.core.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.OpenAiError;
import dev.openbatch.core.files.FileContentStore;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.pipeline.BatchEnded;
import dev.openbatch.core.pipeline.ChunkStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Writes a dropped batch's results beside its drop once the batch has ended: {@code output.jsonl}
 * and {@code errors.jsonl} when the batch has those files (removing any an earlier version of the
 * drop left), then {@code batch.json}, the Batch exactly as {@code GET /v1/batches/{id}} returns it.
 * {@code batch.json} comes last, so once it is there the results are whole. A refused drop gets a
 * {@code batch.json} holding OpenAI's error envelope, and nothing else. Every write replaces the
 * same object with the same bytes, so writing again changes nothing; and the results of a later
 * version of the drop are never replaced by an earlier one's.
 *
 * <p>While the batch runs, the folder shows the lines ended so far: the worker tells it of each
 * chunk whose part it has written whole, whose sides it copies to {@code partial/output-<chunk>.jsonl}
 * and {@code partial/errors-<chunk>.jsonl} (a side with no line is not written). A file per chunk,
 * written once, rather than one file rewritten with every chunk: that would copy the results so far
 * again at each chunk's end, quadratic in the batch's size. The final files replace them: {@code partial/}
 * is removed before {@code batch.json} is written, and no part is copied once {@code batch.json} is this
 * batch's (or a newer drop's).
 *
 * <p>The finalizer tells it of every batch it ends; it knows the dropped ones by the
 * {@link DropRecord} {@link Ingest} leaves in the data bucket.
 */
public final class DropResults implements BatchEnded {

    private static final String JSON = "application/json";

    private final DropBucket bucket;
    private final FileContentStore content;

    public DropResults(DropBucket bucket, FileContentStore content) {
        this.bucket = bucket;
        this.content = content;
    }

    /** Where the data bucket keeps the record of the drop a batch came from. */
    static String recordKey(String batchId) {
        return "drops/" + batchId + ".json";
    }

    void remember(String batchId, DropRecord record) {
        content.put(recordKey(batchId), Json.write(record), JSON);
    }

    Optional<DropRecord> recordOf(String batchId) {
        try (InputStream in = content.open(recordKey(batchId))) {
            return Optional.of(Json.MAPPER.readValue(in, DropRecord.class));
        } catch (FileContentStore.NoSuchKey notADrop) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the drop record of " + batchId, e);
        }
    }

    @Override
    public void ended(String tenant, Batch batch) {
        // A record of another bucket outlived a change of configuration: its results have nowhere to go.
        recordOf(batch.id())
                .filter(drop -> drop.bucket().equals(bucket.name()))
                .ifPresent(drop -> publish(drop.results(), batch));
    }

    /**
     * Copies the sides of chunk {@code index}'s part, just written whole, into the results folder of the
     * batch's drop, if it came from one, and its results are not written yet.
     */
    public void partWritten(String batchId, int index, ChunkStore chunks) {
        recordOf(batchId)
                .filter(drop -> drop.bucket().equals(bucket.name()))
                .map(DropRecord::results)
                .filter(results -> publishedId(results)
                        .filter(id -> id.compareTo(batchId) >= 0)
                        .isEmpty())
                .ifPresent(results -> {
                    for (ChunkStore.PartKind side : ChunkStore.PartKind.values()) {
                        if (chunks.partSize(batchId, index, side) > 0) {
                            try (InputStream part = chunks.readPart(batchId, index, side)) {
                                bucket.put(
                                        DropLayout.partialKey(results, index, side == ChunkStore.PartKind.OUTPUT),
                                        part.readAllBytes(),
                                        Files.JSONL);
                            } catch (IOException e) {
                                throw new UncheckedIOException("reading chunk " + index + " of " + batchId, e);
                            }
                        }
                    }
                });
    }

    /** Writes the batch's results, unless the folder holds those of a newer drop of the same key already. */
    void publish(String results, Batch batch) {
        if (newerThere(results, batch.id())) {
            return;
        }
        side(results + DropLayout.OUTPUT, batch.outputFileId());
        side(results + DropLayout.ERRORS, batch.errorFileId());
        bucket.deleteAll(results + DropLayout.PARTIAL);
        bucket.put(results + DropLayout.BATCH, Json.write(batch), JSON);
    }

    /**
     * Writes the refusal of the drop whose batch would have been {@code batchId}, unless the folder holds
     * the results of a newer drop of the same key already.
     */
    void refuse(String results, String batchId, OpenAiError error) {
        if (newerThere(results, batchId)) {
            return;
        }
        side(results + DropLayout.OUTPUT, null);
        side(results + DropLayout.ERRORS, null);
        bucket.put(results + DropLayout.BATCH, Json.write(error), JSON);
    }

    /** Whether {@code batch.json} in {@code results} is this batch's. */
    boolean published(String results, String batchId) {
        return publishedId(results).filter(batchId::equals).isPresent();
    }

    /**
     * A drop's ids sort by the time it was written, so a batch.json of a greater id is a later version's:
     * an older drop whose batch ends last, or whose event comes again, must not replace it.
     */
    private boolean newerThere(String results, String batchId) {
        return publishedId(results).filter(id -> id.compareTo(batchId) > 0).isPresent();
    }

    /** The id of the batch whose batch.json is in {@code results}; empty when there is none, or a refusal. */
    private Optional<String> publishedId(String results) {
        return bucket.read(results + DropLayout.BATCH).flatMap(bytes -> {
            try {
                JsonNode id = Json.MAPPER.readTree(bytes).get("id");
                return Optional.ofNullable(id).filter(JsonNode::isTextual).map(JsonNode::asText);
            } catch (IOException notJson) {
                return Optional.empty();
            }
        });
    }

    private void side(String key, String fileId) {
        if (fileId == null) {
            bucket.delete(key);
        } else {
            bucket.copyFromData(Files.contentKey(fileId), key, Files.JSONL);
        }
    }
}
