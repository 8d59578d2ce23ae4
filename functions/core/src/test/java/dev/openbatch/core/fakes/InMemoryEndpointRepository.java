package dev.openbatch.core.fakes;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.webhooks.Endpoint;
import dev.openbatch.core.webhooks.EndpointRepository;
import java.util.Optional;

public final class InMemoryEndpointRepository implements EndpointRepository {

    private final InMemoryRecords<Endpoint> records = new InMemoryRecords<>(Endpoint::id);

    @Override
    public void create(String tenant, Endpoint endpoint) {
        records.create(tenant, endpoint);
    }

    @Override
    public Optional<Endpoint> find(String tenant, String id) {
        return records.find(tenant, id);
    }

    @Override
    public Page<Endpoint> list(String tenant, PageRequest page) {
        return records.list(tenant, page, e -> true);
    }

    @Override
    public boolean replace(String tenant, Endpoint endpoint) {
        if (records.find(tenant, endpoint.id()).isEmpty()) {
            return false;
        }
        records.replace(endpoint.id(), endpoint);
        return true;
    }

    @Override
    public boolean delete(String tenant, String id) {
        return records.delete(tenant, id);
    }
}
