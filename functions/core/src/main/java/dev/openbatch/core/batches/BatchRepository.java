package dev.openbatch.core.batches;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.pipeline.PartCounts;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The records of batches, each owned by one tenant and invisible to every other. Every change of
 * a running batch is conditional, so a retried or duplicated step cannot move it twice.
 */
public interface BatchRepository {

    /** Stores a new batch; its id must not exist yet. */
    void create(String tenant, Batch batch);

    /** The tenant's batch of that id; empty if there is none, or it belongs to another tenant. */
    Optional<Batch> find(String tenant, String id);

    /** The tenant's batches, by id (so by creation time). */
    Page<Batch> list(String tenant, PageRequest page);

    /**
     * Moves the batch to {@code to} if its status is one of {@code from}, setting the given
     * timestamps (attribute name to Unix seconds) and, when not null, the total and the errors.
     * Answers the batch as it is afterwards, or empty if its status was not one of {@code from}.
     */
    Optional<Batch> transition(
            String tenant,
            String id,
            Set<String> from,
            String to,
            Map<String, Long> timestamps,
            Long total,
            List<Batch.Error> errors);

    /**
     * Adds one chunk's outcome — its completed and failed lines, and the tokens its answers used — to
     * the batch's running counts and usage, once: a chunk already counted is not counted again.
     * Answers whether this call counted it.
     */
    boolean countChunk(String tenant, String id, int chunk, PartCounts counts);

    /**
     * Records the model the batch's lines name, as validation read them, or that they name several
     * ({@code null}); a later call (validation run again) writes the same.
     */
    void recordModel(String tenant, String id, String model);

    /**
     * Records the file id the batch's output ({@code output_file_id}) or errors ({@code error_file_id})
     * will have, unless one is recorded already; answers the id that stands.
     */
    String reserveFileId(String tenant, String id, String field, String candidate);
}
