package dev.openbatch.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.openbatch.core.Json;
import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.BatchRepository;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Batch records in the batches table. Status, timestamps and counts are attributes of their own,
 * so that the pipeline can move them with conditional updates and atomic counters; the errors
 * list and usage, written once, are kept as JSON.
 */
public final class DynamoDbBatchRepository implements BatchRepository {

    private final OwnedTable<Batch> table;

    public DynamoDbBatchRepository(DynamoDbClient dynamo, String tableName) {
        this.table = new OwnedTable<>(dynamo, tableName, DynamoDbBatchRepository::toItem, DynamoDbBatchRepository::fromItem);
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

    private static Attributes toItem(Batch b) {
        return Attributes.newItem()
                .put(OwnedTable.ID, b.id())
                .put("endpoint", b.endpoint())
                .put("model", b.model())
                .put("errors", b.errors() == null ? null : Json.writeString(b.errors()))
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
                .put("usage", b.usage() == null ? null : Json.writeString(b.usage()))
                .put("metadata", b.metadata())
                .put("job_id", b.jobId());
    }

    private static Batch fromItem(Attributes item) {
        return new Batch(item.string(OwnedTable.ID), Batch.OBJECT, item.string("endpoint"), item.string("model"),
                json(item.string("errors"), Batch.Errors.class), item.string("input_file_id"),
                item.string("completion_window"), item.string("status"), item.string("output_file_id"),
                item.string("error_file_id"), item.number("created_at", 0), item.number("in_progress_at"),
                item.number("expires_at"), item.number("finalizing_at"), item.number("completed_at"),
                item.number("failed_at"), item.number("expired_at"), item.number("cancelling_at"),
                item.number("cancelled_at"),
                new Batch.RequestCounts(item.number("total", 0), item.number("completed", 0), item.number("failed", 0)),
                json(item.string("usage"), Batch.Usage.class), item.stringMap("metadata"), item.string("job_id"));
    }

    private static <T> T json(String text, Class<T> type) {
        if (text == null) {
            return null;
        }
        try {
            return Json.MAPPER.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored " + type.getSimpleName() + " is not valid JSON", e);
        }
    }
}
