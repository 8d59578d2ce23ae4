package dev.openbatch.core.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each wire record against a document from OpenAI's API reference, and round-tripped. */
class WireRecordsTest {

    private static JsonNode reference(String name) throws IOException {
        try (InputStream in = WireRecordsTest.class.getResourceAsStream("/openai/" + name)) {
            return Json.MAPPER.readTree(in);
        }
    }

    /** The record as it goes on the wire, read back as a tree (so numbers compare by value). */
    private static ObjectNode written(Object record) throws IOException {
        return (ObjectNode) Json.MAPPER.readTree(Json.write(record));
    }

    @Test
    void batch_readsAndWritesOpenAisDocument() throws IOException {
        JsonNode document = reference("batch.json");

        Batch batch = Json.MAPPER.treeToValue(document, Batch.class);

        assertThat(batch.requestCounts()).isEqualTo(new Batch.RequestCounts(100, 95, 5));
        assertThat(batch.usage().outputTokensDetails().reasoningTokens()).isEqualTo(300);
        assertThat(batch.metadata()).containsEntry("customer_id", "user_123456789");
        assertThat(batch.failedAt()).isNull();
        ObjectNode written = written(batch);
        assertThat(written.remove("job_id").isNull()).isTrue();
        assertThat(written).isEqualTo(document);
    }

    @Test
    void failedBatch_carriesItsErrorsList() throws IOException {
        JsonNode document = reference("batch-failed.json");

        Batch batch = Json.MAPPER.treeToValue(document, Batch.class);

        assertThat(batch.errors().data())
                .containsExactly(
                        new Batch.Error("invalid_json_line", "This line is not parseable as valid JSON.", null, 3));
        ObjectNode written = written(batch);
        written.remove(List.of("job_id", "model", "usage"));
        assertThat(written).isEqualTo(document);
    }

    @Test
    void file_readsOpenAisDocument_andWritesItsFieldsPlusTheDeprecatedStatus() throws IOException {
        JsonNode document = reference("file.json");

        FileObject file = Json.MAPPER.treeToValue(document, FileObject.class);

        assertThat(file)
                .isEqualTo(new FileObject(
                        "file-abc123",
                        "file",
                        120000,
                        1677610602,
                        1680202602L,
                        "salesOverview.pdf",
                        "assistants",
                        null,
                        null));
        ObjectNode written =
                written(FileObject.stored("file-abc123", 120000, 1677610602, "salesOverview.pdf", "assistants"));
        assertThat(written.remove(List.of("status", "status_details", "expires_at")))
                .isNotNull();
        ObjectNode expected = document.deepCopy();
        expected.remove("expires_at");
        assertThat(written).isEqualTo(expected);
    }

    @Test
    void anExpiringFile_writesOpenAisDocument_expiresAtIncluded() throws IOException {
        JsonNode document = reference("file.json");

        ObjectNode written = written(
                FileObject.stored("file-abc123", 120000, 1677610602, 1680202602L, "salesOverview.pdf", "assistants"));

        assertThat(written.remove(List.of("status", "status_details"))).isNotNull();
        assertThat(written).isEqualTo(document);
        assertThat(Json.MAPPER.treeToValue(document, FileObject.class).expiredBy(1680202601))
                .isFalse();
        assertThat(Json.MAPPER.treeToValue(document, FileObject.class).expiredBy(1680202602))
                .isTrue();
    }

    @Test
    void aBatchWithOutputExpiresAfter_writesOpenAisDocument_withoutIt() throws IOException {
        JsonNode document = reference("batch.json");
        Batch read = Json.MAPPER.treeToValue(document, Batch.class);
        assertThat(read.outputExpiresAfter()).isNull();

        Batch withExpiry = new Batch(
                read.id(),
                read.object(),
                read.endpoint(),
                read.model(),
                read.errors(),
                read.inputFileId(),
                read.completionWindow(),
                read.status(),
                read.outputFileId(),
                read.errorFileId(),
                read.createdAt(),
                read.inProgressAt(),
                read.expiresAt(),
                read.finalizingAt(),
                read.completedAt(),
                read.failedAt(),
                read.expiredAt(),
                read.cancellingAt(),
                read.cancelledAt(),
                read.requestCounts(),
                read.usage(),
                read.metadata(),
                null,
                86_400L);

        ObjectNode written = written(withExpiry);
        assertThat(written.remove("job_id")).isNotNull();
        assertThat(written).isEqualTo(document);
    }

