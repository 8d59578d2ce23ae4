package dev.openbatch.core.pipeline;

import java.io.InputStream;
import java.util.Optional;

/**
 * Where a running batch keeps its intermediate objects: the chunks the validator cuts, each
 * chunk's checkpoint log (the segments of lines its runs ended), and the part each chunk produces
 * (its output lines, its error lines, and their counts). Keys are deterministic, and what two runs
 * of one chunk could both write is written only if absent: the first writer wins, and the other
 * adopts what it wrote.
 */
public interface ChunkStore {

    /** Writes chunk {@code index} of the batch: request lines, each ending in a line feed. */
    void writeChunk(String batchId, int index, byte[] lines);

    /**
     * Records how the batch's input was cut (its chunks, its total and model, as JSON), once every chunk is
     * written: a later run of validation reads this instead of the input, which may have expired since.
     */
    void writeCut(String batchId, byte[] cut);

    /** What {@link #writeCut} recorded, if validation has cut the batch's input before. */
    Optional<byte[]> readCut(String batchId);

    /** Removes every chunk of the batch, if it has any: a file that fails validation leaves none behind. */
    void deleteChunks(String batchId);

    /** How many chunks the batch has so far: all it will have, once it is {@code in_progress}. */
    int chunkCount(String batchId);

    /** Streams chunk {@code index}; the caller closes it. */
    InputStream readChunk(String batchId, int index);

    /**
     * Writes segment {@code seq} of chunk {@code index}'s checkpoint log, unless it exists: answers
     * whether this call wrote it. Two runs that write one segment at once: exactly one of them does.
     * A write that landed but whose answer was lost on the way back answers false when the client's
     * retry meets it; the caller adopts the segment it finds — its own — to the same effect.
     */
    boolean writeSegment(String batchId, int index, int seq, byte[] segment);

    /** Segment {@code seq} of chunk {@code index}'s checkpoint log, if it has been written. */
    Optional<byte[]> readSegment(String batchId, int index, int seq);

    /**
     * Writes a chunk's part: both sides (each possibly empty), then its counts, last and only if no
     * counts are there yet, so that a part whose counts can be read is whole. Answers the counts
     * that stand: these, or those a run wrote first (whose sides are the same bytes, since a part is
     * assembled from the chunk's checkpoint log, which no run rewrites).
     */
    PartCounts writePart(String batchId, int index, byte[] output, byte[] errors, PartCounts counts);

    /** The counts of chunk {@code index}'s part, if the part is whole. */
    Optional<PartCounts> partCounts(String batchId, int index);

    /** Streams one side of a part; the caller closes it. */
    InputStream readPart(String batchId, int index, PartKind kind);

    /** The size in bytes of one side of a part. */
    long partSize(String batchId, int index, PartKind kind);

    /** The two sides of a part. */
    enum PartKind {
        OUTPUT,
        ERRORS
    }
}
