package dev.openbatch.aws;

import dev.openbatch.core.Json;
import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.BatchRepository;
import dev.openbatch.core.pipeline.PartCounts;
import dev.openbatch.core.pipeline.SweepIndex;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.CreateGlobalSecondaryIndexAction;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexUpdate;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.UpdateTableRequest;

/**
 * Batch records in the batches table. Status, timestamps and counts are attributes of their own,
 * so that the pipeline can move them with conditional updates and atomic counters (usage too, one
 * counter per token count); the errors list, written once, is kept as JSON.
 *
 * <p>A batch that has not ended also carries its place in the sweep index: {@value #SWEEP_STATUS}
 * (its status) and {@value #SWEEP_SINCE} (when it entered it, or when the sweeper last marked it),
 * the keys of the sparse index {@value #BY_SWEEP}, and the sweeper's {@code sweep_seen},
 * {@code sweep_run} and {@code sweep_stalls}. Every change of status moves them, and the end of the
 * batch removes them, so the index holds only the batches that may yet be stuck, and a sweep reads
 * only those that are due.
 */
public final class DynamoDbBatchRepository implements BatchRepository, SweepIndex {

    static final String BY_SWEEP = "by_sweep";
    static final String SWEEP_STATUS = "sweep_status";
    static final String SWEEP_SINCE = "sweep_since";
    private static final String SWEEP_SEEN = "sweep_seen";
    private static final String SWEEP_RUN = "sweep_run";
    private static final String SWEEP_STALLS = "sweep_stalls";
    // The batch's usage, summed by each chunk's count as it is counted (atomic counters, as completed and failed).
    private static final String INPUT_TOKENS = "input_tokens";
    private static final String CACHED_TOKENS = "cached_tokens";
    private static final String OUTPUT_TOKENS = "output_tokens";
    private static final String REASONING_TOKENS = "reasoning_tokens";
    private static final String TOTAL_TOKENS = "total_tokens";

    private final OwnedTable<Batch> table;
    private final DynamoDbClient dynamo;
    private final String tableName;

