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
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * A running batch's intermediate objects in the data bucket, under {@code batches/<id>/}:
 * {@code chunks/00000.jsonl}, and for each chunk {@code parts/00000/output.jsonl},
 * {@code parts/00000/errors.jsonl} and, written last, {@code parts/00000/counts.json}.
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
        return String.format(Locale.ROOT, "batches/%s/chunks/%05d.jsonl", batchId, index);
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

    @Override
    public InputStream readChunk(String batchId, int index) {
        return objects.open(chunkKey(batchId, index));
    }

    @Override
    public void writePart(String batchId, int index, byte[] output, byte[] errors, PartCounts counts) {
        objects.put(partKey(batchId, index, sideName(PartKind.OUTPUT)), output, Files.JSONL);
        objects.put(partKey(batchId, index, sideName(PartKind.ERRORS)), errors, Files.JSONL);
        objects.put(partKey(batchId, index, "counts.json"), Json.write(counts), "application/json");
    }

    @Override
    public Optional<PartCounts> partCounts(String batchId, int index) {
        try {
            ResponseBytes<GetObjectResponse> bytes =
                    s3.getObjectAsBytes(b -> b.bucket(bucket).key(partKey(batchId, index, "counts.json")));
            return Optional.of(Json.MAPPER.readValue(bytes.asByteArray(), PartCounts.class));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("the counts of chunk " + index + " of " + batchId + " are not JSON", e);
        }
    }

    @Override
    public InputStream readPart(String batchId, int index, PartKind kind) {
        return objects.open(partKey(batchId, index, sideName(kind)));
    }

    @Override
    public long partSize(String batchId, int index, PartKind kind) {
        return s3.headObject(b -> b.bucket(bucket).key(partKey(batchId, index, sideName(kind)))).contentLength();
    }
}
