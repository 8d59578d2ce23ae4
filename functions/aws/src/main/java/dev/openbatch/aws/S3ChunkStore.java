package dev.openbatch.aws;

import dev.openbatch.core.Json;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.pipeline.ChunkStore;
import dev.openbatch.core.pipeline.PartCounts;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Optional;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A running batch's intermediate objects in the data bucket, under {@code batches/<id>/}:
 * {@code chunks/00000.jsonl}, {@code cut.json} (how the input was cut, written once the chunks are), and for each chunk its checkpoint log {@code parts/00000/log/00000},
 * {@code .../00001}, ..., and its part {@code parts/00000/output.jsonl}, {@code parts/00000/errors.jsonl}
 * and, written last, {@code parts/00000/counts.json}. A log segment and the counts are written with
 * {@code If-None-Match: *}, so of two runs writing one at once exactly one succeeds; S3 answers the
 * other 412 Precondition Failed (or 409 while the first write is still going, which is tried again).
 * S3Proxy, the local S3, checks the header before it writes rather than atomically with the write:
 * two writes of one key within the same moment could both succeed locally, never in S3.
 */
public final class S3ChunkStore implements ChunkStore {

    private final S3Client s3;
    private final String bucket;
    /** Objects are written and read as files' bytes are. */
    private final S3FileContentStore objects;

    public S3ChunkStore(S3Client s3, String bucket, S3FileContentStore objects) {
        this.s3 = s3;
        this.bucket = bucket;
        this.objects = objects;
    }

    static String chunkKey(String batchId, int index) {
        return String.format(Locale.ROOT, "%s%05d.jsonl", chunksPrefix(batchId), index);
    }

    private static String chunksPrefix(String batchId) {
        return "batches/" + batchId + "/chunks/";
    }

    static String partKey(String batchId, int index, String name) {
        return String.format(Locale.ROOT, "batches/%s/parts/%05d/%s", batchId, index, name);
    }

    private static String sideName(PartKind kind) {
        return kind == PartKind.OUTPUT ? "output.jsonl" : "errors.jsonl";
    }

    @Override
    public void writeChunk(String batchId, int index, byte[] lines) {
        objects.put(chunkKey(batchId, index), lines, Files.JSONL);
    }

    static String cutKey(String batchId) {
        return "batches/" + batchId + "/cut.json";
    }

    @Override
    public void writeCut(String batchId, byte[] cut) {
        objects.put(cutKey(batchId), cut, "application/json");
    }

    @Override
    public Optional<byte[]> readCut(String batchId) {
        return read(cutKey(batchId));
    }

    @Override
    public void deleteChunks(String batchId) {
        objects.deleteAll(chunksPrefix(batchId));
    }

    @Override
    public int chunkCount(String batchId) {
        return objects.sizes(chunksPrefix(batchId)).size();
    }

    @Override
    public InputStream readChunk(String batchId, int index) {
        return objects.open(chunkKey(batchId, index));
    }

    static String segmentKey(String batchId, int index, int seq) {
        return String.format(Locale.ROOT, "batches/%s/parts/%05d/log/%05d", batchId, index, seq);
    }

    @Override
    public boolean writeSegment(String batchId, int index, int seq, byte[] segment) {
        return createOnly(segmentKey(batchId, index, seq), segment, "application/octet-stream");
    }

    @Override
    public Optional<byte[]> readSegment(String batchId, int index, int seq) {
        return read(segmentKey(batchId, index, seq));
    }

    @Override
    public PartCounts writePart(String batchId, int index, byte[] output, byte[] errors, PartCounts counts) {
        objects.put(partKey(batchId, index, sideName(PartKind.OUTPUT)), output, Files.JSONL);
        objects.put(partKey(batchId, index, sideName(PartKind.ERRORS)), errors, Files.JSONL);
        if (createOnly(partKey(batchId, index, "counts.json"), Json.write(counts), "application/json")) {
            return counts;
        }
        return partCounts(batchId, index)
                .orElseThrow(() -> new IllegalStateException(
                        "the counts of chunk " + index + " of " + batchId + " were written, yet are not there"));
    }

    @Override
    public Optional<PartCounts> partCounts(String batchId, int index) {
        try {
            Optional<byte[]> bytes = read(partKey(batchId, index, "counts.json"));
            return bytes.isEmpty()
                    ? Optional.empty()
                    : Optional.of(Json.MAPPER.readValue(bytes.get(), PartCounts.class));
        } catch (IOException e) {
            throw new IllegalStateException("the counts of chunk " + index + " of " + batchId + " are not JSON", e);
        }
    }

    private Optional<byte[]> read(String key) {
        try {
            ResponseBytes<GetObjectResponse> bytes =
                    s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
            return Optional.of(bytes.asByteArray());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    /** Writes the object unless it exists: answers whether this call wrote it. */
    private boolean createOnly(String key, byte[] bytes, String contentType) {
        for (int attempt = 1; ; attempt++) {
            try {
                s3.putObject(
                        b -> b.bucket(bucket).key(key).contentType(contentType).ifNoneMatch("*"),
                        RequestBody.fromBytes(bytes));
                return true;
            } catch (S3Exception e) {
                if (e.statusCode() == 412) {
                    return false;
                }
                // 409 ConditionalRequestConflict: another write of the key is under way; its outcome decides.
                if (e.statusCode() != 409 || attempt >= 5) {
                    throw e;
                }
            }
        }
    }

    @Override
    public InputStream readPart(String batchId, int index, PartKind kind) {
        return objects.open(partKey(batchId, index, sideName(kind)));
    }

    @Override
    public long partSize(String batchId, int index, PartKind kind) {
        return s3.headObject(b -> b.bucket(bucket).key(partKey(batchId, index, sideName(kind))))
                .contentLength();
    }
}
