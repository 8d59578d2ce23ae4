package dev.openbatch.aws;

import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;

/** The definitions of the service's DynamoDB tables, for whoever creates them. */
public final class Tables {

    private Tables() {}

    /** Files and batches tables share one shape: see {@link OwnedTable}. */
    public static CreateTableRequest ownedRecords(String tableName) {
        return OwnedTable.definition(tableName);
    }

    /** The capacity table, the jobs' leases on their endpoints: see {@link DynamoDbCapacityStore}. */
    public static CreateTableRequest capacity(String tableName) {
        return DynamoDbCapacityStore.definition(tableName);
    }

    /** The API keys table: see {@link DynamoDbKeyStore}. */
    public static CreateTableRequest apiKeys(String tableName) {
        return DynamoDbKeyStore.definition(tableName);
    }
}
