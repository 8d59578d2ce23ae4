package dev.openbatch.aws;

import dev.openbatch.core.AlreadyExists;
import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * A DynamoDB table of records each owned by one tenant: partition key {@code id}, and a global
 * secondary index {@code by_owner} on ({@code owner}, {@code id}). Ids sort by creation time, so a
 * listing is one query on the index, newest first, with the previous page's last id as cursor.
 * A record of another tenant is treated as absent.
 */
final class OwnedTable<T> {

    static final String ID = "id";
    static final String OWNER = "owner";
    static final String BY_OWNER = "by_owner";
    private static final int MAX_ID_LENGTH = 256;

    private final DynamoDbClient dynamo;
    private final String table;
    private final String ownerAttribute;
    private final Function<T, Attributes> toItem;
    private final Function<Attributes, T> fromItem;

    OwnedTable(DynamoDbClient dynamo, String table, Function<T, Attributes> toItem, Function<Attributes, T> fromItem) {
        this(dynamo, table, OWNER, toItem, fromItem);
    }

    /**
     * Records whose tenant is kept under {@code ownerAttribute}. Records of a table's second kind
     * name their tenant otherwise than {@code owner}, which keeps them out of the {@code by_owner}
     * index, so that {@link #list} never sees them (nor can list them).
     */
    OwnedTable(
            DynamoDbClient dynamo,
            String table,
            String ownerAttribute,
            Function<T, Attributes> toItem,
            Function<Attributes, T> fromItem) {
        this.dynamo = dynamo;
        this.table = table;
        this.ownerAttribute = ownerAttribute;
        this.toItem = toItem;
        this.fromItem = fromItem;
    }

    /**
     * The table's definition, on demand. The local runtime creates its tables with it; the CDK
     * stack declares the same keys and index.
     */
    static CreateTableRequest definition(String table) {
        return CreateTableRequest.builder()
                .tableName(table)
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(
                        AttributeDefinition.builder()
                                .attributeName(ID)
                                .attributeType(ScalarAttributeType.S)
                                .build(),
                        AttributeDefinition.builder()
                                .attributeName(OWNER)
                                .attributeType(ScalarAttributeType.S)
                                .build())
                .keySchema(KeySchemaElement.builder()
                        .attributeName(ID)
                        .keyType(KeyType.HASH)
                        .build())
                .globalSecondaryIndexes(GlobalSecondaryIndex.builder()
                        .indexName(BY_OWNER)
                        .keySchema(
                                KeySchemaElement.builder()
                                        .attributeName(OWNER)
                                        .keyType(KeyType.HASH)
                                        .build(),
                                KeySchemaElement.builder()
                                        .attributeName(ID)
                                        .keyType(KeyType.RANGE)
                                        .build())
                        .projection(Projection.builder()
                                .projectionType(ProjectionType.ALL)
                                .build())
                        .build())
                .build();
    }

    void create(String tenant, T value) {
        Map<String, AttributeValue> item =
                toItem.apply(value).put(ownerAttribute, tenant).item();
        try {
            dynamo.putItem(b -> b.tableName(table)
                    .item(item)
                    .conditionExpression("attribute_not_exists(#id)")
                    .expressionAttributeNames(Map.of("#id", ID)));
        } catch (ConditionalCheckFailedException e) {
            throw new AlreadyExists(item.get(ID).s(), table);
        }
    }

    /** Writes the record over the tenant's one of the same id; answers false if there is none (or it is another's). */
    boolean replace(String tenant, T value) {
        Map<String, AttributeValue> item =
                toItem.apply(value).put(ownerAttribute, tenant).item();
        try {
            dynamo.putItem(b -> b.tableName(table)
                    .item(item)
                    .conditionExpression("#owner = :owner")
                    .expressionAttributeNames(Map.of("#owner", ownerAttribute))
                    .expressionAttributeValues(Map.of(":owner", AttributeValue.fromS(tenant))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    Optional<T> find(String tenant, String id) {
        return item(tenant, id).map(item -> fromItem.apply(Attributes.of(item)));
    }

    /** The raw item, read consistently, if it exists and the tenant owns it. */
    Optional<Map<String, AttributeValue>> item(String tenant, String id) {
        if (!isPossibleId(id)) {
            return Optional.empty();
        }
        Map<String, AttributeValue> item = dynamo.getItem(
                        b -> b.tableName(table).consistentRead(true).key(Map.of(ID, AttributeValue.fromS(id))))
                .item();
        if (item == null || item.isEmpty() || !tenant.equals(Attributes.of(item).string(ownerAttribute))) {
            return Optional.empty();
        }
        return Optional.of(item);
    }

    boolean delete(String tenant, String id) {
        if (!isPossibleId(id)) {
            return false;
        }
        try {
            dynamo.deleteItem(b -> b.tableName(table)
                    .key(Map.of(ID, AttributeValue.fromS(id)))
                    .conditionExpression("#owner = :owner")
                    .expressionAttributeNames(Map.of("#owner", ownerAttribute))
                    .expressionAttributeValues(Map.of(":owner", AttributeValue.fromS(tenant))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /** DynamoDB refuses an empty key, or one over 2048 bytes; no record has such an id. */
    private static boolean isPossibleId(String id) {
        return id != null && !id.isEmpty() && id.length() <= MAX_ID_LENGTH;
    }

    /**
     * One page of the tenant's records; {@code equalTo}, when given, keeps only records whose
     * attributes have those string values (a filter, so the query reads on until the page is full).
     */
    Page<T> list(String tenant, PageRequest page, Map<String, String> equalTo) {
        if (!ownerAttribute.equals(OWNER)) {
            throw new IllegalStateException(
                    "records owned by " + ownerAttribute + " are not in the " + BY_OWNER + " index");
        }
        Map<String, String> names = new HashMap<>(Map.of("#owner", OWNER));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":owner", AttributeValue.fromS(tenant)));
        String keyCondition = "#owner = :owner";
        if (page.after() != null) {
            keyCondition += page.descending() ? " AND #id < :after" : " AND #id > :after";
            names.put("#id", ID);
            values.put(":after", AttributeValue.fromS(page.after()));
        }
        List<String> filters = new ArrayList<>();
        equalTo.forEach((attribute, value) -> {
            String n = "#f" + filters.size();
            String v = ":f" + filters.size();
            names.put(n, attribute);
            values.put(v, AttributeValue.fromS(value));
            filters.add(n + " = " + v);
        });

        List<T> items = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        int wanted = page.limit() + 1; // one more than the page tells whether another page exists
        do {
            QueryRequest.Builder query = QueryRequest.builder()
                    .tableName(table)
                    .indexName(BY_OWNER)
                    .keyConditionExpression(keyCondition)
                    .expressionAttributeNames(names)
                    .expressionAttributeValues(values)
                    .scanIndexForward(!page.descending())
                    .exclusiveStartKey(start);
            if (filters.isEmpty()) {
                query.limit(wanted - items.size());
            } else {
                query.filterExpression(String.join(" AND ", filters));
            }
            QueryResponse response = dynamo.query(query.build());
            response.items().forEach(item -> items.add(fromItem.apply(Attributes.of(item))));
            start = response.hasLastEvaluatedKey()
                            && !response.lastEvaluatedKey().isEmpty()
                    ? response.lastEvaluatedKey()
                    : null;
        } while (items.size() < wanted && start != null);

        boolean hasMore = items.size() > page.limit();
        return new Page<>(hasMore ? items.subList(0, page.limit()) : items, hasMore);
    }
}
