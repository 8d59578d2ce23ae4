package dev.openbatch.core.pipeline;

import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.BatchRepository;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.files.Concatenated;
import dev.openbatch.core.files.FileContentStore;
import dev.openbatch.core.files.Files;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code GET /v1/batches/{batch_id}/output} and {@code .../errors}: a batch's results as they stand.
 * Once the batch has ended, exactly its output or error file, as {@code GET /v1/files/{id}/content}
 * answers it (nothing, for a side the batch has no file of). While it runs, the lines ended so far in
 * OpenAI's line format, each once, by chunk and within a chunk in the order its part has them: the
 * part of each chunk whose part is whole, and for each chunk still running the lines its checkpoint
 * log holds ({@link ChunkLog#soFar}, the log's own rule for a line in two segments). Before it runs
 * ({@code validating}), nothing.
 *
 * <p>Bounded in memory: the answer is planned first, chunk by chunk (a whole part's size; a running
 * chunk's lines read, measured and let go, with the number of segments read), then assembled from
 * that plan — the parts streamed, each running chunk's same segments read again, one chunk at a time.
 * An answer up to {@link Files#MAX_INLINE_CONTENT_BYTES} is given inline; a larger one is streamed
 * into a snapshot object beside the batch's intermediate objects (so it expires with them), and
 * answered with a 302 to a presigned URL of it, as large files are.
 */
public final class BatchResults {

    private final BatchRepository batches;
    private final Files files;
    private final FileContentStore content;
    private final ChunkStore chunks;

    public BatchResults(BatchRepository batches, Files files, FileContentStore content, ChunkStore chunks) {
        this.batches = batches;
        this.files = files;
        this.content = content;
        this.chunks = chunks;
    }

    /** Where a snapshot goes: under the batch's intermediate objects, {@code batches/<id>/}. */
    static String snapshotKey(String batchId, ChunkStore.PartKind side) {
        return "batches/" + batchId + "/snapshots/" + (side == ChunkStore.PartKind.OUTPUT ? "output-" : "errors-")
                + UUID.randomUUID() + ".jsonl";
    }

    /** The output lines: {@code GET /v1/batches/{batch_id}/output}. */
    public Files.Content output(String tenant, String batchId) {
        return results(tenant, batchId, ChunkStore.PartKind.OUTPUT);
    }

    /** The error lines: {@code GET /v1/batches/{batch_id}/errors}. */
    public Files.Content errors(String tenant, String batchId) {
        return results(tenant, batchId, ChunkStore.PartKind.ERRORS);
    }

    private Files.Content results(String tenant, String batchId, ChunkStore.PartKind side) {
        Batch batch = batches.find(tenant, batchId).orElseThrow(() -> Batches.noSuchBatch(batchId));
        if (Batch.Status.ENDED.contains(batch.status())) {
            String fileId = side == ChunkStore.PartKind.OUTPUT ? batch.outputFileId() : batch.errorFileId();
            return fileId == null ? new Files.Content.Inline(new byte[0]) : files.content(tenant, fileId);
        }
        if (batch.status().equals(Batch.Status.VALIDATING)) {
            return new Files.Content.Inline(new byte[0]);
        }
        List<Piece> plan = plan(batch.id(), side);
        long length = plan.stream().mapToLong(Piece::bytes).sum();
        if (length <= Files.MAX_INLINE_CONTENT_BYTES) {
            ByteArrayOutputStream inline = new ByteArrayOutputStream((int) length);
            try (InputStream assembled = assemble(batch.id(), side, plan)) {
                assembled.transferTo(inline);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Files.Content.Inline(inline.toByteArray());
        }
        String key = snapshotKey(batch.id(), side);
        try (InputStream assembled = assemble(batch.id(), side, plan)) {
            content.put(key, assembled, length, Files.JSONL);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Files.Content.Redirect(content.presignedGet(key, Files.DOWNLOAD_URL_VALIDITY));
    }

    /**
     * One chunk's share of the answer.
     *
     * @param index    the chunk
     * @param whole    whether it is the chunk's whole part; else the lines of its log's first {@code segments}
     * @param segments how many segments of its log were read
     * @param bytes    its length
     */
    private record Piece(int index, boolean whole, int segments, long bytes) {}

    private List<Piece> plan(String batchId, ChunkStore.PartKind side) {
        List<Piece> plan = new ArrayList<>();
        int count = chunks.chunkCount(batchId);
        for (int index = 0; index < count; index++) {
            if (chunks.partCounts(batchId, index).isPresent()) {
                plan.add(new Piece(index, true, 0, chunks.partSize(batchId, index, side)));
            } else {
                ChunkLog.SoFar soFar = ChunkLog.soFar(chunks, batchId, index, Integer.MAX_VALUE, side);
                plan.add(new Piece(index, false, soFar.segments(), soFar.bytes()));
            }
        }
        return plan;
    }

    /** The planned pieces as one stream, opening each only when the one before has been read. */
    private InputStream assemble(String batchId, ChunkStore.PartKind side, List<Piece> plan) {
        return Concatenated.of(plan.size(), i -> {
            Piece piece = plan.get(i);
            return piece.whole()
                    ? chunks.readPart(batchId, piece.index(), side)
                    : new ByteArrayInputStream(ChunkLog.soFar(chunks, batchId, piece.index(), piece.segments(), side)
                            .joined());
        });
    }
}
