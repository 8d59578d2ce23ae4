package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.aws.DynamoDbBatchRepository;
import dev.openbatch.aws.Tables;
import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.Batch;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbBatchRepositoryIntegrationTest {

    private static DynamoDbBatchRepository repository;

    @BeforeAll
    static void table() {
        DynamoDbClient dynamo = Emulators.clients().dynamoDb();
        String table = "it-batches-" + UUID.randomUUID();
        dynamo.createTable(Tables.batches(table));
        repository = new DynamoDbBatchRepository(dynamo, table);
    }

    @Test
    void aBatchWithEveryFieldSet_comesBackEqual() {
        Batch batch = new Batch(
                "batch_full",
                Batch.OBJECT,
                "/v1/responses",
                "gpt-x",
                Batch.Errors.of(List.of(new Batch.Error("invalid_json_line", "not JSON", null, 3))),
                "file-in",
                "24h",
                Batch.Status.FAILED,
                "file-out",
                "file-err",
                100L,
                101L,
                186_500L,
                102L,
                103L,
                104L,
                105L,
                106L,
                107L,
                new Batch.RequestCounts(10, 7, 3),
                new Batch.Usage(5, new Batch.Usage.InputDetails(1), 6, new Batch.Usage.OutputDetails(2), 11),
                Map.of("team", "vision", "run", "42"),
                "job-local");

        repository.create("tenant-a", batch);

        assertThat(repository.find("tenant-a", "batch_full")).contains(batch);
        assertThat(repository.find("tenant-b", "batch_full")).isEmpty();
    }

    @Test
    void aNewBatch_withNullsEverywhereOptional_comesBackEqual() {
        Batch batch =
                Batch.validating("batch_new", "/v1/embeddings", "file-in", "unlimited", 5, null, null, "job-local");

        repository.create("tenant-a", batch);

        assertThat(repository.find("tenant-a", "batch_new")).contains(batch);
    }

    @Test
    void list_pagesNewestFirst() {
        String tenant = "tenant-" + UUID.randomUUID();
        for (int i = 0; i < 5; i++) {
            repository.create(
                    tenant,
                    Batch.validating("batch_" + i, "/v1/embeddings", "file-in", "24h", i, null, null, "job-local"));
        }
        Page<Batch> first = repository.list(tenant, new PageRequest(null, 2, true));
        assertThat(first.items()).extracting(Batch::id).containsExactly("batch_4", "batch_3");
        assertThat(first.hasMore()).isTrue();
        Page<Batch> last = repository.list(tenant, new PageRequest("batch_2", 2, true));
        assertThat(last.items()).extracting(Batch::id).containsExactly("batch_1", "batch_0");
        assertThat(last.hasMore()).isFalse();
    }
}
