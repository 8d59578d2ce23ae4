package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.aws.DynamoDbCapacityStore;
import dev.openbatch.aws.Tables;
import dev.openbatch.core.capacity.CapacityStore;
import dev.openbatch.core.capacity.Leases;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** The capacity leases in DynamoDB Local through the real SDK client: written only over the version read. */
class DynamoDbCapacityStoreIntegrationTest {

    private static final String TABLE = "it-capacity-" + UUID.randomUUID();
    private static DynamoDbCapacityStore store;

    @BeforeAll
    static void table() {
        DynamoDbClient dynamo = Emulators.clients().dynamoDb();
        dynamo.createTable(Tables.capacity(TABLE));
        store = new DynamoDbCapacityStore(dynamo, TABLE);
    }

    @Test
    void aJobNeverLeased_readsAsNoLeases_andItsFirstRecordIsWrittenOnce() {
        String job = "job-" + UUID.randomUUID();
        assertThat(store.read(job)).isEqualTo(Leases.NONE);
        Leases first = Leases.NONE
                .renew("a-1", "batch_a", 8, 0, 8, 1, 1_000, 10_000, true)
                .next();
        Leases rival = Leases.NONE
                .renew("b-1", "batch_b", 8, 0, 8, 1, 1_000, 10_000, true)
                .next();

        assertThat(store.compareAndSet(job, 0, first).written()).isTrue();
        CapacityStore.Swap lost = store.compareAndSet(job, 0, rival);

        assertThat(lost.written()).isFalse();
        assertThat(lost.current())
                .as("the loser learns what won, in the same answer")
                .isEqualTo(first);
        assertThat(store.read(job)).isEqualTo(first);
    }

    @Test
    void aWriteOverAnOlderVersion_isRefused_andAnswersTheRecordAsItStands() {
        String job = "job-" + UUID.randomUUID();
        Leases one = Leases.NONE
                .renew("a-1", "batch_a", 8, 0, 8, 1, 1_000, 10_000, true)
                .next();
        store.compareAndSet(job, 0, one);
        Leases two =
                one.renew("b-1", "batch_b", 8, 0, 8, 1, 2_000, 10_000, true).next();
        assertThat(store.compareAndSet(job, one.version(), two).written()).isTrue();

        Leases stale =
                one.renew("a-1", "batch_a", 8, 8, 8, 1, 3_000, 10_000, false).next();
        CapacityStore.Swap refused = store.compareAndSet(job, one.version(), stale);

        assertThat(refused.written()).isFalse();
        assertThat(refused.current()).isEqualTo(two);
        assertThat(refused.current().holders().get("b-1")).isEqualTo(new Leases.Lease("batch_b", 8, 0, 2_000, 12_000));
    }
}
