package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.aws.DynamoDbBatchRepository;
import dev.openbatch.aws.Tables;
import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.pipeline.PartCounts;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
                "job-local",
                7200L);

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
    void usage_isNullWhileValidating_zerosInProgress_andEachChunksTokensAreAddedOnce() {
        repository.create(
                "tenant-a",
                Batch.validating("batch_usage", "/v1/responses", "file-in", "24h", 5, null, null, "job-local"));
        assertThat(repository.find("tenant-a", "batch_usage").orElseThrow().usage())
                .isNull();
        repository.recordModel("tenant-a", "batch_usage", "gpt-x");
        repository.transition(
                "tenant-a",
                "batch_usage",
                Set.of(Batch.Status.VALIDATING),
                Batch.Status.IN_PROGRESS,
                Map.of("in_progress_at", 6L),
                4L,
                null);
        Batch running = repository.find("tenant-a", "batch_usage").orElseThrow();
        assertThat(running.usage()).isEqualTo(Batch.Usage.ZERO);
        assertThat(running.model()).isEqualTo("gpt-x");

        PartCounts first = new PartCounts(2, 1, 0, Batch.Usage.of(10, 2, 5, 3, 15));
        assertThat(repository.countChunk("tenant-a", "batch_usage", 0, first)).isTrue();
        assertThat(repository.countChunk("tenant-a", "batch_usage", 0, first))
                .as("again")
                .isFalse();
        assertThat(repository.countChunk("tenant-b", "batch_usage", 1, first))
                .as("another tenant's")
                .isFalse();
        assertThat(repository.countChunk("tenant-a", "batch_usage", 1, new PartCounts(1, 0, 0)))
                .isTrue();

        Batch counted = repository.find("tenant-a", "batch_usage").orElseThrow();
        assertThat(counted.usage()).isEqualTo(Batch.Usage.of(10, 2, 5, 3, 15));
        assertThat(counted.requestCounts()).isEqualTo(new Batch.RequestCounts(4, 3, 1));
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
