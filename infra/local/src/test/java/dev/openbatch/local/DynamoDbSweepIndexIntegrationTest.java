package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.aws.DynamoDbBatchRepository;
import dev.openbatch.aws.Tables;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.pipeline.SweepIndex;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** The batches table's sweep index, through the real SDK on DynamoDB Local: kept by every write, marked conditionally. */
class DynamoDbSweepIndexIntegrationTest {

    private final DynamoDbClient dynamo = Emulators.clients().dynamoDb();

    private DynamoDbBatchRepository newTable() {
        String table = "it-sweep-" + UUID.randomUUID();
        dynamo.createTable(Tables.batches(table));
        return new DynamoDbBatchRepository(dynamo, table);
    }

    private static Batch validating(String id, long createdAt) {
        return Batch.validating(id, "/v1/chat/completions", "file-in", "unlimited", createdAt, null, null, "job-local");
    }

    @Test
    void aBatch_isInTheIndexWhileItRuns_underItsStatusAndItsTime_andLeavesItWhenItEnds() {
        DynamoDbBatchRepository batches = newTable();
        batches.create("tenant-a", validating("batch_a", 100));
        batches.create("tenant-b", validating("batch_b", 200));

        assertThat(batches.due(Batch.Status.VALIDATING, 150, 10))
                .extracting(
                        e -> e.batch().id(), SweepIndex.Entry::tenant, SweepIndex.Entry::since, SweepIndex.Entry::run)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("batch_a", "tenant-a", 100L, 0));
        assertThat(batches.due(Batch.Status.VALIDATING, 200, 10))
                .extracting(e -> e.batch().id())
                .containsExactly("batch_a", "batch_b");

        batches.transition(
                "tenant-a",
                "batch_a",
                Set.of(Batch.Status.VALIDATING),
                Batch.Status.IN_PROGRESS,
                Map.of("in_progress_at", 300L),
                10L,
                null);
        assertThat(batches.due(Batch.Status.VALIDATING, 1000, 10))
                .extracting(e -> e.batch().id())
                .containsExactly("batch_b");
        assertThat(batches.due(Batch.Status.IN_PROGRESS, 299, 10)).isEmpty();
        assertThat(batches.due(Batch.Status.IN_PROGRESS, 300, 10))
                .extracting(e -> e.batch().id())
                .containsExactly("batch_a");

        // A move that stamps nothing keeps the batch's time.
        batches.transition(
                "tenant-a",
                "batch_a",
                Set.of(Batch.Status.IN_PROGRESS),
                Batch.Status.CANCELLING,
                Map.of("cancelling_at", 400L),
                null,
                null);
        batches.transition(
                "tenant-a", "batch_a", Set.of(Batch.Status.CANCELLING), Batch.Status.CANCELLING, Map.of(), 10L, null);
        assertThat(batches.due(Batch.Status.CANCELLING, 1000, 10))
                .extracting(SweepIndex.Entry::since)
                .containsExactly(400L);

        batches.transition(
                "tenant-a",
                "batch_a",
                Set.of(Batch.Status.CANCELLING),
                Batch.Status.CANCELLED,
                Map.of("cancelled_at", 500L),
                null,
                null);
        for (String status : List.of(Batch.Status.VALIDATING, Batch.Status.IN_PROGRESS, Batch.Status.CANCELLING)) {
            assertThat(batches.due(status, 1000, 10))
                    .extracting(e -> e.batch().id())
                    .doesNotContain("batch_a");
        }
        assertThat(batches.find("tenant-a", "batch_a").orElseThrow().status()).isEqualTo(Batch.Status.CANCELLED);
    }

    @Test
    void mark_movesTheEntryOnce_andIsRefusedOnceItOrItsBatchHasChanged() {
        DynamoDbBatchRepository batches = newTable();
        batches.create("tenant-a", validating("batch_m", 100));
        SweepIndex.Entry found = batches.due(Batch.Status.VALIDATING, 100, 10).getFirst();

        assertThat(batches.mark(found, new SweepIndex.Mark(150, 0, 1, 1, 150L))).isTrue();
        assertThat(batches.mark(found, new SweepIndex.Mark(160, 0, 1, 1, null)))
                .as("a second sweeper's mark")
                .isFalse();

        SweepIndex.Entry marked = batches.due(Batch.Status.VALIDATING, 1000, 10).getFirst();
        assertThat(marked.since()).isEqualTo(150);
        assertThat(marked.run()).isEqualTo(1);
        assertThat(marked.stalls()).isEqualTo(1);
        assertThat(marked.batch().expiresAt()).isEqualTo(150L);

        batches.transition(
                "tenant-a",
                "batch_m",
                Set.of(Batch.Status.VALIDATING),
                Batch.Status.IN_PROGRESS,
                Map.of("in_progress_at", 150L),
                3L,
                null);
        assertThat(batches.mark(marked, new SweepIndex.Mark(170, 0, 2, 0, null)))
                .as("after its batch moved")
                .isFalse();
        assertThat(batches.due(Batch.Status.IN_PROGRESS, 1000, 10).getFirst().run())
                .isEqualTo(1);
    }

    @Test
    void aBatchesTableMadeBeforeTheIndex_getsIt() {
        String table = "it-sweep-old-" + UUID.randomUUID();
        dynamo.createTable(Tables.ownedRecords(table));
        assertThat(Tables.hasSweepIndex(
                        dynamo.describeTable(b -> b.tableName(table)).table()))
                .isFalse();

        LocalRuntime.addSweepIndex(dynamo, table);
        DynamoDbBatchRepository batches = new DynamoDbBatchRepository(dynamo, table);
        batches.create("tenant-a", validating("batch_late", 100));

        assertThat(Tables.hasSweepIndex(
                        dynamo.describeTable(b -> b.tableName(table)).table()))
                .isTrue();
        assertThat(batches.due(Batch.Status.VALIDATING, 100, 10))
                .extracting(e -> e.batch().id())
                .containsExactly("batch_late");
    }
}
