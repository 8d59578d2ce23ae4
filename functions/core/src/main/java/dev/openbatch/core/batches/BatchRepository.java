package dev.openbatch.core.batches;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.Batch;
import java.util.Optional;

/** The records of batches, each owned by one tenant and invisible to every other. */
public interface BatchRepository {

    /** Stores a new batch; its id must not exist yet. */
    void create(String tenant, Batch batch);

    /** The tenant's batch of that id; empty if there is none, or it belongs to another tenant. */
    Optional<Batch> find(String tenant, String id);

    /** The tenant's batches, by id (so by creation time). */
    Page<Batch> list(String tenant, PageRequest page);
}
