package dev.openbatch.core.pipeline;

import java.io.InputStream;
import java.util.Optional;

/**
 * Where a running batch keeps its intermediate objects: the chunks the validator cuts, and the
 * part each chunk produces (its output lines, its error lines, and their counts). Keys are
 * deterministic, so a retried step overwrites rather than duplicates.
 */
public interface ChunkStore {

    /** Writes chunk {@code index} of the batch: request lines, each ending in a line feed. */
    void writeChunk(String batchId, int index, byte[] lines);

    /** Removes every chunk of the batch, if it has any: a file that fails validation leaves none behind. */
    void deleteChunks(String batchId);

    /** Streams chunk {@code index}; the caller closes it. */
    InputStream readChunk(String batchId, int index);

    /**
     * Writes a chunk's part: both sides (each possibly empty), then its counts, last, so that a
     * part whose counts can be read is whole.
     */
    void writePart(String batchId, int index, byte[] output, byte[] errors, PartCounts counts);

    /** The counts of chunk {@code index}'s part, if the part is whole. */
    Optional<PartCounts> partCounts(String batchId, int index);

    /** Streams one side of a part; the caller closes it. */
    InputStream readPart(String batchId, int index, PartKind kind);

    /** The size in bytes of one side of a part. */
    long partSize(String batchId, int index, PartKind kind);

    /** The two sides of a part. */
    enum PartKind { OUTPUT, ERRORS }
}
