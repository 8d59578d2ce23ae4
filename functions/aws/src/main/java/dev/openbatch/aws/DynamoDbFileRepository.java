package dev.openbatch.aws;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.files.FileRepository;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** File records in the files table, one item per file. */
public final class DynamoDbFileRepository implements FileRepository {

    private final OwnedTable<FileObject> table;

    public DynamoDbFileRepository(DynamoDbClient dynamo, String tableName) {
        this.table =
                new OwnedTable<>(dynamo, tableName, DynamoDbFileRepository::toItem, DynamoDbFileRepository::fromItem);
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

    private static Attributes toItem(FileObject file) {
        return Attributes.newItem()
                .put(OwnedTable.ID, file.id())
                .put("bytes", file.bytes())
                .put("created_at", file.createdAt())
                .put("expires_at", file.expiresAt())
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
                item.number("expires_at"),
                item.string("filename"),
                item.string("purpose"),
                item.string("status"),
                null);
    }
}
