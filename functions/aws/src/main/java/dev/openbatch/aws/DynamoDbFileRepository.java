package dev.openbatch.aws;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.files.ExpiredFiles;
import dev.openbatch.core.files.FileRepository;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CreateGlobalSecondaryIndexAction;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexUpdate;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.UpdateTableRequest;

/**
 * File records in the files table, one item per file. A file that expires also carries
 * {@value #EXPIRING} and {@value #FILE_EXPIRES_AT}, the keys of the sparse index {@value #BY_EXPIRY}
 * where the sweeper finds the files whose time has passed. Its expiry is not the table's TTL
 * attribute ({@code expires_at}, which removes uploads' records): TTL would remove a file's record
 * some time after it expired and leave its bytes behind; the sweeper removes both.
 */
public final class DynamoDbFileRepository implements FileRepository, ExpiredFiles {

    static final String BY_EXPIRY = "by_expiry";
    static final String EXPIRING = "expiring";
    static final String FILE_EXPIRES_AT = "file_expires_at";
    /** The one partition of the expiry index: files expire at a rate one partition serves many times over. */
    private static final String EXPIRING_FILE = "file";

    private final OwnedTable<FileObject> table;
    private final DynamoDbClient dynamo;
    private final String tableName;

    public DynamoDbFileRepository(DynamoDbClient dynamo, String tableName) {
        this.table =
                new OwnedTable<>(dynamo, tableName, DynamoDbFileRepository::toItem, DynamoDbFileRepository::fromItem);
        this.dynamo = dynamo;
        this.tableName = tableName;
    }

    @Override
    public void create(String tenant, FileObject file) {
        table.create(tenant, file);
    }

    @Override
    public Optional<FileObject> find(String tenant, String id) {
        return table.find(tenant, id);
    }

    @Override
    public Page<FileObject> list(String tenant, String purpose, PageRequest page) {
        return table.list(tenant, page, purpose == null ? Map.of() : Map.of("purpose", purpose));
    }

    @Override
    public boolean delete(String tenant, String id) {
        return table.delete(tenant, id);
    }

    @Override
    public List<Expired> due(long now, int limit) {
        List<Expired> due = new ArrayList<>();
        for (Map<String, AttributeValue> item : dynamo.query(b -> b.tableName(tableName)
                        .indexName(BY_EXPIRY)
                        .keyConditionExpression("#expiring = :file AND #at <= :now")
                        .expressionAttributeNames(Map.of("#expiring", EXPIRING, "#at", FILE_EXPIRES_AT))
                        .expressionAttributeValues(Map.of(
                                ":file",
                                AttributeValue.fromS(EXPIRING_FILE),
                                ":now",
                                AttributeValue.fromN(Long.toString(now))))
                        .scanIndexForward(true)
                        .limit(limit))
                .items()) {
            Attributes file = Attributes.of(item);
            due.add(new Expired(file.string(OwnedTable.OWNER), file.string(OwnedTable.ID)));
        }
        return due;
    }

    /** The files table: the shape of owned records, and the sparse index {@value #BY_EXPIRY}. */
    static CreateTableRequest definition(String table) {
        CreateTableRequest owned = OwnedTable.definition(table);
        List<AttributeDefinition> attributes = new ArrayList<>(owned.attributeDefinitions());
        attributes.addAll(expiryAttributes());
        List<GlobalSecondaryIndex> indexes = new ArrayList<>(owned.globalSecondaryIndexes());
        indexes.add(expiryIndex());
        return owned.toBuilder()
                .attributeDefinitions(attributes)
                .globalSecondaryIndexes(indexes)
                .build();
    }

    /** Adds the expiry index to a files table made before it existed (a local data directory kept across versions). */
    static UpdateTableRequest addExpiryIndex(String table) {
        GlobalSecondaryIndex index = expiryIndex();
        return UpdateTableRequest.builder()
                .tableName(table)
                .attributeDefinitions(expiryAttributes())
                .globalSecondaryIndexUpdates(GlobalSecondaryIndexUpdate.builder()
                        .create(CreateGlobalSecondaryIndexAction.builder()
                                .indexName(index.indexName())
                                .keySchema(index.keySchema())
                                .projection(index.projection())
                                .build())
                        .build())
                .build();
    }

    private static List<AttributeDefinition> expiryAttributes() {
        return List.of(
                AttributeDefinition.builder()
                        .attributeName(EXPIRING)
                        .attributeType(ScalarAttributeType.S)
                        .build(),
                AttributeDefinition.builder()
                        .attributeName(FILE_EXPIRES_AT)
                        .attributeType(ScalarAttributeType.N)
                        .build());
    }

    /** Keys only: the sweeper needs a file's owner and id, which every index entry carries. */
    private static GlobalSecondaryIndex expiryIndex() {
        return GlobalSecondaryIndex.builder()
                .indexName(BY_EXPIRY)
                .keySchema(
                        KeySchemaElement.builder()
                                .attributeName(EXPIRING)
                                .keyType(KeyType.HASH)
                                .build(),
                        KeySchemaElement.builder()
                                .attributeName(FILE_EXPIRES_AT)
                                .keyType(KeyType.RANGE)
                                .build())
                .projection(Projection.builder()
                        .projectionType(ProjectionType.INCLUDE)
                        .nonKeyAttributes(OwnedTable.OWNER)
                        .build())
                .build();
    }

    private static Attributes toItem(FileObject file) {
        return Attributes.newItem()
                .put(OwnedTable.ID, file.id())
                .put("bytes", file.bytes())
                .put("created_at", file.createdAt())
                .put(FILE_EXPIRES_AT, file.expiresAt())
                .put(EXPIRING, file.expiresAt() == null ? null : EXPIRING_FILE)
                .put("filename", file.filename())
                .put("purpose", file.purpose())
                .put("status", file.status());
    }

    private static FileObject fromItem(Attributes item) {
        return new FileObject(
                item.string(OwnedTable.ID),
                FileObject.OBJECT,
                item.number("bytes", 0),
                item.number("created_at", 0),
                item.number(FILE_EXPIRES_AT),
                item.string("filename"),
                item.string("purpose"),
                item.string("status"),
                null);
    }
}
