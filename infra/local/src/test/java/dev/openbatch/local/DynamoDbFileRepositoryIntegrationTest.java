package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.aws.DynamoDbFileRepository;
import dev.openbatch.aws.Tables;
import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.files.ExpiredFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbFileRepositoryIntegrationTest {

    private static DynamoDbFileRepository repository;

    @BeforeAll
    static void table() {
        DynamoDbClient dynamo = Emulators.clients().dynamoDb();
        String table = "it-files-" + UUID.randomUUID();
        dynamo.createTable(Tables.files(table));
        repository = new DynamoDbFileRepository(dynamo, table);
    }

    private static String tenant() {
        return "tenant-" + UUID.randomUUID();
    }

    @Test
    void create_thenFind_givesTheSameFile_toItsOwnerOnly() {
        String owner = tenant();
        FileObject file = FileObject.stored("file-find", 42, 1_795_000_000L, "in.jsonl", "batch");

        repository.create(owner, file);

        assertThat(repository.find(owner, "file-find")).contains(file);
        assertThat(repository.find(tenant(), "file-find")).isEmpty();
        assertThat(repository.find(owner, "file-absent")).isEmpty();
        assertThat(repository.find(owner, "")).isEmpty();
    }

    @Test
    void expiringFiles_areDueOnceTheirExpiresAtHasPassed_oldestFirst_withTheirOwner_andOthersNever() {
        String owner = tenant();
        FileObject soon = FileObject.stored("file-exp-soon", 1, 100, 3_700L, "a.jsonl", "batch");
        FileObject later = FileObject.stored("file-exp-later", 1, 100, 7_300L, "b.jsonl", "batch");
        repository.create(owner, later);
        repository.create(tenant(), soon);
        repository.create(owner, FileObject.stored("file-exp-never", 1, 100, "c.jsonl", "batch"));

        assertThat(repository.find(owner, "file-exp-later")).contains(later);
        assertThat(repository.due(3_699, 10)).isEmpty();
        assertThat(repository.due(3_700, 10))
                .extracting(ExpiredFiles.Expired::fileId)
                .containsExactly("file-exp-soon");
        assertThat(repository.due(10_000, 10))
                .extracting(ExpiredFiles.Expired::fileId)
                .containsExactly("file-exp-soon", "file-exp-later");
        assertThat(repository.due(10_000, 1)).hasSize(1);
        assertThat(repository.due(10_000, 10).get(1).tenant()).isEqualTo(owner);

        repository.delete(owner, "file-exp-later");
        assertThat(repository.due(10_000, 10))
                .extracting(ExpiredFiles.Expired::fileId)
                .containsExactly("file-exp-soon");
    }

    @Test
    void create_anExistingId_isRefused_andKeepsTheFirst() {
        String owner = tenant();
        FileObject first = FileObject.stored("file-dup", 1, 1, "a.jsonl", "batch");
        repository.create(owner, first);

        assertThatThrownBy(() -> repository.create(tenant(), FileObject.stored("file-dup", 2, 2, "b.jsonl", "batch")))
                .isInstanceOf(IllegalStateException.class);
        assertThat(repository.find(owner, "file-dup")).contains(first);
    }

    @Test
    void delete_byAnotherTenant_doesNothing_byTheOwner_removes() {
        String owner = tenant();
        repository.create(owner, FileObject.stored("file-del", 1, 1, "a.jsonl", "batch"));

        assertThat(repository.delete(tenant(), "file-del")).isFalse();
        assertThat(repository.find(owner, "file-del")).isPresent();
        assertThat(repository.delete(owner, "file-del")).isTrue();
        assertThat(repository.delete(owner, "file-del")).isFalse();
        assertThat(repository.find(owner, "file-del")).isEmpty();
    }

    @Test
    void list_isAQueryPerTenant_pagedByIdCursor_inBothOrders_andFiltersByPurpose() {
        String owner = tenant();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String id = String.format("file-%04d", i);
            ids.add(id);
            repository.create(owner, FileObject.stored(id, i, i, "f.jsonl", i % 3 == 0 ? "batch_output" : "batch"));
        }
        repository.create(tenant(), FileObject.stored("file-9999", 1, 1, "other.jsonl", "batch"));

        List<String> descending = new ArrayList<>();
        String after = null;
        Page<FileObject> page;
        do {
            page = repository.list(owner, null, new PageRequest(after, 7, true));
            page.items().forEach(f -> descending.add(f.id()));
            after = page.items().isEmpty() ? null : page.items().getLast().id();
        } while (page.hasMore());
        assertThat(descending).isEqualTo(ids.reversed());

        Page<FileObject> ascending = repository.list(owner, null, new PageRequest("file-0020", 10, false));
        assertThat(ascending.items())
                .extracting(FileObject::id)
                .containsExactly("file-0021", "file-0022", "file-0023", "file-0024");
        assertThat(ascending.hasMore()).isFalse();

        Page<FileObject> outputs = repository.list(owner, "batch_output", new PageRequest(null, 4, true));
        assertThat(outputs.items())
                .extracting(FileObject::id)
                .containsExactly("file-0024", "file-0021", "file-0018", "file-0015");
        assertThat(outputs.hasMore()).isTrue();
        Page<FileObject> lastOutputs = repository.list(owner, "batch_output", new PageRequest("file-0006", 4, true));
        assertThat(lastOutputs.items()).extracting(FileObject::id).containsExactly("file-0003", "file-0000");
        assertThat(lastOutputs.hasMore()).isFalse();
    }
}
