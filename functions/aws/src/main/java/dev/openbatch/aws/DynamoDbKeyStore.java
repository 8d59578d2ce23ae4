package dev.openbatch.aws;

import dev.openbatch.core.keys.ApiKey;
import dev.openbatch.core.keys.KeyStore;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * API keys in the keys table: partition key {@code key_hash} (the lowercase hex SHA-256 of the
 * key), {@code tenant}, and {@code revoked_at} (Unix seconds) once revoked. An operator issues and
 * revokes keys with any DynamoDB client, the AWS CLI included; this adapter only reads.
 */
public final class DynamoDbKeyStore implements KeyStore {

    static final String KEY_HASH = "key_hash";
    static final String TENANT = "tenant";
    static final String REVOKED_AT = "revoked_at";

    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoDbKeyStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /** The table's definition, on demand; the CDK stack declares the same key. */
    static CreateTableRequest definition(String table) {
        return CreateTableRequest.builder()
                .tableName(table)
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(AttributeDefinition.builder()
                        .attributeName(KEY_HASH)
                        .attributeType(ScalarAttributeType.S)
                        .build())
                .keySchema(KeySchemaElement.builder()
                        .attributeName(KEY_HASH)
                        .keyType(KeyType.HASH)
                        .build())
                .build();
    }

    @Override
    public Optional<ApiKey> find(String keyHash) {
        // Consistent, so that a revocation holds from the moment it is written (API Gateway's cache aside).
        Map<String, AttributeValue> item = dynamo.getItem(b ->
                        b.tableName(table).consistentRead(true).key(Map.of(KEY_HASH, AttributeValue.fromS(keyHash))))
                .item();
        if (item == null || item.isEmpty()) {
            return Optional.empty();
        }
        Attributes key = Attributes.of(item);
        String tenant = key.string(TENANT);
        if (tenant == null || tenant.isBlank()) {
            throw new IllegalStateException("the key " + keyHash + " in " + table + " names no tenant");
        }
        return Optional.of(new ApiKey(tenant, key.number(REVOKED_AT)));
    }
}
