package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.batches.BatchListPage;
import com.openai.models.batches.BatchListParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileDeleted;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The local runtime as a user runs it, driven by the official OpenAI Java SDK and by plain HTTP. */
class LocalRuntimeEndToEndTest {

    private static final String REQUESTS = """
            {"custom_id":"request-1","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"Hello"}]}}
            {"custom_id":"request-2","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"World"}]}}
            """;

    private static Path dataDir;
    private static LocalProcess local;

    @BeforeAll
    static void start() throws IOException {
        dataDir = Files.createTempDirectory("openbatch-e2e");
        local = LocalProcess.start(dataDir);
    }

    @AfterAll
    static void stop() {
        local.close();
    }

    private static OpenAIClient client() {
        return local.client();
    }

    private static FileObject upload(OpenAIClient client) throws IOException {
        Path input = Files.createTempFile(dataDir.getParent(), "requests", ".jsonl");
        Files.writeString(input, REQUESTS);
        return client.files()
                .create(FileCreateParams.builder()
                        .file(input)
                        .purpose(FilePurpose.BATCH)
                        .build());
    }

    private static Batch createBatch(OpenAIClient client, String fileId, String description) {
        return client.batches()
                .create(BatchCreateParams.builder()
                        .inputFileId(fileId)
                        .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                        .completionWindow(BatchCreateParams.CompletionWindow._24H)
                        .metadata(BatchCreateParams.Metadata.builder()
                                .putAdditionalProperty("description", JsonValue.from(description))
                                .build())
                        .putAdditionalBodyProperty("job_id", JsonValue.from("job-local"))
                        .build());
    }

    @Test
    void openAiJavaSdk_filesAndBatchesFlow() throws IOException {
        OpenAIClient client = client();

        FileObject file = upload(client);
        assertThat(file.id()).startsWith("file-");
        assertThat(file.bytes()).isEqualTo(REQUESTS.getBytes().length);
        assertThat(file.purpose()).isEqualTo(FileObject.Purpose.BATCH);
        assertThat(file.filename()).endsWith(".jsonl");

        assertThat(client.files().list().data()).extracting(FileObject::id).contains(file.id());
        assertThat(client.files().retrieve(file.id())).isEqualTo(file);
        try (HttpResponse content = client.files().content(file.id());
                InputStream body = content.body()) {
            assertThat(new String(body.readAllBytes())).isEqualTo(REQUESTS);
        }

        List<String> created = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Batch batch = createBatch(client, file.id(), "run " + i);
            assertThat(batch.status()).isEqualTo(Batch.Status.VALIDATING);
            assertThat(batch.inputFileId()).isEqualTo(file.id());
            assertThat(batch._allProperties().get("job_id")).isEqualTo(JsonValue.from("job-local"));
            assertThat(batch.metadata().orElseThrow()._allProperties().get("description"))
                    .isEqualTo(JsonValue.from("run " + i));
            created.add(batch.id());
        }
        Batch done = AwaitBatch.ended(client, created.get(1), Duration.ofSeconds(60));
        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(done.requestCounts().orElseThrow().total()).isEqualTo(2);
        assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(2);
        assertThat(done.errorFileId()).isEmpty();
        try (HttpResponse output = client.files().content(done.outputFileId().orElseThrow());
                InputStream body = output.body()) {
            List<String> lines = new String(body.readAllBytes()).lines().toList();
            assertThat(lines).hasSize(2);
            assertThat(lines.get(0))
                    .contains(
                            "\"custom_id\":\"request-1\"",
                            "\"status_code\":200",
                            "Reference endpoint received model m");
            assertThat(lines.get(1)).contains("\"custom_id\":\"request-2\"");
        }

        BatchListPage first =
                client.batches().list(BatchListParams.builder().limit(2).build());
        assertThat(first.data()).extracting(Batch::id).containsExactly(created.get(2), created.get(1));
        assertThat(first.hasNextPage()).isTrue();
        BatchListPage second = first.nextPage();
        assertThat(second.data()).extracting(Batch::id).startsWith(created.get(0));

        FileDeleted deleted = client.files().delete(file.id());
        assertThat(deleted.deleted()).isTrue();
        assertThat(deleted.id()).isEqualTo(file.id());
        assertThatThrownBy(() -> client.files().retrieve(file.id()))
                .isInstanceOf(NotFoundException.class)
                .hasMessageContaining("No such File object: " + file.id());
    }

    @Test
    void openAiJavaSdk_seesOpenAisErrors() throws IOException {
        OpenAIClient client = client();
        FileObject file = upload(client);

        assertThatThrownBy(() -> client.batches()
                        .create(BatchCreateParams.builder()
                                .inputFileId(file.id())
                                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                                .putAdditionalBodyProperty("job_id", JsonValue.from("job-unknown"))
                                .build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.param()).contains("job_id");
                });
        assertThatThrownBy(() -> client.batches().retrieve("batch_missing")).isInstanceOf(NotFoundException.class);
    }

    @Test
    void plainHttp_badRequestsGetOpenAisEnvelope() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI base = URI.create(local.baseUrl() + "/");

        assertEnvelope(
                http.send(
                        HttpRequest.newBuilder(base.resolve("files"))
                                .PUT(HttpRequest.BodyPublishers.noBody())
                                .build(),
                        BodyHandlers.ofString()),
                405);
        assertEnvelope(http.send(HttpRequest.newBuilder(base.resolve("models")).build(), BodyHandlers.ofString()), 404);
        assertEnvelope(
                http.send(
                        HttpRequest.newBuilder(base.resolve("batches"))
                                .header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{not json"))
                                .build(),
                        BodyHandlers.ofString()),
                400);
        assertEnvelope(
                http.send(
                        HttpRequest.newBuilder(base.resolve("files"))
                                .header("content-type", "multipart/form-data; boundary=B")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "--B\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nba"))
                                .build(),
                        BodyHandlers.ofString()),
                400);
        assertEnvelope(
                http.send(
                        HttpRequest.newBuilder(base.resolve("files"))
                                .header("content-type", "multipart/form-data; boundary=B")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(
                                        new byte[LocalApiGateway.MAX_BODY_BYTES + 1]))
                                .build(),
                        BodyHandlers.ofString()),
                413);
    }

    private static void assertEnvelope(java.net.http.HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("content-type")).contains("application/json");
        assertThat(response.body())
                .matches("\\{\"error\":\\{\"message\":\".+\",\"type\":\"[a-z_]+\",\"param\":.*,\"code\":.*}}");
    }

    @Test
    void filesAndBatches_surviveARestart() throws IOException {
        OpenAIClient before = client();
        FileObject file = upload(before);
        Batch batch = createBatch(before, file.id(), "survivor");

        local.close();
        local = LocalProcess.start(dataDir);

        OpenAIClient after = client();
        assertThat(after.files().retrieve(file.id())).isEqualTo(file);
        assertThat(after.batches().retrieve(batch.id()).id()).isEqualTo(batch.id());
        try (HttpResponse content = after.files().content(file.id());
                InputStream body = content.body()) {
            assertThat(new String(body.readAllBytes())).isEqualTo(REQUESTS);
        }
    }
}