    @Test
    void listPage_readsAndWritesOpenAisDocument() throws IOException {
        JsonNode document = reference("file-list.json");

        ListPage<FileObject> page = Json.MAPPER.convertValue(document, new TypeReference<>() {});

        assertThat(page.data()).hasSize(2);
        ListPage<FileObject> rebuilt = ListPage.of(page.data(), false, FileObject::id);
        assertThat(rebuilt).isEqualTo(page);
        JsonNode written = written(rebuilt);
        for (JsonNode file : written.get("data")) {
            ((ObjectNode) file).remove(List.of("status", "status_details"));
        }
        assertThat(written).isEqualTo(document);
    }

    @Test
    void error_readsAndWritesOpenAisDocument() throws IOException {
        JsonNode document = reference("error.json");

        OpenAiError error = Json.MAPPER.treeToValue(document, OpenAiError.class);

        assertThat(error.error().param()).isEqualTo("id");
        assertThat(error.error().code()).isNull();
        assertThat(written(error)).isEqualTo(document);
    }

    @Test
    void completedUpload_readsOpenAisDocument_andWritesItsFieldsWithTheFile() throws IOException {
        JsonNode document = reference("upload.json");

        Upload upload = Json.MAPPER.treeToValue(document, Upload.class);

        assertThat(upload)
                .isEqualTo(new Upload(
                        "upload_abc123",
                        "upload",
                        2147483648L,
                        1719184911,
                        "training_examples.jsonl",
                        "fine-tune",
                        "completed",
                        1719127296,
                        new FileObject(
                                "file-xyz321",
                                "file",
                                2147483648L,
                                1719186911,
                                null,
                                "training_examples.jsonl",
                                "fine-tune",
                                null,
                                null),
                        null));
        ObjectNode written = written(upload.withStatus(
                Upload.Status.COMPLETED,
                FileObject.stored("file-xyz321", 2147483648L, 1719186911, "training_examples.jsonl", "fine-tune")));
        assertThat(((ObjectNode) written.get("file")).remove(List.of("status", "status_details", "expires_at")))
                .isNotNull();
        assertThat(written).isEqualTo(document);
    }

    @Test
    void cancelledUpload_readsAndWritesOpenAisDocument_withoutAFile() throws IOException {
        JsonNode document = reference("upload-cancelled.json");

        Upload upload = Json.MAPPER.treeToValue(document, Upload.class);

        assertThat(upload.file()).isNull();
        assertThat(upload.status()).isEqualTo(Upload.Status.CANCELLED);
        assertThat(written(upload)).isEqualTo(document);
    }

    @Test
    void uploadPart_readsAndWritesOpenAisDocument() throws IOException {
        JsonNode document = reference("upload-part.json");

        UploadPart part = Json.MAPPER.treeToValue(document, UploadPart.class);

        assertThat(part).isEqualTo(UploadPart.of("part_def456", 1719185911, "upload_abc123"));
        assertThat(written(part)).isEqualTo(document);
    }

    @Test
    void records_roundTrip() throws IOException {
        Batch batch = Batch.validating(
                "batch_1", "/v1/embeddings", "file-1", "unlimited", 5, null, Map.of("k", "v"), "job-local");
        assertThat(Json.MAPPER.readValue(Json.write(batch), Batch.class)).isEqualTo(batch);
        FileObject file = FileObject.stored("file-1", 3, 4, "a.jsonl", "batch");
        assertThat(Json.MAPPER.readValue(Json.write(file), FileObject.class)).isEqualTo(file);
        Upload upload =
                Upload.pending("upload_1", 10, 4, "a.jsonl", "batch", 3604).withStatus(Upload.Status.COMPLETED, file);
        assertThat(Json.MAPPER.readValue(Json.write(upload), Upload.class)).isEqualTo(upload);
        FileDeleted deleted = FileDeleted.of("file-1");
        assertThat(Json.MAPPER.readValue(Json.write(deleted), FileDeleted.class))
                .isEqualTo(deleted);
    }
}
