package dev.openbatch.core.fakes;

import dev.openbatch.core.pipeline.ChunkStore;
import dev.openbatch.core.pipeline.PartCounts;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

public final class InMemoryChunkStore implements ChunkStore {

    public final Map<String, byte[]> chunks = new ConcurrentHashMap<>();
    public final Map<String, byte[]> parts = new ConcurrentHashMap<>();
    public final Map<String, PartCounts> counts = new ConcurrentHashMap<>();
    public final Map<String, byte[]> segments = new ConcurrentHashMap<>();
    public final AtomicInteger partWrites = new AtomicInteger();

    private static String key(String batchId, int index) {
        return batchId + "/" + index;
    }

    @Override
    public void writeChunk(String batchId, int index, byte[] lines) {
        chunks.put(key(batchId, index), lines.clone());
    }

    public final Map<String, byte[]> cuts = new ConcurrentHashMap<>();

    @Override
    public void writeCut(String batchId, byte[] cut) {
        cuts.put(batchId, cut.clone());
    }

    @Override
    public Optional<byte[]> readCut(String batchId) {
        return Optional.ofNullable(cuts.get(batchId));
    }

    @Override
    public void deleteChunks(String batchId) {
        chunks.keySet().removeIf(key -> key.startsWith(batchId + "/"));
    }

    @Override
    public int chunkCount(String batchId) {
        return (int) chunks.keySet().stream()
                .filter(key -> key.startsWith(batchId + "/"))
                .count();
    }

    @Override
    public InputStream readChunk(String batchId, int index) {
        return new ByteArrayInputStream(chunks.get(key(batchId, index)));
    }

    @Override
    public boolean writeSegment(String batchId, int index, int seq, byte[] segment) {
        return segments.putIfAbsent(key(batchId, index) + "/" + seq, segment.clone()) == null;
    }

    @Override
    public Optional<byte[]> readSegment(String batchId, int index, int seq) {
        return Optional.ofNullable(segments.get(key(batchId, index) + "/" + seq))
                .map(byte[]::clone);
    }

    /** How many segments chunk {@code index}'s log has. */
    public int segmentCount(String batchId, int index) {
        return (int) segments.keySet().stream()
                .filter(k -> k.startsWith(key(batchId, index) + "/"))
                .count();
    }

    @Override
    public PartCounts writePart(String batchId, int index, byte[] output, byte[] errors, PartCounts partCounts) {
        partWrites.incrementAndGet();
        parts.put(key(batchId, index) + "/" + PartKind.OUTPUT, output.clone());
        parts.put(key(batchId, index) + "/" + PartKind.ERRORS, errors.clone());
        PartCounts first = counts.putIfAbsent(key(batchId, index), partCounts);
        return first != null ? first : partCounts;
    }

    @Override
    public Optional<PartCounts> partCounts(String batchId, int index) {
        return Optional.ofNullable(counts.get(key(batchId, index)));
    }

    @Override
    public InputStream readPart(String batchId, int index, PartKind kind) {
        return new ByteArrayInputStream(parts.get(key(batchId, index) + "/" + kind));
    }

    @Override
    public long partSize(String batchId, int index, PartKind kind) {
        return parts.get(key(batchId, index) + "/" + kind).length;
    }
}
