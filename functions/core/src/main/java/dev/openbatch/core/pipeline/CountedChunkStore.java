package dev.openbatch.core.pipeline;

import java.io.InputStream;
import java.util.Optional;

/** A chunk store that counts, into a run's meter, the S3 requests each call makes in the cloud. */
final class CountedChunkStore implements ChunkStore {

    private final ChunkStore store;
    private final RunMeter meter;

    CountedChunkStore(ChunkStore store, RunMeter meter) {
        this.store = store;
        this.meter = meter;
    }

    private void reads(long n) {
        meter.s3Reads.addAndGet(n);
    }

    private void writes(long n) {
        meter.s3Writes.addAndGet(n);
    }

    @Override
    public void writeChunk(String batchId, int index, byte[] lines) {
        writes(1);
        store.writeChunk(batchId, index, lines);
    }

    @Override
    public void writeCut(String batchId, byte[] cut) {
        writes(1);
        store.writeCut(batchId, cut);
    }

    @Override
    public Optional<byte[]> readCut(String batchId) {
        reads(1);
        return store.readCut(batchId);
    }

    @Override
    public void deleteChunks(String batchId) {
        writes(1);
        store.deleteChunks(batchId);
    }

    @Override
    public int chunkCount(String batchId) {
        reads(1);
        return store.chunkCount(batchId);
    }

    @Override
    public InputStream readChunk(String batchId, int index) {
        reads(1);
        return store.readChunk(batchId, index);
    }

    @Override
    public boolean writeSegment(String batchId, int index, int seq, byte[] segment) {
        writes(1);
        return store.writeSegment(batchId, index, seq, segment);
    }

    @Override
    public Optional<byte[]> readSegment(String batchId, int index, int seq) {
        reads(1);
        return store.readSegment(batchId, index, seq);
    }

    @Override
    public PartCounts writePart(String batchId, int index, byte[] output, byte[] errors, PartCounts counts) {
        // Both sides and the counts; the counts are read back when another run wrote them first.
        writes(3);
        return store.writePart(batchId, index, output, errors, counts);
    }

    @Override
    public Optional<PartCounts> partCounts(String batchId, int index) {
        reads(1);
        return store.partCounts(batchId, index);
    }

    @Override
    public InputStream readPart(String batchId, int index, PartKind kind) {
        reads(1);
        return store.readPart(batchId, index, kind);
    }

    @Override
    public long partSize(String batchId, int index, PartKind kind) {
        reads(1);
        return store.partSize(batchId, index, kind);
    }
}
