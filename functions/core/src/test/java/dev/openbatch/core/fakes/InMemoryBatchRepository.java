package dev.openbatch.core.fakes;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.BatchRepository;
import java.util.Optional;

public final class InMemoryBatchRepository implements BatchRepository {

    private final InMemoryRecords<Batch> records = new InMemoryRecords<>(Batch::id);

    @Override
    public void create(String tenant, Batch batch) {
        records.create(tenant, batch);
    }

    @Override
    public Optional<Batch> find(String tenant, String id) {
        return records.find(tenant, id);
    }

    @Override
    public Page<Batch> list(String tenant, PageRequest page) {
        return records.list(tenant, page, b -> true);
    }

    public int size() {
        return records.size();
    }
}
