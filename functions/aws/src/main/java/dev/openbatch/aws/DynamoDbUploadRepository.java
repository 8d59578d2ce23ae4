package dev.openbatch.aws;

import dev.openbatch.core.Json;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.api.Upload;
import dev.openbatch.core.uploads.UploadRepository;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;

/**
 * Upload records, kept in the files table beside the files they become: {@code upload_...} items
 * whose tenant is {@code upload_owner} rather than {@code owner}, so the {@code by_owner} index, and
 * with it every listing of files, never holds them. No table of their own means nothing more to
 * provision or grant. The completed upload's File is kept whole, as JSON.
 */
public final class DynamoDbUploadRepository implements UploadRepository {

    static final String OWNER = "upload_owner";

    private final OwnedTable<Upload> table;
    private final DynamoDbClient dynamo;
    private final String tableName;

    public DynamoDbUploadRepository(DynamoDbClient dynamo, String filesTable) {
        this.table = new OwnedTable<>(
                dynamo, filesTable, OWNER, DynamoDbUploadRepository::toItem, DynamoDbUploadRepository::fromItem);
        this.dynamo = dynamo;
        this.tableName = filesTable;
    }

    @Override
    public void create(String tenant, Upload upload) {
        table.create(tenant, upload);
    }

    @Override
    public Optional<Upload> find(String tenant, String id) {
        return table.find(tenant, id);
    }

    @Override
    public Optional<Upload> finish(String tenant, String id, String status, FileObject file) {
        Map<String, String> names = new HashMap<>(Map.of("#owner", OWNER, "#status", "status"));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(
                ":owner",
                AttributeValue.fromS(tenant),
                ":pending",
                AttributeValue.fromS(Upload.Status.PENDING),
                ":to",
                AttributeValue.fromS(status)));
        String update = "SET #status = :to";
        if (file != null) {
            update += ", #file = :file";
            names.put("#file", "file");
            values.put(":file", AttributeValue.fromS(Json.writeString(file)));
        }
        String expression = update;
        try {
            return Optional.of(fromItem(Attributes.of(dynamo.updateItem(b -> b.tableName(tableName)
                            .key(Map.of(OwnedTable.ID, AttributeValue.fromS(id)))
                            .updateExpression(expression)
                            .conditionExpression("#owner = :owner AND #status = :pending")
                            .expressionAttributeNames(names)
                            .expressionAttributeValues(values)
                            .returnValues(ReturnValue.ALL_NEW))
                    .attributes())));
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    private static Attributes toItem(Upload upload) {
        return Attributes.newItem()
                .put(OwnedTable.ID, upload.id())
                .put("bytes", upload.bytes())
                .put("created_at", upload.createdAt())
                .put("filename", upload.filename())
                .put("purpose", upload.purpose())
                .put("status", upload.status())
                .put("expires_at", upload.expiresAt())
                .putJson("file", upload.file())
                .put("file_expires_after", upload.fileExpiresAfter());
    }

    private static Upload fromItem(Attributes item) {
        return new Upload(
                item.string(OwnedTable.ID),
                Upload.OBJECT,
                item.number("bytes", 0),
                item.number("created_at", 0),
                item.string("filename"),
                item.string("purpose"),
                item.string("status"),
                item.number("expires_at", 0),
                item.json("file", FileObject.class),
                item.number("file_expires_after"));
    }
}
