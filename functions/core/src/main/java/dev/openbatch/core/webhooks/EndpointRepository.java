package dev.openbatch.core.webhooks;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import java.util.Optional;

/**
 * The records of webhook endpoints, each owned by one tenant and invisible to every other. They hold
 * signing secrets: the store keeps them encrypted at rest.
 */
public interface EndpointRepository {

    /** Stores a new endpoint; its id must not exist yet. */
    void create(String tenant, Endpoint endpoint);

    /** The tenant's endpoint of that id; empty if there is none, or it belongs to another tenant. */
    Optional<Endpoint> find(String tenant, String id);

    /** The tenant's endpoints, by id (so by creation time). */
    Page<Endpoint> list(String tenant, PageRequest page);

    /** Writes over the tenant's endpoint of the same id; answers false if it does not exist (or is another's). */
    boolean replace(String tenant, Endpoint endpoint);

    /** Deletes the tenant's endpoint; answers false if there was none. */
    boolean delete(String tenant, String id);
}
