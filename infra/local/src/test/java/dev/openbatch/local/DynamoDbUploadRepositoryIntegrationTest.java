package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.aws.DynamoDbFileRepository;
import dev.openbatch.aws.DynamoDbUploadRepository;
import dev.openbatch.aws.Tables;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.api.Upload;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** Upload records share the files table with the files, and stay out of their listings. */
class DynamoDbUploadRepositoryIntegrationTest {

    private static DynamoDbUploadRepository uploads;
    private static DynamoDbFileRepository files;

    @BeforeAll
    static void table() {
        DynamoDbClient dynamo = Emulators.clients().dynamoDb();
        String table = "it-files-" + UUID.randomUUID();
        dynamo.createTable(Tables.ownedRecords(table));
        uploads = new DynamoDbUploadRepository(dynamo, table);
        files = new DynamoDbFileRepository(dynamo, table);
    }

    private static String tenant() {
        return "tenant-" + UUID.randomUUID();
    }

    private static Upload pending(String id) {
        return Upload.pending(id, 1_000, 1_795_000_000L, "in.jsonl", "batch", 1_795_003_600L);
    }

    @Test
    void create_thenFind_givesTheSameUpload_toItsOwnerOnly() {
        String owner = tenant();
        Upload upload = pending("upload_find");

        uploads.create(owner, upload);

        assertThat(uploads.find(owner, "upload_find")).contains(upload);
        assertThat(uploads.find(tenant(), "upload_find")).isEmpty();
        assertThat(uploads.find(owner, "upload_absent")).isEmpty();
    }

    @Test
    void finish_completesAPendingUploadWithItsFile_once() {
        String owner = tenant();
        uploads.create(owner, pending("upload_done"));
        FileObject file = FileObject.stored("file-done", 1_000, 1_795_000_100L, "in.jsonl", "batch");

        assertThat(uploads.finish(tenant(), "upload_done", Upload.Status.COMPLETED, file))
                .isEmpty();
        Upload completed = uploads.finish(owner, "upload_done", Upload.Status.COMPLETED, file)
                .orElseThrow();

        assertThat(completed).isEqualTo(pending("upload_done").withStatus(Upload.Status.COMPLETED, file));
        assertThat(uploads.find(owner, "upload_done")).contains(completed);
        assertThat(uploads.finish(owner, "upload_done", Upload.Status.CANCELLED, null))
                .isEmpty();
        assertThat(uploads.finish(owner, "upload_absent", Upload.Status.CANCELLED, null))
                .isEmpty();
    }

    @Test
    void finish_cancelsAPendingUpload_withoutAFile() {
        String owner = tenant();
        uploads.create(owner, pending("upload_cancel"));

        Upload cancelled = uploads.finish(owner, "upload_cancel", Upload.Status.CANCELLED, null)
                .orElseThrow();

        assertThat(cancelled.status()).isEqualTo(Upload.Status.CANCELLED);
        assertThat(cancelled.file()).isNull();
        assertThat(uploads.finish(
                        owner,
                        "upload_cancel",
                        Upload.Status.COMPLETED,
                        FileObject.stored("file-late", 1, 1, "a.jsonl", "batch")))
                .isEmpty();
    }

    @Test
    void uploads_areNeitherListedNorFoundAsFiles() {
        String owner = tenant();
        FileObject file = FileObject.stored("file-listed", 1_000, 1_795_000_000L, "in.jsonl", "batch");
        files.create(owner, file);
        uploads.create(owner, pending("upload_hidden"));

        assertThat(files.list(owner, null, new PageRequest(null, 100, true)).items())
                .containsExactly(file);
        assertThat(files.list(owner, "batch", new PageRequest(null, 100, true)).items())
                .containsExactly(file);
        assertThat(files.find(owner, "upload_hidden")).isEmpty();
        assertThat(files.delete(owner, "upload_hidden")).isFalse();
        assertThat(uploads.find(owner, "upload_hidden")).isPresent();
    }
}