    public DynamoDbBatchRepository(DynamoDbClient dynamo, String tableName) {
        this.table =
                new OwnedTable<>(dynamo, tableName, DynamoDbBatchRepository::toItem, DynamoDbBatchRepository::fromItem);
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
    public Optional<Batch> transition(
            String tenant,
            String id,
            Set<String> from,
            String to,
            Map<String, Long> timestamps,
            Long total,
            List<Batch.Error> errors) {
        Update update = new Update(tenant).set("status", AttributeValue.fromS(to));
        timestamps.forEach((name, value) -> update.set(name, AttributeValue.fromN(Long.toString(value))));
        List<String> removals = new ArrayList<>();
        if (Batch.Status.ENDED.contains(to)) {
            for (String attribute : List.of(SWEEP_STATUS, SWEEP_SINCE, SWEEP_SEEN, SWEEP_RUN, SWEEP_STALLS)) {
                removals.add(update.name(attribute));
            }
        } else {
            update.set(SWEEP_STATUS, AttributeValue.fromS(to));
            // The new status's timestamp; a move that stamps nothing (the total of a cancelled batch) keeps its place.
            timestamps.values().stream()
                    .max(Long::compare)
                    .ifPresent(since -> update.set(SWEEP_SINCE, AttributeValue.fromN(Long.toString(since))));
        }
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
            String expression = "SET " + update.assignments()
                    + (removals.isEmpty() ? "" : " REMOVE " + String.join(", ", removals));
            return Optional.of(fromItem(Attributes.of(update.run(id, expression, condition))));
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean countChunk(String tenant, String id, int chunk, PartCounts counts) {
        Update update = new Update(tenant);
        String chunkValue = update.value(AttributeValue.fromSs(List.of(Integer.toString(chunk))));
        String counted = update.name("counted_chunks");
        Batch.Usage usage = counts.usage();
        Map<String, Long> added = new LinkedHashMap<>();
        added.put("completed", counts.completed());
        added.put("failed", counts.failed());
        added.put(INPUT_TOKENS, usage.inputTokens());
        added.put(CACHED_TOKENS, usage.inputTokensDetails().cachedTokens());
        added.put(OUTPUT_TOKENS, usage.outputTokens());
        added.put(REASONING_TOKENS, usage.outputTokensDetails().reasoningTokens());
        added.put(TOTAL_TOKENS, usage.totalTokens());
        List<String> additions = new ArrayList<>();
        added.forEach((attribute, amount) -> additions.add(
                update.name(attribute) + " " + update.value(AttributeValue.fromN(Long.toString(amount)))));
        String expression = "ADD " + String.join(", ", additions) + ", " + counted + " " + chunkValue;
        String chunkName = update.value(AttributeValue.fromS(Integer.toString(chunk)));
        try {
            update.run(id, expression, "NOT contains(" + counted + ", " + chunkName + ")");
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public void recordModel(String tenant, String id, String model) {
        Update update = new Update(tenant).set("model", AttributeValue.fromS(model));
        update.run(id, "SET " + update.assignments(), "attribute_exists(" + update.name(OwnedTable.ID) + ")");
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

    @Override
    public List<Entry> due(String status, long sinceAtMost, int limit) {
        List<Entry> due = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse response = dynamo.query(b -> b.tableName(tableName)
                    .indexName(BY_SWEEP)
                    .keyConditionExpression("#status = :status AND #since <= :since")
                    .expressionAttributeNames(Map.of("#status", SWEEP_STATUS, "#since", SWEEP_SINCE))
                    .expressionAttributeValues(Map.of(
                            ":status",
                            AttributeValue.fromS(status),
                            ":since",
                            AttributeValue.fromN(Long.toString(sinceAtMost))))
                    .scanIndexForward(true)
                    .limit(limit - due.size())
                    .exclusiveStartKey(from));
            for (Map<String, AttributeValue> raw : response.items()) {
                Attributes item = Attributes.of(raw);
                due.add(new Entry(
                        item.string(OwnedTable.OWNER),
                        fromItem(item),
                        item.number(SWEEP_SINCE, 0),
                        item.number(SWEEP_SEEN, 0),
                        (int) item.number(SWEEP_RUN, 0),
                        (int) item.number(SWEEP_STALLS, 0)));
            }
            start = response.hasLastEvaluatedKey()
                            && !response.lastEvaluatedKey().isEmpty()
                    ? response.lastEvaluatedKey()
                    : null;
        } while (start != null && due.size() < limit);
        return Collections.unmodifiableList(due);
    }

    @Override
    public boolean mark(Entry entry, Mark mark) {
        Update update = new Update(entry.tenant())
                .set(SWEEP_SINCE, AttributeValue.fromN(Long.toString(mark.since())))
                .set(SWEEP_SEEN, AttributeValue.fromN(Long.toString(mark.seen())))
                .set(SWEEP_RUN, AttributeValue.fromN(Integer.toString(mark.run())))
                .set(SWEEP_STALLS, AttributeValue.fromN(Integer.toString(mark.stalls())));
        if (mark.expiresAt() != null) {
            update.set("expires_at", AttributeValue.fromN(Long.toString(mark.expiresAt())));
        }
        String run = update.name(SWEEP_RUN);
        String runCondition = entry.run() == 0
                ? "(attribute_not_exists(" + run + ") OR " + run + " = " + update.value(AttributeValue.fromN("0")) + ")"
                : run + " = " + update.value(AttributeValue.fromN(Integer.toString(entry.run())));
        String condition = update.name(SWEEP_STATUS) + " = "
                + update.value(AttributeValue.fromS(entry.batch().status()))
                + " AND " + update.name(SWEEP_SINCE) + " = "
                + update.value(AttributeValue.fromN(Long.toString(entry.since())))
                + " AND " + runCondition;
        try {
            update.run(entry.batch().id(), "SET " + update.assignments(), condition);
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /**
     * The batches table: the shape every owned-records table has (see {@link OwnedTable}), and the
     * sparse index {@value #BY_SWEEP} on ({@value #SWEEP_STATUS}, {@value #SWEEP_SINCE}).
     */
    static CreateTableRequest definition(String table) {
        CreateTableRequest owned = OwnedTable.definition(table);
        List<AttributeDefinition> attributes = new ArrayList<>(owned.attributeDefinitions());
        attributes.addAll(sweepAttributes());
        List<GlobalSecondaryIndex> indexes = new ArrayList<>(owned.globalSecondaryIndexes());
        indexes.add(sweepIndex());
        return owned.toBuilder()
                .attributeDefinitions(attributes)
                .globalSecondaryIndexes(indexes)
                .build();
    }

    /** Adds the sweep index to a batches table made before it existed (a local data directory kept across versions). */
    static UpdateTableRequest addSweepIndex(String table) {
        GlobalSecondaryIndex index = sweepIndex();
        return UpdateTableRequest.builder()
                .tableName(table)
                .attributeDefinitions(sweepAttributes())
                .globalSecondaryIndexUpdates(GlobalSecondaryIndexUpdate.builder()
                        .create(CreateGlobalSecondaryIndexAction.builder()
                                .indexName(index.indexName())
                                .keySchema(index.keySchema())
                                .projection(index.projection())
                                .build())
                        .build())
                .build();
    }

    private static List<AttributeDefinition> sweepAttributes() {
        return List.of(
                AttributeDefinition.builder()
                        .attributeName(SWEEP_STATUS)
                        .attributeType(ScalarAttributeType.S)
                        .build(),
                AttributeDefinition.builder()
                        .attributeName(SWEEP_SINCE)
                        .attributeType(ScalarAttributeType.N)
                        .build());
    }

    private static GlobalSecondaryIndex sweepIndex() {
        return GlobalSecondaryIndex.builder()
                .indexName(BY_SWEEP)
                .keySchema(
                        KeySchemaElement.builder()
                                .attributeName(SWEEP_STATUS)
                                .keyType(KeyType.HASH)
                                .build(),
                        KeySchemaElement.builder()
                                .attributeName(SWEEP_SINCE)
                                .keyType(KeyType.RANGE)
                                .build())
                .projection(
                        Projection.builder().projectionType(ProjectionType.ALL).build())
                .build();
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
                            .returnValues(ReturnValue.ALL_NEW))
                    .attributes();
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
                .put(INPUT_TOKENS, b.usage() == null ? null : b.usage().inputTokens())
                .put(
                        CACHED_TOKENS,
                        b.usage() == null
                                ? null
                                : b.usage().inputTokensDetails().cachedTokens())
                .put(OUTPUT_TOKENS, b.usage() == null ? null : b.usage().outputTokens())
                .put(
                        REASONING_TOKENS,
                        b.usage() == null
                                ? null
                                : b.usage().outputTokensDetails().reasoningTokens())
                .put(TOTAL_TOKENS, b.usage() == null ? null : b.usage().totalTokens())
                .put("metadata", b.metadata())
                .put("job_id", b.jobId())
                .put("output_expires_after", b.outputExpiresAfter())
                .put(SWEEP_STATUS, Batch.Status.ENDED.contains(b.status()) ? null : b.status())
                .put(SWEEP_SINCE, Batch.Status.ENDED.contains(b.status()) ? null : b.createdAt());
    }

    private static Batch fromItem(Attributes item) {
        return new Batch(
                item.string(OwnedTable.ID),
                Batch.OBJECT,
                item.string("endpoint"),
                item.string("model"),
                item.json("errors", Batch.Errors.class),
                item.string("input_file_id"),
                item.string("completion_window"),
                item.string("status"),
                item.string("output_file_id"),
                item.string("error_file_id"),
                item.number("created_at", 0),
                item.number("in_progress_at"),
                item.number("expires_at"),
                item.number("finalizing_at"),
                item.number("completed_at"),
                item.number("failed_at"),
                item.number("expired_at"),
                item.number("cancelling_at"),
                item.number("cancelled_at"),
                new Batch.RequestCounts(item.number("total", 0), item.number("completed", 0), item.number("failed", 0)),
                usage(item),
                item.stringMap("metadata"),
                item.string("job_id"),
                item.number("output_expires_after"));
    }

    /**
     * The batch's usage: present once it is past validation (from {@code in_progress} on, zeros until a
     * chunk is counted) or once a chunk is counted; absent while it validates and when validation refused it.
     */
    private static Batch.Usage usage(Attributes item) {
        if (item.number("in_progress_at") == null && item.number(TOTAL_TOKENS) == null) {
            return null;
        }
        return Batch.Usage.of(
                item.number(INPUT_TOKENS, 0),
                item.number(CACHED_TOKENS, 0),
                item.number(OUTPUT_TOKENS, 0),
                item.number(REASONING_TOKENS, 0),
                item.number(TOTAL_TOKENS, 0));
    }
}
