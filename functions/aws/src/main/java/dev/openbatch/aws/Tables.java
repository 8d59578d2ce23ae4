package dev.openbatch.aws;

import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.UpdateTableRequest;

/** The definitions of the service's DynamoDB tables, for whoever creates them. */
public final class Tables {

    private Tables() {}

    /** Files and batches tables share one shape: see {@link OwnedTable}. */
    public static CreateTableRequest ownedRecords(String tableName) {
        return OwnedTable.definition(tableName);
    }

    /** The files table: owned records, with the sweeper's index of expiring files; see {@link DynamoDbFileRepository}. */
    public static CreateTableRequest files(String tableName) {
        return DynamoDbFileRepository.definition(tableName);
    }

    /** Whether a table as described has the index of expiring files. */
    public static boolean hasExpiryIndex(TableDescription table) {
        return table.hasGlobalSecondaryIndexes()
                && table.globalSecondaryIndexes().stream()
                        .anyMatch(index -> index.indexName().equals(DynamoDbFileRepository.BY_EXPIRY));
    }

    /** Adds the index of expiring files to a files table made without it. */
    public static UpdateTableRequest addExpiryIndex(String tableName) {
        return DynamoDbFileRepository.addExpiryIndex(tableName);
    }

    /** The batches table: owned records, with the sweeper's index; see {@link DynamoDbBatchRepository}. */
    public static CreateTableRequest batches(String tableName) {
        return DynamoDbBatchRepository.definition(tableName);
    }

    /** Whether a table as described has the sweeper's index. */
    public static boolean hasSweepIndex(TableDescription table) {
        return table.hasGlobalSecondaryIndexes()
                && table.globalSecondaryIndexes().stream()
                        .anyMatch(index -> index.indexName().equals(DynamoDbBatchRepository.BY_SWEEP));
    }

    /** Adds the sweeper's index to a batches table made without it. */
    public static UpdateTableRequest addSweepIndex(String tableName) {
        return DynamoDbBatchRepository.addSweepIndex(tableName);
    }

    /** The capacity table, the jobs' leases on their endpoints: see {@link DynamoDbCapacityStore}. */
    public static CreateTableRequest capacity(String tableName) {
        return DynamoDbCapacityStore.definition(tableName);
    }

    /** The webhook endpoints table: see {@link DynamoDbWebhookEndpointRepository}. */
    public static CreateTableRequest webhookEndpoints(String tableName) {
        return DynamoDbWebhookEndpointRepository.definition(tableName);
    }

    /** The API keys table: see {@link DynamoDbKeyStore}. */
    public static CreateTableRequest apiKeys(String tableName) {
        return DynamoDbKeyStore.definition(tableName);
    }
}
