package dev.openbatch.aws;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.webhooks.Endpoint;
import dev.openbatch.core.webhooks.EndpointRepository;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;

/**
 * Webhook endpoints in their own table, one item per endpoint, its tenant's by {@code owner}. The
 * table holds signing secrets: it is encrypted at rest with the stack's KMS key (see the CDK stack),
 * and no other function than the API and the webhook sender may read it.
 */
public final class DynamoDbWebhookEndpointRepository implements EndpointRepository {

    private final OwnedTable<Endpoint> table;

    public DynamoDbWebhookEndpointRepository(DynamoDbClient dynamo, String tableName) {
        this.table = new OwnedTable<>(
                dynamo,
                tableName,
                DynamoDbWebhookEndpointRepository::toItem,
                DynamoDbWebhookEndpointRepository::fromItem);
    }

    /** The table's definition: owned records, as the files table. */
    static CreateTableRequest definition(String tableName) {
        return OwnedTable.definition(tableName);
    }

    @Override
    public void create(String tenant, Endpoint endpoint) {
        table.create(tenant, endpoint);
    }

    @Override
    public Optional<Endpoint> find(String tenant, String id) {
        return table.find(tenant, id);
    }

    @Override
    public Page<Endpoint> list(String tenant, PageRequest page) {
        return table.list(tenant, page, Map.of());
    }

    @Override
    public boolean replace(String tenant, Endpoint endpoint) {
        return table.replace(tenant, endpoint);
    }

    @Override
    public boolean delete(String tenant, String id) {
        return table.delete(tenant, id);
    }

    private static Attributes toItem(Endpoint endpoint) {
        return Attributes.newItem()
                .put(OwnedTable.ID, endpoint.id())
                .put("name", endpoint.name())
                .put("url", endpoint.url())
                .putJson("event_types", endpoint.eventTypes())
                .put("created_at", endpoint.createdAt())
                .put("updated_at", endpoint.updatedAt())
                .put("signing_secret", endpoint.secret())
                .put("previous_signing_secret", endpoint.previousSecret())
                .put("previous_signing_secret_expires_at", endpoint.previousSecretExpires());
    }

    private static Endpoint fromItem(Attributes item) {
        return new Endpoint(
                item.string(OwnedTable.ID),
                item.string("name"),
                item.string("url"),
                Arrays.asList(item.json("event_types", String[].class)),
                item.number("created_at", 0),
                item.number("updated_at", 0),
                item.string("signing_secret"),
                item.string("previous_signing_secret"),
                item.number("previous_signing_secret_expires_at"));
    }
}
