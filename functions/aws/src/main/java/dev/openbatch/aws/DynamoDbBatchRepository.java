package dev.openbatch.aws;

import dev.openbatch.core.Json;
import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.BatchRepository;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;

/**
 * Batch records in the batches table. Status, timestamps and counts are attributes of their own,
 * so that the pipeline can move them with conditional updates and atomic counters; the errors
 * list and usage, written once, are kept as JSON.
 */
public final class DynamoDbBatchRepository implements BatchRepository {

    private final OwnedTable<Batch> table;
    private final DynamoDbClient dynamo;
    private final String tableName;

    public DynamoDbBatchRepository(DynamoDbClient dynamo, String tableName) {
        this.table = new OwnedTable<>(dynamo, tableName, DynamoDbBatchRepository::toItem, DynamoDbBatchRepository::fromItem);
        this.dynamo = dynamo;
        this.tableName = tableName;
    }

    @Override
    public void create(String tenant, Batch batch) {
        table.create(tenant, batch);
    }

    @Override
    public Optional<Batch> find(String tenant, String id) {
        return table.find(tenant, id);
    }

    @Override
    public Page<Batch> list(String tenant, PageRequest page) {
        return table.list(tenant, page, Map.of());
    }

    @Override
    public Optional<Batch> transition(String tenant, String id, Set<String> from, String to,
                                      Map<String, Long> timestamps, Long total, List<Batch.Error> errors) {
        Update update = new Update(tenant).set("status", AttributeValue.fromS(to));
        timestamps.forEach((name, value) -> update.set(name, AttributeValue.fromN(Long.toString(value))));
        if (total != null) {
            update.set("total", AttributeValue.fromN(Long.toString(total)));
        }
        if (errors != null) {
            update.set("errors", AttributeValue.fromS(Json.writeString(Batch.Errors.of(errors))));
        }
        List<String> allowed = new ArrayList<>();
        for (String status : from) {
            allowed.add(update.value(AttributeValue.fromS(status)));
        }
        String condition = update.name("status") + " IN (" + String.join(", ", allowed) + ")";
        try {
            return Optional.of(fromItem(Attributes.of(update.run(id, "SET " + update.assignments(), condition))));
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean countChunk(String tenant, String id, int chunk, long completed, long failed) {
        Update update = new Update(tenant);
        String chunkValue = update.value(AttributeValue.fromSs(List.of(Integer.toString(chunk))));
        String counted = update.name("counted_chunks");
        String expression = "ADD " + update.name("completed") + " " + update.value(AttributeValue.fromN(Long.toString(completed)))
                + ", " + update.name("failed") + " " + update.value(AttributeValue.fromN(Long.toString(failed)))
                + ", " + counted + " " + chunkValue;
        String chunkName = update.value(AttributeValue.fromS(Integer.toString(chunk)));
        try {
            update.run(id, expression, "NOT contains(" + counted + ", " + chunkName + ")");
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public String reserveFileId(String tenant, String id, String field, String candidate) {
        Update update = new Update(tenant).set(field, AttributeValue.fromS(candidate));
        try {
            update.run(id, "SET " + update.assignments(), "attribute_not_exists(" + update.name(field) + ")");
            return candidate;
        } catch (ConditionalCheckFailedException e) {
            return Attributes.of(table.item(tenant, id).orElseThrow(() -> e)).string(field);
        }
    }

    /** One conditional update of a tenant's batch: names and values as placeholders, the owner always checked. */
    private final class Update {
        private final Map<String, String> names = new HashMap<>();
        private final Map<String, AttributeValue> values = new HashMap<>();
        private final List<String> assignments = new ArrayList<>();
        private final String ownerCondition;

        Update(String tenant) {
            ownerCondition = name(OwnedTable.OWNER) + " = " + value(AttributeValue.fromS(tenant));
        }

        String name(String attribute) {
            String placeholder = "#" + attribute;
            names.put(placeholder, attribute);
            return placeholder;
        }

        String value(AttributeValue value) {
            String placeholder = ":v" + values.size();
            values.put(placeholder, value);
            return placeholder;
        }

        Update set(String attribute, AttributeValue value) {
            assignments.add(name(attribute) + " = " + value(value));
            return this;
        }

        String assignments() {
            return String.join(", ", assignments);
        }

        Map<String, AttributeValue> run(String id, String updateExpression, String condition) {
            return dynamo.updateItem(b -> b.tableName(tableName)
                    .key(Map.of(OwnedTable.ID, AttributeValue.fromS(id)))
                    .updateExpression(updateExpression)
                    .conditionExpression(ownerCondition + " AND " + condition)
                    .expressionAttributeNames(names)
                    .expressionAttributeValues(values)
                    .returnValues(ReturnValue.ALL_NEW)).attributes();
        }
    }

    private static Attributes toItem(Batch b) {
        return Attributes.newItem()
                .put(OwnedTable.ID, b.id())
                .put("endpoint", b.endpoint())
                .put("model", b.model())
                .putJson("errors", b.errors())
                .put("input_file_id", b.inputFileId())
                .put("completion_window", b.completionWindow())
                .put("status", b.status())
                .put("output_file_id", b.outputFileId())
                .put("error_file_id", b.errorFileId())
                .put("created_at", b.createdAt())
                .put("in_progress_at", b.inProgressAt())
                .put("expires_at", b.expiresAt())
                .put("finalizing_at", b.finalizingAt())
                .put("completed_at", b.completedAt())
                .put("failed_at", b.failedAt())
                .put("expired_at", b.expiredAt())
                .put("cancelling_at", b.cancellingAt())
                .put("cancelled_at", b.cancelledAt())
                .put("total", b.requestCounts().total())
                .put("completed", b.requestCounts().completed())
                .put("failed", b.requestCounts().failed())
                .putJson("usage", b.usage())
                .put("metadata", b.metadata())
                .put("job_id", b.jobId());
    }

    private static Batch fromItem(Attributes item) {
        return new Batch(item.string(OwnedTable.ID), Batch.OBJECT, item.string("endpoint"), item.string("model"),
                item.json("errors", Batch.Errors.class), item.string("input_file_id"),
                item.string("completion_window"), item.string("status"), item.string("output_file_id"),
                item.string("error_file_id"), item.number("created_at", 0), item.number("in_progress_at"),
                item.number("expires_at"), item.number("finalizing_at"), item.number("completed_at"),
                item.number("failed_at"), item.number("expired_at"), item.number("cancelling_at"),
                item.number("cancelled_at"),
                new Batch.RequestCounts(item.number("total", 0), item.number("completed", 0), item.number("failed", 0)),
                item.json("usage", Batch.Usage.class), item.stringMap("metadata"), item.string("job_id"));
    }
}
