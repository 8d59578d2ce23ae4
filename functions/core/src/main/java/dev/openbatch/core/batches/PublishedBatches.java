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
 * The batches' records, each status change told to {@link BatchEvents} once it is written: the one
 * place every status change passes (the API's create and cancel, validation, the finalizer, the
 * sweeper), so none goes untold. A transition that did not happen (its batch was not in one of the
 * statuses it starts from) tells nothing, so a retried step does not tell twice.
 */
public final class PublishedBatches implements BatchRepository {

    private final BatchRepository batches;
    private final BatchEvents events;

    public PublishedBatches(BatchRepository batches, BatchEvents events) {
        this.batches = batches;
        this.events = events;
    }

    @Override
    public void create(String tenant, Batch batch) {
        batches.create(tenant, batch);
        events.changed(tenant, batch);
    }

    @Override
    public Optional<Batch> find(String tenant, String id) {
        return batches.find(tenant, id);
    }

    @Override
    public Page<Batch> list(String tenant, PageRequest page) {
        return batches.list(tenant, page);
    }

    @Override
    public Optional<Batch> transition(
            String tenant,
            String id,
            Set<String> from,
            String to,
            Map<String, Long> timestamps,
            Long total,
            List<Batch.Error> errors) {
        Optional<Batch> moved = batches.transition(tenant, id, from, to, timestamps, total, errors);
        moved.ifPresent(batch -> events.changed(tenant, batch));
        return moved;
    }

    @Override
    public boolean countChunk(String tenant, String id, int chunk, PartCounts counts) {
        return batches.countChunk(tenant, id, chunk, counts);
    }

    @Override
    public void recordModel(String tenant, String id, String model) {
        batches.recordModel(tenant, id, model);
    }

    @Override
    public String reserveFileId(String tenant, String id, String field, String candidate) {
        return batches.reserveFileId(tenant, id, field, candidate);
    }
}
