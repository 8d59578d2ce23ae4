package dev.openbatch.aws;

import dev.openbatch.core.capacity.CapacityStore;
import dev.openbatch.core.capacity.Leases;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * The jobs' capacity leases in the capacity table: one item per job, partition key {@code job_id},
 * with {@code version} and {@code leases}, a map from holder to {@code {batch_id, wanted, permits,
 * since, expires_at}} (epoch milliseconds). Each write is a {@code PutItem} conditioned on the
 * version read; a refused write answers the item as it stands ({@code ALL_OLD} on the failed
 * condition), so a writer that lost the race needs no second read.
 */
public final class DynamoDbCapacityStore implements CapacityStore {

    static final String JOB_ID = "job_id";
    static final String VERSION = "version";
    static final String LEASES = "leases";

    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoDbCapacityStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /** The table's definition, on demand; the CDK stack declares the same key. */
    static CreateTableRequest definition(String table) {
        return CreateTableRequest.builder()
                .tableName(table)
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(AttributeDefinition.builder()
                        .attributeName(JOB_ID)
                        .attributeType(ScalarAttributeType.S)
                        .build())
                .keySchema(KeySchemaElement.builder()
                        .attributeName(JOB_ID)
                        .keyType(KeyType.HASH)
                        .build())
                .build();
    }

    @Override
    public Leases read(String jobId) {
        return leases(dynamo.getItem(
                        b -> b.tableName(table).consistentRead(true).key(Map.of(JOB_ID, AttributeValue.fromS(jobId))))
                .item());
    }

    @Override
    public Swap compareAndSet(String jobId, long expectedVersion, Leases next) {
        PutItemRequest.Builder put = PutItemRequest.builder()
                .tableName(table)
                .item(item(jobId, next))
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD);
        if (expectedVersion == 0) {
            put.conditionExpression("attribute_not_exists(#job)").expressionAttributeNames(Map.of("#job", JOB_ID));
        } else {
            put.conditionExpression("#version = :version")
                    .expressionAttributeNames(Map.of("#version", VERSION))
                    .expressionAttributeValues(
                            Map.of(":version", AttributeValue.fromN(Long.toString(expectedVersion))));
        }
        try {
            dynamo.putItem(put.build());
            return new Swap(true, next);
        } catch (ConditionalCheckFailedException e) {
            return new Swap(false, e.hasItem() && !e.item().isEmpty() ? leases(e.item()) : read(jobId));
        }
    }

    private static Map<String, AttributeValue> item(String jobId, Leases leases) {
        Map<String, AttributeValue> holders = new HashMap<>();
        leases.holders()
                .forEach((holder, lease) -> holders.put(
                        holder,
                        AttributeValue.fromM(Map.of(
                                "batch_id", AttributeValue.fromS(lease.batchId()),
                                "wanted", number(lease.wanted()),
                                "permits", number(lease.permits()),
                                "since", number(lease.since()),
                                "expires_at", number(lease.expiresAt())))));
        return Map.of(
                JOB_ID,
                AttributeValue.fromS(jobId),
                VERSION,
                number(leases.version()),
                LEASES,
                AttributeValue.fromM(holders));
    }

    private static Leases leases(Map<String, AttributeValue> item) {
        if (item == null || item.isEmpty()) {
            return Leases.NONE;
        }
        Map<String, Leases.Lease> holders = new HashMap<>();
        AttributeValue leases = item.get(LEASES);
        if (leases != null && leases.hasM()) {
            leases.m().forEach((holder, value) -> {
                Attributes lease = Attributes.of(value.m());
                holders.put(
                        holder,
                        new Leases.Lease(
                                lease.string("batch_id"),
                                (int) lease.number("wanted", 0),
                                (int) lease.number("permits", 0),
                                lease.number("since", 0),
                                lease.number("expires_at", 0)));
            });
        }
        return new Leases(Attributes.of(item).number(VERSION, 0), holders);
    }

    private static AttributeValue number(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }
}
